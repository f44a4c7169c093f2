/* Every feature reachable: a chooser where a click falls on several features, and a list of
 * the features in view that the keyboard walks.
 *
 * A click is looked at before Leaflet sees it (a capturing listener on the map's container):
 * when the points drawn within a few pixels of it belong to more than one feature, the click
 * opens a list of them by name (kind, date), sites first, and picking one opens its own popup
 * and selects it. Points drawn by a layer of their own are asked through featuresAt(latlng,
 * radiusPx). Everything from the data is set with textContent.
 */
(function () {
  'use strict';

  var SLOP = 4;  // px beyond a point's radius that still count as on it
  var LIST_MAX = 300;  // features listed for the keyboard; zoom in to list the rest

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function pointOf(feature) {
    var g = feature.g;
    if (!g) { return null; }
    if (g.type === 'Point') { return L.latLng(g.coordinates[1], g.coordinates[0]); }
    if (g.type === 'MultiPoint' && g.coordinates.length) {
      return L.latLng(g.coordinates[0][1], g.coordinates[0][0]);
    }
    return null;
  }

  function describe(layer, feature) {
    var bits = [feature.kl || feature.k, feature.dl].filter(function (b) { return !!b; });
    return feature.n + (bits.length ? ' (' + bits.join(', ') + ')' : '');
  }

  /* The features with a point drawn within reach of the container point ``at``. */
  function featuresUnder(pm, at) {
    var map = pm.map;
    var seen = {};
    var found = [];
    function add(layer, feature, latlng) {
      if (seen[feature.i]) { return; }
      seen[feature.i] = true;
      found.push({ layer: layer, feature: feature, latlng: latlng });
    }
    Object.keys(pm.byId).forEach(function (id) {
      var entry = pm.byId[id];
      entry.drawn.forEach(function (item) {
        if (!item._map || !item.getLatLng || item._radius === undefined) { return; }
        var q = map.latLngToContainerPoint(item.getLatLng());
        if (q.distanceTo(at) <= item._radius + SLOP) {
          add(entry.layer, entry.feature, item.getLatLng());
        }
      });
    });
    var latlng = map.containerPointToLatLng(at);
    map.eachLayer(function (layer) {
      if (typeof layer.featuresAt !== 'function') { return; }
      (layer.featuresAt(latlng, 7 + SLOP) || []).forEach(function (hit) {
        if (hit && hit.feature) { add(hit.layer, hit.feature, pointOf(hit.feature) || latlng); }
      });
    });
    found.sort(function (a, b) {
      var sa = a.layer.group === 'us-posture' ? 0 : 1;
      var sb = b.layer.group === 'us-posture' ? 0 : 1;
      return sa - sb;
    });
    return found;
  }

  function openChooser(pm, found, latlng) {
    var box = el('div', 'posture-chooser');
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-label', found.length + ' features here');
    box.appendChild(el('p', 'posture-chooser-head', found.length + ' features here: choose one'));
    var list = el('ul');
    found.forEach(function (hit) {
      var item = el('li');
      var button = el('button', 'posture-chooser-item', describe(hit.layer, hit.feature));
      button.type = 'button';
      button.setAttribute('data-feature-id', hit.feature.i);
      button.addEventListener('click', function (event) {
        L.DomEvent.stop(event);
        pm.map.closePopup();
        pm.openFeature(hit.layer, hit.feature, hit.latlng);
        focusPopup(pm);
      });
      item.appendChild(button);
      list.appendChild(item);
    });
    box.appendChild(list);
    L.popup({ maxWidth: 380, maxHeight: 320, className: 'posture-chooser-popup' })
      .setLatLng(latlng).setContent(box).openOn(pm.map);
    var first = box.querySelector('button');
    if (first) { first.focus(); }
  }

  /* Where the keyboard goes when a popup opens: its heading, so it is read first. */
  function focusPopup(pm) {
    var open = pm.map._popup;
    var node = open && open._contentNode && open._contentNode.querySelector('h3');
    if (node) {
      node.setAttribute('tabindex', '-1');
      node.focus();
    }
  }

  function onClick(pm, event) {
    if (event.button !== 0 || !event.target || !event.target.closest) { return; }
    if (event.target.closest('.leaflet-control, .leaflet-popup')) { return; }
    if (pm.map.dragging && pm.map.dragging.moved()) { return; }
    var at = pm.map.mouseEventToContainerPoint(event);
    var found = featuresUnder(pm, at);
    if (found.length < 2) { return; }
    event.stopPropagation();
    event.preventDefault();
    openChooser(pm, found, pm.map.containerPointToLatLng(at));
  }

  /* The keyboard's way in: the features in view as a list of buttons, in the legend. */
  function fillList(pm) {
    var reach = pm.reach;
    if (!reach || !reach.list) { return; }
    var map = pm.map;
    var bounds = map.getBounds();
    var rows = [];
    (pm.payload ? pm.payload.layers : []).forEach(function (layer, index) {
      var group = pm.groups[index];
      if (group && !map.hasLayer(group)) { return; }
      (layer.features || []).forEach(function (feature) {
        var entry = pm.entry(feature.i);
        var item = entry && entry.drawn[0];
        var where = pointOf(feature) || (item && item.getBounds ? item.getBounds().getCenter()
          : null);
        var inView = item && item.getBounds ? bounds.intersects(item.getBounds())
          : where && bounds.contains(where);
        if (inView) { rows.push({ layer: layer, feature: feature, latlng: where }); }
      });
    });
    var focused = document.activeElement;
    var keep = focused && reach.list.contains(focused) ? focused.getAttribute('data-feature-id')
      : null;
    reach.list.textContent = '';
    rows.slice(0, LIST_MAX).forEach(function (row) {
      var li = el('li');
      var button = el('button', 'posture-reach-item', describe(row.layer, row.feature));
      button.type = 'button';
      button.setAttribute('data-feature-id', row.feature.i);
      button.addEventListener('click', function () {
        reach.opener = row.feature.i;
        pm.openFeature(row.layer, row.feature, row.latlng);
        focusPopup(pm);
      });
      li.appendChild(button);
      reach.list.appendChild(li);
      if (keep === row.feature.i) { button.focus(); }
    });
    reach.summary.textContent = 'Features in view (' + rows.length + ')';
    reach.more.textContent = rows.length > LIST_MAX
      ? 'The first ' + LIST_MAX + ' are listed; zoom in to list the rest.' : '';
  }

  function addList(pm) {
    if (!pm.legendBody) { return; }
    var details = el('details', 'posture-reach');
    var summary = el('summary', null, 'Features in view');
    // Filled on the click (or Enter) itself: 'toggle' fires a task later, and a keyboard
    // user's next Tab would skip buttons not yet there. That 'toggle' then leaves the list as
    // it is, so the button the Tab reached is not replaced under the focus.
    var filledOnClick = false;
    summary.addEventListener('click', function () {
      if (!details.open) { fillList(pm); filledOnClick = true; }
    });
    details.appendChild(summary);
    var list = el('ul');
    details.appendChild(list);
    var more = el('p', 'posture-key');
    details.appendChild(more);
    pm.legendBody.appendChild(details);
    pm.reach = { details: details, summary: summary, list: list, more: more, opener: null };
    details.addEventListener('toggle', function () {
      if (details.open && !filledOnClick) { fillList(pm); }
      filledOnClick = false;
    });
    fillList(pm);
  }

  PostureMap.plugins.push({
    init: function (pm) {
      var container = pm.map.getContainer();
      container.addEventListener('click', function (event) { onClick(pm, event); }, true);
      pm.map.on('moveend', function () {
        if (pm.reach && pm.reach.details.open) { fillList(pm); }
      });
      // Escape closes the popup wherever the focus is in the map, and the focus goes back to
      // the list entry that opened it.
      container.addEventListener('keydown', function (event) {
        if (event.key !== 'Escape' || !pm.map._popup || !pm.map.hasLayer(pm.map._popup)) {
          return;
        }
        pm.map.closePopup();
        var back = function () {
          var reach = pm.reach;
          var opener = reach && reach.opener && reach.list.querySelector(
            'button[data-feature-id="' + CSS.escape(reach.opener) + '"]');
          if (opener && document.activeElement !== opener) { opener.focus(); }
        };
        back();
        // Once more on the next frame: a pan still running when the popup closed ends with
        // the list rebuilt, and the focus must not be left on a button that is gone.
        requestAnimationFrame(function () {
          if (!document.activeElement || document.activeElement === document.body) { back(); }
        });
      });
    },
    afterShow: function (pm) { addList(pm); },
    clear: function (pm) { pm.reach = null; }
  });
}());
