/* Labels: the names of US sites and of the basemap's countries, as real text on the map.
 *
 * Each label is a Leaflet divIcon holding a <span> whose textContent is the name, so a screen
 * reader reads it and nothing from the data becomes markup. After every move and zoom the labels
 * are placed greedily by priority (the selected site, then sites, then countries by area): each
 * takes the first of its candidate boxes that meets no box already placed, no drawn point and no
 * map control, and is hidden when none is free. A switch in the legend (and, in the app, the
 * sidebar checkbox, sent as a message) turns them all off.
 */
(function () {
  'use strict';

  var GAP = 9;  // px between a site's point and its label
  var POINT_HALF = 7;  // half the box kept clear around a drawn point
  var MARGIN = 2;  // px kept between two labels

  function span(className, text) {
    var node = document.createElement('span');
    node.className = className;
    node.textContent = String(text);
    return node;
  }

  function makeLabel(pm, text, latlng, kind, rank, featureId) {
    var outer = document.createElement('div');
    var inner = span('posture-maplabel posture-maplabel-' + kind, text);
    outer.appendChild(inner);
    var marker = L.marker(latlng, {
      pane: 'posture-labels',
      interactive: false,
      keyboard: false,
      icon: L.divIcon({ className: 'posture-maplabel-anchor', html: outer, iconSize: [0, 0] })
    });
    return { marker: marker, node: inner, kind: kind, rank: rank, id: featureId, size: null };
  }

  function overlaps(a, list) {
    for (var i = 0; i < list.length; i++) {
      var b = list[i];
      if (a.x1 + MARGIN > b.x0 && b.x1 + MARGIN > a.x0 && a.y1 + MARGIN > b.y0 &&
          b.y1 + MARGIN > a.y0) {
        return true;
      }
    }
    return false;
  }

  function candidates(label, p) {
    var w = label.size[0];
    var h = label.size[1];
    if (label.kind === 'country') {  // its centre, else a little off it, still inside
      return [[-w / 2, -h / 2], [-w / 2, -h * 2], [-w / 2, h], [-w, -h / 2], [0, -h / 2],
        [-w / 2, -h * 3.5], [-w / 2, h * 2.5]];
    }
    return [[GAP, -h / 2], [-GAP - w, -h / 2], [-w / 2, -GAP - h], [-w / 2, GAP]];
  }

  /* The boxes no label may cover: drawn points and the map's controls. */
  function obstacles(pm) {
    var boxes = [];
    var map = pm.map;
    Object.keys(pm.byId).forEach(function (id) {
      pm.byId[id].drawn.forEach(function (item) {
        if (!item._map || !item.getLatLng || item._radius === undefined) { return; }
        var q = map.latLngToContainerPoint(item.getLatLng());
        boxes.push({ x0: q.x - POINT_HALF, y0: q.y - POINT_HALF, x1: q.x + POINT_HALF,
          y1: q.y + POINT_HALF });
      });
    });
    var frame = map.getContainer().getBoundingClientRect();
    var controls = map.getContainer().querySelectorAll('.leaflet-control');
    Array.prototype.forEach.call(controls, function (control) {
      var r = control.getBoundingClientRect();
      if (!r.width) { return; }
      boxes.push({ x0: r.left - frame.left, y0: r.top - frame.top, x1: r.right - frame.left,
        y1: r.bottom - frame.top });
    });
    return boxes;
  }

  function hide(label) {
    label.node.style.display = 'none';
    label.node.removeAttribute('data-placed');
  }

  /* A site's label goes with its layer: none while the layer is switched off. */
  function followLayers(pm) {
    var group = pm.labels.siteGroup;
    pm.labels.sites.forEach(function (label) {
      var shown = !label.layerGroup || pm.map.hasLayer(label.layerGroup);
      if (shown !== group.hasLayer(label.marker)) {
        if (shown) { group.addLayer(label.marker); } else { group.removeLayer(label.marker); }
      }
    });
  }

  function place(pm) {
    var state = pm.labels;
    if (!state) { return; }
    followLayers(pm);
    var all = state.sites.concat(state.countries);
    if (!state.on) { all.forEach(hide); return; }
    var size = pm.map.getSize();
    var blocked = obstacles(pm);
    var placed = [];
    // Every new label shown first and then measured, so that the page is laid out once for
    // all of them, not once a label (a write between two reads lays it out again).
    var unsized = all.filter(function (label) {
      return !label.size && pm.map.hasLayer(label.marker);
    });
    unsized.forEach(function (label) { label.node.style.display = ''; });
    unsized.forEach(function (label) {
      label.size = [label.node.offsetWidth, label.node.offsetHeight];
    });
    all.sort(function (a, b) {
      var sa = a.id && a.id === pm.selected ? -1 : 0;
      var sb = b.id && b.id === pm.selected ? -1 : 0;
      return sa - sb || a.rank - b.rank;
    });
    all.forEach(function (label) {
      if (!pm.map.hasLayer(label.marker)) { hide(label); return; }
      var p = pm.map.latLngToContainerPoint(label.marker.getLatLng());
      if (p.x < 0 || p.y < 0 || p.x > size.x || p.y > size.y) { hide(label); return; }
      var own = label.kind === 'site' ? { x0: p.x - POINT_HALF, y0: p.y - POINT_HALF,
        x1: p.x + POINT_HALF, y1: p.y + POINT_HALF } : null;
      var others = own ? blocked.filter(function (b) {
        return !(b.x0 === own.x0 && b.y0 === own.y0);
      }) : blocked;
      var chosen = null;
      candidates(label, p).some(function (offset) {
        var box = { x0: p.x + offset[0], y0: p.y + offset[1], x1: p.x + offset[0] + label.size[0],
          y1: p.y + offset[1] + label.size[1] };
        if (box.x0 < 0 || box.y0 < 0 || box.x1 > size.x || box.y1 > size.y) { return false; }
        if (overlaps(box, placed) || overlaps(box, others)) { return false; }
        chosen = { offset: offset, box: box };
        return true;
      });
      if (!chosen) { hide(label); return; }
      label.node.style.display = '';
      label.node.style.left = chosen.offset[0] + 'px';
      label.node.style.top = chosen.offset[1] + 'px';
      label.node.setAttribute('data-placed', '1');
      placed.push(chosen.box);
    });
  }

  function schedule(pm) {
    if (pm.labels.pending) { return; }
    pm.labels.pending = true;
    L.Util.requestAnimFrame(function () {
      pm.labels.pending = false;
      place(pm);
    });
  }

  function setOn(pm, on) {
    pm.labels.on = !!on;
    pm.map.getContainer().setAttribute('data-labels', on ? '1' : '0');
    if (pm.labels.box) { pm.labels.box.checked = !!on; }
    place(pm);
  }

  function addSwitch(pm) {
    var body = pm.legendBody;
    if (!body) { return; }
    var row = document.createElement('label');
    row.className = 'posture-legend-row posture-labels-switch';
    var box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = pm.labels.on;
    box.addEventListener('change', function () {
      setOn(pm, box.checked);
      pm.tellParent({ posture: 'labels', on: box.checked });
    });
    row.appendChild(box);
    row.appendChild(document.createTextNode(' Labels (site and country names)'));
    body.appendChild(row);
    pm.labels.box = box;
  }

  PostureMap.plugins.push({
    init: function (pm) {
      var map = pm.map;
      map.createPane('posture-labels').style.zIndex = 440;
      pm.labels = {
        on: pm.config.labels !== false, sites: [], countries: [],
        group: L.layerGroup().addTo(map), siteGroup: L.layerGroup().addTo(map), pending: false
      };
      (pm.config.countryLabels || []).forEach(function (c, index) {
        if (typeof c[0] !== 'string' || typeof c[1] !== 'number' || typeof c[2] !== 'number') {
          return;
        }
        var label = makeLabel(pm, c[0], [c[1], c[2]], 'country', 100000 + index, null);
        label.marker.addTo(pm.labels.group);
        pm.labels.countries.push(label);
      });
      map.getContainer().setAttribute('data-labels', pm.labels.on ? '1' : '0');
      pm.placeLabels = function () { place(pm); };  // for anything that moves what is drawn
      map.on('moveend zoomend resize layeradd layerremove', function () {
        schedule(pm);
      });
      if (!pm.config.embedded) {
        window.addEventListener('message', function (event) {
          var data = event.data;
          if (event.source === window.parent && data && data.posture === 'labels') {
            setOn(pm, data.on !== false);
          }
        });
      }
      schedule(pm);
    },
    afterShow: function (pm, payload) {
      var rank = 0;
      payload.layers.forEach(function (layer, index) {
        if (layer.group !== 'us-posture') { return; }
        var group = pm.groups[index];
        (layer.features || []).forEach(function (f) {
          var g = f.g;
          var c = g && (g.type === 'Point' ? g.coordinates
            : g.type === 'MultiPoint' ? g.coordinates[0] : null);
          if (!c) { return; }
          var label = makeLabel(pm, f.n, [c[1], c[0]], 'site', rank++, f.i);
          label.layerGroup = group;
          label.marker.addTo(pm.labels.siteGroup);
          pm.labels.sites.push(label);
        });
      });
      addSwitch(pm);
      place(pm);
    },
    clear: function (pm) {
      pm.labels.siteGroup.clearLayers();
      pm.labels.sites = [];
      pm.labels.box = null;
    }
  });
}());
