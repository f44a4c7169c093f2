/* Arrows at the map's edge toward what lies beyond it, and a map that cannot leave the world.
 *
 * The payload's `edges` (geo/framing.py) lists the features and origins outside the default
 * frame: [name, lon, lat, kind, layer id, feature id, km]. Each place that is off screen gets
 * an arrow on the edge of the map, pointing toward it, with its name; a click (or Enter) pans
 * there and opens the feature. Names reach the page through textContent only.
 *
 * The basemap covers the world once, so the view is held inside it: maxBounds at ±180/±85 and
 * a minimum zoom at which the world fills the map, so no hard edge of the basemap is shown.
 */
(function () {
  'use strict';

  var MAX_ARROWS = 8;
  var INSET = 22; // px from the map's edge to the arrow's head
  var ROW = 22;   // px between two arrows' labels on one edge
  var WORLD = [[-85, -180], [85, 180]];

  function groups(edges) {
    var byPlace = {};
    var order = [];
    (edges || []).forEach(function (edge) {
      if (!Array.isArray(edge) || typeof edge[1] !== 'number' || typeof edge[2] !== 'number') {
        return;
      }
      var key = edge[1].toFixed(1) + ',' + edge[2].toFixed(1);
      if (!byPlace[key]) { byPlace[key] = []; order.push(key); }
      byPlace[key].push(edge);
    });
    return order.map(function (key) { return byPlace[key]; });
  }

  function holdInsideWorld(map) {
    var size = map.getSize();
    var fit = Math.ceil(Math.log(Math.max(size.x, size.y, 1) / 256) / Math.LN2);
    map.setMinZoom(Math.max(fit, 1));
    if (map.getZoom() < map.getMinZoom()) { map.setZoom(map.getMinZoom(), { animate: false }); }
  }

  /* The boxes of the map's controls and panels (layer list, legend, title), relative to the
     map, which an arrow must not hide under. */
  function controlBoxes(map) {
    var origin = map.getContainer().getBoundingClientRect();
    var boxes = [];
    map.getContainer().querySelectorAll('.leaflet-control').forEach(function (node) {
      var r = node.getBoundingClientRect();
      if (r.width && r.height) {
        boxes.push({ x: r.left - origin.left, y: r.top - origin.top, w: r.width, h: r.height });
      }
    });
    return boxes;
  }

  function covered(boxes, x, y, w, h) {
    return boxes.some(function (b) {
      return x < b.x + b.w && x + w > b.x && y < b.y + b.h && y + h > b.y;
    });
  }

  function label(group) {
    var first = group[0];
    var text = String(first[0]);
    if (first[3] === 'origin') { text += ', launch point'; }
    if (group.length > 1) { text += ' and ' + (group.length - 1) + ' more there'; }
    return text;
  }

  function draw(pm) {
    var state = pm.edgeArrows;
    if (!state) { return; }
    var layer = state.layer;
    // An arrow still wanted is kept, not rebuilt: a redraw (a popup's pan, a resize) must not
    // take the keyboard's focus from it.
    var kept = [];
    var map = pm.map;
    var size = map.getSize();
    var bounds = map.getBounds();
    var centre = L.point(size.x / 2, size.y / 2);
    var used = { left: [], right: [], top: [], bottom: [] };
    var placed = [];
    var shown = 0;
    state.groups.forEach(function (group, index) {
      if (shown >= MAX_ARROWS) { return; }
      var first = group[0];
      var where = L.latLng(first[2], first[1]);
      if (bounds.contains(where)) { return; }
      var p = map.latLngToContainerPoint(where);
      var dx = p.x - centre.x;
      var dy = p.y - centre.y;
      if (dx === 0 && dy === 0) { return; }
      var halfW = size.x / 2 - INSET;
      var halfH = size.y / 2 - INSET;
      var scale = Math.min(dx ? halfW / Math.abs(dx) : Infinity, dy ? halfH / Math.abs(dy) : Infinity);
      var x = centre.x + dx * scale;
      var y = centre.y + dy * scale;
      var side = Math.abs(dx) * halfH >= Math.abs(dy) * halfW ? (dx > 0 ? 'right' : 'left')
        : (dy > 0 ? 'bottom' : 'top');
      var along = side === 'left' || side === 'right' ? y : x;
      while (used[side].some(function (taken) { return Math.abs(taken - along) < ROW; })) {
        along += side === 'top' ? ROW : (side === 'bottom' ? -ROW : ROW);
      }
      used[side].push(along);
      if (side === 'left' || side === 'right') { y = along; } else { x = along; }
      var rotate = 'rotate(' + (Math.atan2(dy, dx) * 180 / Math.PI).toFixed(1) + 'deg)';
      var button = layer.querySelector('[data-edge-group="' + index + '"]');
      if (button) {
        button.className = 'posture-edge posture-edge-' + side;
        button.firstChild.style.transform = rotate;
        button.style.left = '0px'; // measured as a new one is
        button.style.top = '0px';
      } else {
      button = document.createElement('button');
      button.setAttribute('data-edge-group', String(index));
      button.type = 'button';
      button.className = 'posture-edge posture-edge-' + side;
      var arrow = document.createElement('span');
      arrow.className = 'posture-edge-arrow';
      arrow.textContent = '\u27a4';
      arrow.style.transform = rotate;
      arrow.setAttribute('aria-hidden', 'true');
      var name = document.createElement('span');
      name.className = 'posture-edge-name';
      name.textContent = label(group);
      button.appendChild(arrow);
      button.appendChild(name);
      button.setAttribute('data-edge-kind', String(first[3]));
      button.title = label(group) + ': beyond the map; click to go there';
      button.addEventListener('click', function (event) {
        L.DomEvent.stop(event);
        map.panTo(where, { animate: false });
        var id = first[5];
        if (first[3] === 'feature' && typeof id === 'string' && pm.entry(id) && pm.highlight) {
          pm.highlight(id);
        }
      });
      L.DomEvent.disableClickPropagation(button);
      layer.appendChild(button);
      }
      kept.push(button);
      // The arrow's head sits at (x, y); the name runs inward from it.
      var w = button.offsetWidth;
      var h = button.offsetHeight;
      var left = side === 'right' ? x - w : (side === 'left' ? x : x - w / 2);
      var top = side === 'bottom' ? y - h : (side === 'top' ? y : y - h / 2);
      // Step along the edge, toward the middle, until clear of the controls and panels.
      // Arrows already placed count too: a label under another is hidden, focused or not.
      var step = (side === 'left' || side === 'right') ? (top + h / 2 < size.y / 2 ? ROW : -ROW)
        : (left + w / 2 < size.x / 2 ? ROW : -ROW);
      var blocked = state.controls().concat(placed);
      for (var tries = 0; tries < 40 && covered(blocked, left, top, w, h); tries += 1) {
        if (side === 'left' || side === 'right') { top += step; } else { left += step; }
        // A wide name on the top or bottom edge finds no gap along it: one row inward.
        if (tries === 19 && side === 'top') { top += h + 2; left = x - w / 2; }
        if (tries === 19 && side === 'bottom') { top -= h + 2; left = x - w / 2; }
      }
      left = Math.max(2, Math.min(size.x - w - 2, left));
      top = Math.max(2, Math.min(size.y - h - 2, top));
      button.style.left = left + 'px';
      button.style.top = top + 'px';
      placed.push({ x: left, y: top, w: w, h: h });
      shown += 1;
    });
    Array.prototype.slice.call(layer.children).forEach(function (node) {
      if (kept.indexOf(node) < 0) { layer.removeChild(node); }
    });
    map.getContainer().setAttribute('data-edge-count', String(shown));
  }

  PostureMap.plugins.push({
    init: function (pm) {
      var map = pm.map;
      map.setMaxBounds(WORLD);
      map.options.maxBoundsViscosity = 1.0;
      holdInsideWorld(map);
      var layer = document.createElement('div');
      layer.className = 'posture-edges';
      map.getContainer().appendChild(layer);
      pm.edgeArrows = { layer: layer, groups: [], controls: function () { return controlBoxes(map); } };
      map.on('resize', function () { holdInsideWorld(map); });
      map.on('moveend zoomend resize', function () { draw(pm); });
      // The frame on screen, for the app's downloads; sent before posture.js's 'view'
      // message on the same moveend, which writes both into the app's URL.
      map.on('moveend', function () {
        var b = map.getBounds();
        pm.tellParent({ posture: 'bounds', extent: [Math.max(b.getWest(), -180),
          Math.max(b.getSouth(), -90), Math.min(b.getEast(), 180), Math.min(b.getNorth(), 90)] });
      });
    },
    afterShow: function (pm, payload) {
      if (!pm.edgeArrows) { return; }
      pm.edgeArrows.groups = groups(payload && payload.edges);
      pm.edgeArrows.layer.replaceChildren(); // new places: no arrow is kept
      draw(pm);
    },
    clear: function (pm) {
      if (!pm.edgeArrows) { return; }
      pm.edgeArrows.groups = [];
      pm.edgeArrows.layer.replaceChildren();
      draw(pm);
    }
  });
}());
