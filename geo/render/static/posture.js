/* Draws the posture map from a compact payload. Shared by the app and the HTML export.
 *
 * Every string from the data reaches the page through textContent or an attribute set with the
 * DOM API, never through innerHTML; links are made only for http(s) URLs. The payload format is
 * documented in geo/render/payload.py.
 */
(function () {
  'use strict';

  // A screen reader picks its voice from the page's language; folium writes <html> without one.
  if (!document.documentElement.lang) { document.documentElement.lang = 'en'; }

  var SAFE_URL = /^https?:\/\//i;
  var HEX = /^#[0-9a-fA-F]{6}$/;
  var LEGEND_FOLD_WIDTH = 600;  // px of map: narrower, the legend starts folded
  var PRECISION_TEXT = {
    exact: 'exact location',
    approximate: 'approximate location',
    'stand-in': 'stand-in location (a nearby place)',
    region: 'region'
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function link(url, text) {
    if (typeof url === 'string' && SAFE_URL.test(url)) {
      var a = el('a', null, text);
      a.href = url;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      return a;
    }
    return el('span', null, text);
  }

  function color(value) { return HEX.test(value) ? value : '#555555'; }

  /* '12', or '200,000 of 1,000,000 shown' when the view holds more than was sent. */
  function shownLabel(item) {
    var shown = item.shown !== undefined ? item.shown
      : (item.count !== undefined ? item.count : item.features.length);
    if (item.total === undefined || item.total <= shown) { return String(shown); }
    return shown.toLocaleString('en-GB') + ' of ' + item.total.toLocaleString('en-GB') + ' shown';
  }

  function labelled(parent, label, value) {
    if (value === undefined || value === null || value === '') { return; }
    var p = el('p');
    p.appendChild(el('span', 'posture-label', label + ': '));
    p.appendChild(document.createTextNode(String(value)));
    parent.appendChild(p);
  }

  /* Points in the shape of the layer's marker, drawn on the canvas so that large layers stay
     fast. Leaflet's canvas renderer only knows circles; the other shapes are drawn here. */
  var ShapeMarker = L.CircleMarker.extend({
    options: { shape: 'circle' },
    _updatePath: function () {
      if (this.options.shape === 'circle' || !this._renderer._ctx) {
        this._renderer._updateCircle(this);
        return;
      }
      var ctx = this._renderer._ctx;
      var p = this._point;
      var r = this._radius;
      if (this._empty()) { return; }
      ctx.beginPath();
      if (this.options.shape === 'square') {
        ctx.rect(p.x - r, p.y - r, 2 * r, 2 * r);
      } else if (this.options.shape === 'diamond') {
        r = r * 1.25;
        ctx.moveTo(p.x, p.y - r); ctx.lineTo(p.x + r, p.y);
        ctx.lineTo(p.x, p.y + r); ctx.lineTo(p.x - r, p.y); ctx.closePath();
      } else {
        r = r * 1.3;
        ctx.moveTo(p.x, p.y - r); ctx.lineTo(p.x + r, p.y + r * 0.8);
        ctx.lineTo(p.x - r, p.y + r * 0.8); ctx.closePath();
      }
      this._renderer._fillStroke(ctx, this);
    }
  });

  /* Plugins (the other scripts in static/) extend the map without editing this file: each is an
     object with any of init(pm), afterShow(pm, payload) and clear(pm), pushed onto
     PostureMap.plugins before a map is made. */
  function runPlugins(hook, pm, arg) {
    PostureMap.plugins.forEach(function (plugin) {
      if (typeof plugin[hook] === 'function') { plugin[hook](pm, arg); }
    });
  }

  function PostureMap(map, config) {
    this.map = map;
    this.config = config || {};
    this.groups = [];
    this.byId = {};
    this.controls = [];
    this.selected = null;
    this.payload = null;
    this.siteGroups = [];
    var self = this;
    // A canvas hit-test picks the shape drawn last, so a strike drawn on a base would take every
    // click meant for the base; sites stay drawn last, also after a layer is switched back on.
    map.on('overlayadd', function () { self.raiseSites(); });
    map.createPane('posture-basemap').style.zIndex = 150;
    map.createPane('posture-areas').style.zIndex = 410;
    map.createPane('posture-lines').style.zIndex = 420;
    map.createPane('posture-points').style.zIndex = 430;
    if (this.config.basemap) {
      L.geoJSON(this.config.basemap, {
        pane: 'posture-basemap',
        interactive: false,
        style: function () {
          return { color: '#8a8a8a', weight: 0.7, fillColor: '#efece4', fillOpacity: 1 };
        }
      }).addTo(map);
      map.getContainer().style.background = '#cfe3ef';
    }
    if (map.attributionControl) {
      map.attributionControl.setPrefix('Leaflet');
    }
    var self = this;
    runPlugins('init', this);
    map.on('moveend', function () { self.tellParent({ posture: 'view', lat: map.getCenter().lat,
      lng: map.getCenter().lng, zoom: map.getZoom() }); });
    if (this.config.embedded) { return; }  // an exported page takes orders from no one
    // Orders are taken one after another: a packed payload opens asynchronously, and the
    // highlight or the row text sent after it must wait for it.
    var inbox = Promise.resolve();
    window.addEventListener('message', function (event) {
      if (event.source !== window.parent || !event.data || typeof event.data !== 'object') {
        return;
      }
      var order = event.data;
      inbox = inbox.then(function () { return self.take(order); }).catch(function (error) {
        map.getContainer().setAttribute('data-error', String(error));
      });
    });
  }

  /* One order from the app's frame (geo/app/map_frontend/index.html). A payload shown again
     (a layer switched off and on, a date stepped back) is the one unpacked for its key. */
  PostureMap.prototype.take = function (order) {
    var self = this;
    if (order.posture === 'show' && order.packed instanceof Uint8Array) {
      var known = this.unpackedFor(order.key);
      if (known) {
        this.show(known, order.keepView);
        return null;
      }
      return Promise.all([unpack(order.packed), this.unpackParts(order.parts || {})])
        .then(function (opened) {
          var payload = opened[0];
          self.narrowHeld(payload);
          self.keepUnpacked(order.key, payload);
          self.show(payload, order.keepView);
        });
    }
    if (order.posture === 'highlight') { this.highlight(order.id); }
    if (order.posture === 'detail' && this.addRowDetails) { this.addRowDetails(order); }
    if (order.posture === 'setView' && typeof order.zoom === 'number') {
      this.map.setView([order.lat, order.lng], order.zoom, { animate: false });
    }
    return null;
  };

  var UNPACKED = 2;  // as many as the app's frame holds packed

  /* The payload unpacked for ``key``, now the most recently used, or null. */
  PostureMap.prototype.unpackedFor = function (key) {
    var kept = this.unpacked || [];
    for (var n = 0; key && n < kept.length; n++) {
      if (kept[n].key === key) {
        var found = kept.splice(n, 1)[0];
        kept.push(found);
        return found.payload;
      }
    }
    return null;
  };

  PostureMap.prototype.keepUnpacked = function (key, payload) {
    if (!key) { return; }
    this.unpacked = (this.unpacked || []).concat([{ key: key, payload: payload }]);
    while (this.unpacked.length > UNPACKED) { this.unpacked.shift(); }
  };

  var HELD_PARTS = 4;  // as many as the app's frame holds packed

  /* Big layers' parts held for every date (geo/render/held.py), by key: each is opened
     once, the first time a payload uses it. The parts ``packed`` names (the payload's) are
     then the most recently used, as the app's frame and Python count them, and are kept. */
  PostureMap.prototype.unpackParts = function (packed) {
    var self = this;
    var named = Object.keys(packed);
    this.parts = this.parts || [];
    return Promise.all(named.map(function (key) {
      var known = self.parts.filter(function (part) { return part.key === key; })[0];
      if (known) { return known; }
      return unpack(packed[key]).then(function (part) { return { key: key, part: part }; });
    })).then(function (used) {
      self.parts = self.parts.filter(function (item) { return named.indexOf(item.key) < 0; })
        .concat(used);
      while (self.parts.length > Math.max(HELD_PARTS, named.length)) { self.parts.shift(); }
    });
  };

  /* Each layer of ``payload`` sent as a part gets the part's sources and the columns of
     the rows its ``mask`` shows (one bit a row, the first row in the lowest bit). */
  PostureMap.prototype.narrowHeld = function (payload) {
    var parts = this.parts || [];
    payload.layers.forEach(function (layer) {
      if (!layer.held) { return; }
      var item = parts.filter(function (part) { return part.key === layer.held; })[0];
      if (!item) { throw new Error('the map lacks the rows of layer ' + layer.id); }
      var part = item.part;
      layer.sources = part.sources;
      var rows = maskRows(layer.mask, part.columns.rows);
      // Every row shown (every event up to today, say): the part's own columns, not a copy.
      layer.columns = rows.length === part.columns.rows ? part.columns
        : narrowColumns(part.columns, rows);
      if (part.apart) { layer.details = 'apart'; }
    });
  };

  /* The rows a base64 mask marks, in order, as an Int32Array. */
  function maskRows(text, rows) {
    var binary = atob(text);
    var found = new Int32Array(rows);
    var count = 0;
    for (var row = 0; row < rows; row++) {
      if (binary.charCodeAt(row >> 3) & (1 << (row & 7))) { found[count++] = row; }
    }
    return found.subarray(0, count);
  }

  function narrowColumns(columns, rows) {
    var narrowed = { rows: rows.length };
    Object.keys(columns).forEach(function (key) {
      if (key === 'rows') { return; }
      var column = columns[key];
      var values = Array.isArray(column) ? column : column.codes;
      var picked = new Array(rows.length);
      for (var n = 0; n < rows.length; n++) { picked[n] = values[rows[n]]; }
      narrowed[key] = Array.isArray(column) ? picked : { dict: column.dict, codes: picked };
    });
    return narrowed;
  }

  PostureMap.prototype.tellParent = function (message) {
    if (window.parent && window.parent !== window) { window.parent.postMessage(message, '*'); }
  };

  PostureMap.prototype.clear = function () {
    var map = this.map;
    this.groups.forEach(function (group) { map.removeLayer(group); });
    this.controls.forEach(function (control) { map.removeControl(control); });
    this.groups = [];
    this.siteGroups = [];
    this.controls = [];
    this.byId = {};
    runPlugins('clear', this);
  };

  PostureMap.prototype.raiseSites = function () {
    var map = this.map;
    this.siteGroups.forEach(function (group) {
      if (map.hasLayer(group)) { group.bringToFront(); }
    });
  };

  PostureMap.prototype.show = function (payload, keepView) {
    this.clear();
    this.payload = payload;
    var self = this;
    payload.layers.forEach(function (layer) {
      var group = L.featureGroup();
      layer.features.forEach(function (feature) { self.addFeature(group, layer, feature); });
      if (layer.columns) {  // a big layer's points: one canvas layer (points.js)
        var points = new PostureMap.PointsLayer(self, layer);
        group.addLayer(points);
        self.pointLayers.push(points);
      }
      group.addTo(self.map);
      self.groups.push(group);
      group.postureLayerId = layer.id;
      if (layer.group === 'us-posture') { self.siteGroups.push(group); }
    });
    this.raiseSites();
    this.addLegend(payload);
    if (this.config.embedded) { this.addTitle(payload); this.addSources(payload); }
    if (!keepView) {
      if (payload.view) {
        this.map.setView([payload.view.lat, payload.view.lng], payload.view.zoom,
          { animate: false });
      } else if (payload.bounds) {
        this.map.fitBounds(payload.bounds, { padding: [20, 20], maxZoom: 9, animate: false });
      }
    }
    if (payload.selected && this.entry(payload.selected)) { this.highlight(payload.selected); }
    runPlugins('afterShow', this, payload);
    var container = this.map.getContainer();
    container.setAttribute('data-feature-count', String(payload.count));
    // Ready once the big layers' canvases (points.js) have drawn, not before. The mark lets a
    // page timing (benchmarks/app_timing.py) read when the map was drawn.
    var ready = function () {
      container.setAttribute('data-ready', '1');
      if (window.performance && performance.mark) {
        performance.clearMarks('posture-drawn');
        performance.mark('posture-drawn');
      }
    };
    if (this.whenDrawn) { this.whenDrawn(ready); } else { ready(); }
  };

  /* An exported page's payload, from its data element (geo/render/maps.py): plain JSON, or
     gzipped and base64-encoded when long, opened with the browser's own DecompressionStream.
     A big layer's long text comes in a second element, last in the page
     (geo/render/details.py), opened once the map has drawn and the page is read, so that
     drawing never waits for it. */
  PostureMap.prototype.showEmbedded = function (element, detailsId) {
    var self = this;
    if (!element) { return; }
    var failed = function (error) {
      self.map.getContainer().setAttribute('data-error', String(error));
      throw error;
    };
    readData(element).then(function (payload) {
      self.show(payload);
      if (!detailsId || !self.addDetails) { return; }
      self.whenDrawn(function () {
        // After the drawn frame is on screen (the next frame's start, then a task after it),
        // and once the page's last element is read: the text can wait, the map cannot.
        requestAnimationFrame(function () { setTimeout(function () {
          whenParsed(function () {
            var detailsElement = document.getElementById(detailsId);
            if (!detailsElement) { return; }
            readData(detailsElement).then(function (details) {
              self.addDetails(details);
              self.map.getContainer().setAttribute('data-details', '1');  // all the text is in
            }).catch(failed);
          });
        }, 0); });
      });
    }).catch(failed);
  };

  function whenParsed(done) {
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', done);
    } else {
      done();
    }
  }

  function readData(element) {
    if (element.type === 'application/json') {
      return new Promise(function (done) { done(JSON.parse(element.textContent)); });
    }
    var binary = atob(element.textContent);
    var bytes = new Uint8Array(binary.length);
    for (var n = 0; n < binary.length; n++) { bytes[n] = binary.charCodeAt(n); }
    binary = null;
    return unpack(bytes);
  }

  /* Gzipped JSON, opened with the browser's own DecompressionStream. */
  function unpack(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).text().then(function (text) { return JSON.parse(text); });
  }

  PostureMap.prototype.addFeature = function (group, layer, feature) {
    var self = this;
    var loose = feature.lp !== 'exact';
    var base = {
      color: color(layer.color), weight: 2, opacity: 0.95,
      fillColor: color(layer.color), fillOpacity: loose ? 0.15 : 0.8,
      dashArray: loose ? '4 3' : null
    };
    var drawn = [];
    var g = feature.g;
    if (g.type === 'Point' || g.type === 'MultiPoint') {
      var points = g.type === 'Point' ? [g.coordinates] : g.coordinates;
      points.forEach(function (c) {
        var options = L.extend({}, base, { pane: 'posture-points', radius: 7,
          shape: layer.marker || 'circle' });
        drawn.push(new ShapeMarker([c[1], c[0]], options));
      });
    } else {
      var area = L.extend({}, base, { pane: g.type.indexOf('Line') >= 0 ? 'posture-lines'
        : 'posture-areas', fillOpacity: layer.fillOpacity, weight: 1.5 });
      drawn.push(L.geoJSON(g, { style: function () { return area; } }));
    }
    if (feature.or) {
      var target = g.type === 'Point' ? g.coordinates : null;
      if (target) {
        drawn.push(L.polyline([[feature.or[1], feature.or[0]], [target[1], target[0]]], {
          pane: 'posture-lines', color: color(layer.color), weight: 1.5, dashArray: '6 5',
          opacity: 0.9 }));
        var origin = new ShapeMarker([feature.or[1], feature.or[0]], { pane: 'posture-points',
          radius: 4, color: color(layer.color), fillColor: '#ffffff', fillOpacity: 1,
          weight: 2 });
        origin.bindTooltip(function () { return el('span', null, 'Launched from ' + feature.or[2]); });
        drawn.push(origin);
      }
    }
    drawn.forEach(function (item) {
      item.postureWeight = (item.options && item.options.weight) || 1.5;
      item.bindTooltip(function () { return el('span', null, feature.n); }, { sticky: true });
      item.bindPopup(function () { return self.popup(layer, feature); }, { maxWidth: 380, maxHeight: 420 });
      item.on('click', function () { self.select(feature.i); });
      group.addLayer(item);
    });
    this.byId[feature.i] = { layer: layer, feature: feature, drawn: drawn, style: base };
  };

  PostureMap.prototype.select = function (id) {
    this.highlight(id);
    this.tellParent({ posture: 'select', id: id });
  };

  /* Mark the selected feature. A selection from a shared link or from the app opens no popup:
     the details are beside the map, and a popup would pan away from the view the link names. */
  /* The drawn entry of a feature by id: a small layer's (byId) or a big layer's row (asked of
     its canvas layer, points.js), kept apart so that what walks every small feature skips the
     rows. */
  PostureMap.prototype.entry = function (id) {
    if (Object.prototype.hasOwnProperty.call(this.byId, id)) { return this.byId[id]; }
    var layers = this.pointLayers || [];
    for (var n = 0; n < layers.length; n++) {
      var found = layers[n].entryOf(id);
      if (found) { return found; }
    }
    return null;
  };

  PostureMap.prototype.highlight = function (id) {
    if (this.selected && this.entry(this.selected)) {
      var old = this.entry(this.selected);
      old.drawn.forEach(function (item) {
        if (item.setStyle) { item.setStyle({ weight: item.postureWeight }); }
      });
    }
    this.selected = id;
    var entry = this.entry(id);
    if (!entry) { return; }
    entry.drawn.forEach(function (item) {
      if (item.setStyle) { item.setStyle({ weight: 4 }); }
      if (item.bringToFront) { item.bringToFront(); }
    });
    this.map.getContainer().setAttribute('data-selected', id);
  };

  /* Open the popup of one feature and select it (the chooser and the keyboard list use this).
     A feature drawn by a layer of its own (no entry in byId) gets a popup at ``latlng``. */
  PostureMap.prototype.openFeature = function (layer, feature, latlng) {
    var entry = this.entry(feature.i);
    var item = entry && entry.drawn[0];
    this.select(feature.i);
    if (item && item._map) {
      item.openPopup(latlng || (item.getLatLng ? item.getLatLng() : undefined));
    } else if (latlng) {
      L.popup({ maxWidth: 380, maxHeight: 420 }).setLatLng(latlng)
        .setContent(this.popup(layer, feature)).openOn(this.map);
    }
  };

  /* "[n]": in an exported page, a link into its numbered list of sources. */
  PostureMap.prototype.citation = function (number) {
    var text = '[' + number + ']';
    if (!this.config.embedded) { return el('span', null, text); }
    var a = el('a', null, text);
    a.href = '#posture-source-' + number;
    return a;
  };

  PostureMap.prototype.popup = function (layer, f) {
    var self = this;
    var sources = layer.sources || this.payload.sources;  // a held part has its own
    var box = el('div', 'posture-popup');
    box.setAttribute('data-feature-id', f.i);
    box.appendChild(el('h3', null, f.n));
    box.appendChild(el('p', 'posture-meta', f.kl + ' · ' + layer.title));
    if (f.pending) { box.appendChild(el('p', 'posture-pending', 'Loading the details…')); }
    labelled(box, 'When', f.dl + ' (' + f.dp + ')');
    labelled(box, 'Dates', f.dn);
    labelled(box, 'Where', (PRECISION_TEXT[f.lp] || f.lp) + (f.cn ? ', ' + f.cn : ''));
    labelled(box, 'Location', f.ln);
    labelled(box, 'Actor', f.a ? f.a + (f.an ? ' (' + f.an + ')' : '') : null);
    labelled(box, 'Target', f.t);
    labelled(box, 'Operator', f.op);
    labelled(box, 'Units', f.u ? f.u.join('; ') : null);
    labelled(box, 'Relation to Iran', f.ri);
    labelled(box, 'Claim status', f.st);
    labelled(box, 'Outcome', f.o);
    labelled(box, 'Fatalities', f.fa);
    labelled(box, 'Event type', f.et);
    labelled(box, 'Dataset id', f.sid);
    box.appendChild(el('p', 'posture-description', f.de));
    if (f.cl && f.cl.length) {
      var table = el('table');
      var disputed = {};
      var seen = {};
      f.cl.forEach(function (c) {
        if (seen[c[0]] !== undefined && seen[c[0]] !== c[1]) { disputed[c[0]] = true; }
        seen[c[0]] = c[1];
      });
      f.cl.forEach(function (c) {
        var row = el('tr');
        row.appendChild(el('td', disputed[c[0]] ? 'posture-disagree' : null, c[0]));
        var value = el('td', null, c[1] + (c[2] ? ' (' + c[2] + ')' : '') + ' ');
        value.appendChild(self.citation(c[3] + 1));
        row.appendChild(value);
        table.appendChild(row);
      });
      var claims = el('p');
      claims.appendChild(el('span', 'posture-label', 'Figures: '));
      if (Object.keys(disputed).length) {
        claims.appendChild(el('span', 'posture-disagree', 'sources disagree'));
      }
      box.appendChild(claims);
      box.appendChild(table);
    }
    box.appendChild(el('p', 'posture-label', 'Sources'));
    var list = el('ol');
    f.src.forEach(function (index) {
      var s = sources[index];
      var item = el('li');
      item.value = index + 1;
      item.appendChild(link(s.url, s.title));
      var rest = ' — ' + s.publisher + (s.published ? ', ' + s.published : '') +
        '; accessed ' + s.accessed;
      item.appendChild(document.createTextNode(rest));
      var quote = f.q && f.q[String(index)];
      if (quote) { item.appendChild(el('blockquote', null, quote)); }
      var note = f.sn && f.sn[String(index)];  // what this feature's citation adds to the work
      if (note) { item.appendChild(el('p', 'posture-source-note', note)); }
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  };

  PostureMap.prototype.addControl = function (position, className, build) {
    var control = L.control({ position: position });
    control.onAdd = function () {
      var div = el('div', 'posture-panel ' + className);
      build(div);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    control.addTo(this.map);
    this.controls.push(control);
    return control;
  };

  /* The one legend: a row per layer with its count of features shown. In an exported page
     each row is also the layer's switch (the app switches layers in its sidebar). It starts
     folded where the map is narrow, and folds (or steps aside) while a popup is open. */
  PostureMap.prototype.addLegend = function (payload) {
    var self = this;
    var toggles = !!this.config.legendToggles;
    // In the app the bottom left (Egypt, Sudan) is the corner the region least needs.
    this.legend = this.addControl(this.config.embedded ? 'bottomright' : 'bottomleft',
      'posture-legend', function (div) {
      var details = el('details');
      details.open = self.map.getSize().x >= LEGEND_FOLD_WIDTH;
      details.appendChild(el('summary', null, 'Legend'));
      var list = el('ul');
      payload.layers.forEach(function (layer, index) {
        var item = el('li');
        var row = el(toggles ? 'label' : 'span', 'posture-legend-row');
        if (toggles) {
          var box = el('input');
          box.type = 'checkbox';
          box.checked = true;
          box.setAttribute('data-layer-id', layer.id);
          box.addEventListener('change', function () { self.setLayerShown(index, box.checked); });
          row.appendChild(box);
        }
        var swatch = el('span', 'posture-swatch');
        swatch.style.background = color(layer.color);
        row.appendChild(swatch);
        row.appendChild(el('span', 'posture-legend-title', layer.title));
        row.appendChild(document.createTextNode(' '));
        row.appendChild(el('span', 'posture-count', '(' + shownLabel(layer) + ')'));
        item.appendChild(row);
        list.appendChild(item);
      });
      details.appendChild(list);
      details.appendChild(el('div', 'posture-key',
        'Solid: exact location. Hollow, dashed: approximate, stand-in or region.'));
      if (self.config.embedded) {
        details.appendChild(el('div', 'posture-key', payload.count + ' features · ' +
          payload.caption));
      }
      div.appendChild(details);
      self.legendDetails = details;
      self.legendBody = details;
    });
    if (!this.watchingPopups) {
      this.watchingPopups = true;
      this.map.on('popupopen', function (event) { self.legendMakeRoom(event.popup); });
      this.map.on('popupclose', function () { self.legendRestore(); });
      this.map.on('moveend', function () {  // a popup pans the map into view after it opens
        var open = self.map._popup;
        if (open && self.map.hasLayer(open)) { self.legendMakeRoom(open); }
      });
    }
  };

  /* The features a layer shows: its count when the payload carries one (a layer sent as
     columns), else its feature list. */
  PostureMap.prototype.setLayerShown = function (index, shown) {
    var group = this.groups[index];
    if (!group) { return; }
    if (shown) { group.addTo(this.map); } else { this.map.removeLayer(group); }
    this.raiseSites();
  };

  function intersects(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  /* A popup is what the reader asked for: fold the legend, and hide it if even folded it
     would lie over the popup. */
  PostureMap.prototype.legendMakeRoom = function (popup) {
    var details = this.legendDetails;
    if (!details || !popup || !popup._container) { return; }
    var panel = details.parentNode;
    if (this.legendWasOpen === undefined) { this.legendWasOpen = details.open; }
    details.open = false;
    panel.classList.remove('posture-aside');
    if (intersects(panel.getBoundingClientRect(), popup._container.getBoundingClientRect())) {
      panel.classList.add('posture-aside');
    }
  };

  PostureMap.prototype.legendRestore = function () {
    var details = this.legendDetails;
    if (!details) { return; }
    details.parentNode.classList.remove('posture-aside');
    if (this.legendWasOpen !== undefined) { details.open = this.legendWasOpen; }
    this.legendWasOpen = undefined;
  };

  PostureMap.prototype.addTitle = function (payload) {
    this.addControl('topleft', 'posture-title', function (div) {
      div.appendChild(el('h1', null, payload.title));
      div.appendChild(el('p', null, payload.caption));
    });
  };

  /* The numbered list of the works cited. A view of 100,000 events may cite thousands, so the
     list is built when the panel is first opened, or when a [n] link leads into it. */
  PostureMap.prototype.addSources = function (payload) {
    var self = this;
    this.addControl('bottomleft', 'posture-sources', function (div) {
      var details = el('details');
      var summary = el('summary', null, 'Sources (' + payload.sources.length + ')');
      // Filled on the click (or Enter) itself: 'toggle' fires a task later, and a keyboard
      // user's next Tab would skip links not yet there.
      summary.addEventListener('click', function () { self.fillSources(); });
      details.appendChild(summary);
      var list = el('ol');
      details.appendChild(list);
      div.appendChild(details);
      div.appendChild(el('div', 'posture-footer', payload.footer));
      self.sourcesPanel = details;
      self.sourcesList = list;
      self.sourcesFilled = false;
      details.addEventListener('toggle', function () {
        if (details.open) { self.fillSources(); }
      });
      if (!self.watchingHash) {
        self.watchingHash = true;
        var follow = function () {
          if (window.location.hash.indexOf('#posture-source-') !== 0 || !self.sourcesPanel) {
            return;
          }
          self.fillSources();
          self.sourcesPanel.open = true;
          var target = document.getElementById(window.location.hash.slice(1));
          if (target) { target.scrollIntoView({ block: 'nearest' }); }
        };
        window.addEventListener('hashchange', follow);
        follow();
      }
    });
  };

  PostureMap.prototype.fillSources = function () {
    if (this.sourcesFilled || !this.sourcesList) { return; }
    this.sourcesFilled = true;
    var list = this.sourcesList;
    var fragment = document.createDocumentFragment();
    this.payload.sources.forEach(function (s, index) {
      var item = el('li');
      item.id = 'posture-source-' + (index + 1);
      item.appendChild(link(s.url, s.title));
      item.appendChild(document.createTextNode(' — ' + s.publisher +
        (s.published ? ', ' + s.published : '') + '; accessed ' + s.accessed));
      fragment.appendChild(item);
    });
    list.appendChild(fragment);
  };

  PostureMap.plugins = [];
  window.PostureMap = PostureMap;
}());
