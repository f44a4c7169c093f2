/* Big point layers: every point of a layer drawn on one canvas, hit-tested through a KDBush
 * index (vendor/kdbush.js), with the tooltip and popup built only for the point under the mouse.
 *
 * The payload sends such a layer as ``columns`` (see geo/render/payload.py); a row's feature
 * object is rebuilt on demand, so the popup is the one every other feature gets
 * (pm.popup(layer, feature)). Exact points are solid and the others (approximate, stand-in,
 * region) hollow and dashed, as for small layers; each point is drawn on its own, never merged.
 *
 * For other scripts: pm.pointLayers lists the big layers of the map, and each has
 * featuresAt(latlng, radiusPx) -> [{layer, feature}] of every point under that spot, topmost first.
 * pm.entry(id) finds every row by its id (entryOf), so pm.highlight(id) and the app's selection
 * work as for others.
 */
(function () {
  'use strict';

  var HEX = /^#[0-9a-fA-F]{6}$/;
  var RADIUS = 7;
  var DEG = Math.PI / 180;
  var MAX_LAT = 85.0511287798;  // L.Projection.SphericalMercator.MAX_LATITUDE
  var WEIGHT = 2;
  var SELECTED_WEIGHT = 4;
  var CLICK_RADIUS = RADIUS + WEIGHT;

  function color(value) { return HEX.test(value) ? value : '#555555'; }

  function columnValue(column, row) {
    if (Array.isArray(column)) { return column[row]; }
    var code = column.codes[row];
    return code < 0 ? null : column.dict[code];
  }

  /* The feature object of one row, with the keys small layers' features have. While the
     layer's long text is apart (geo/render/details.py) and this row's has not come, the
     feature is marked ``pending`` and named by its kind and date. */
  function rowFeature(layer, row) {
    var columns = layer.columns;
    var feature = {};
    Object.keys(columns).forEach(function (key) {
      if (key === 'rows' || key === 'x' || key === 'y') { return; }
      var value = columnValue(columns[key], row);
      if (value !== null && value !== undefined) { feature[key] = value; }
    });
    feature.g = { type: 'Point', coordinates: [columns.x[row], columns.y[row]] };
    if (layer.details === 'apart') {
      var extra = layer.rowDetails && layer.rowDetails[row];
      if (extra) {
        Object.keys(extra).forEach(function (key) { feature[key] = extra[key]; });
      } else {
        feature.pending = true;
        feature.n = [feature.kl, feature.dl].filter(function (b) { return !!b; }).join(', ');
      }
    }
    return feature;
  }

  /* Compare two dates: a row that changed between them is drawn in that change's style, as
     compare.js restyles a small layer's markers (its styles, in their order). */
  function changeKinds() { return Object.keys(PostureMap.changeStyles || {}); }

  /* How a row is drawn: a code per row, its precision (exact 0, else 1) plus twice its change
     (0 for none, else 1 + its place in ``kinds``), and the marker of each code. */
  function styleCode(columns, row, kinds) {
    var loose = columnValue(columns.lp, row) === 'exact' ? 0 : 1;
    var change = columns.ch ? kinds.indexOf(columnValue(columns.ch, row)) + 1 : 0;
    return loose + 2 * change;
  }

  function markerSpec(hex, code, weight, kinds) {
    var loose = code % 2 === 1;
    var spec = { fill: hex, stroke: hex, fillOpacity: loose ? 0.15 : 0.8, opacity: 0.95,
      weight: weight, dash: loose ? [4, 3] : null };
    var change = Math.floor(code / 2);
    var style = change && PostureMap.changeStyles[kinds[change - 1]];
    if (style) {
      spec.stroke = color(style.color);
      if (style.fillColor) { spec.fill = color(style.fillColor); }
      if (style.fillOpacity !== undefined) { spec.fillOpacity = style.fillOpacity; }
      if (style.opacity !== undefined) { spec.opacity = style.opacity; }
      if (style.dashArray) { spec.dash = style.dashArray.split(' ').map(Number); }
      if (weight === WEIGHT) { spec.weight = style.weight; }
    }
    return spec;
  }

  /* The marker drawn once, into a small canvas that every point of its kind copies. */
  function sprite(shape, spec, ratio) {
    var weight = spec.weight;
    var reach = RADIUS * 1.3 + weight + 1;
    var size = Math.ceil(2 * reach * ratio);
    var canvas = document.createElement('canvas');
    canvas.width = size;
    canvas.height = size;
    var ctx = canvas.getContext('2d');
    ctx.scale(ratio, ratio);
    var c = reach;
    var r = RADIUS;
    ctx.beginPath();
    if (shape === 'square') {
      ctx.rect(c - r, c - r, 2 * r, 2 * r);
    } else if (shape === 'diamond') {
      r = r * 1.25;
      ctx.moveTo(c, c - r); ctx.lineTo(c + r, c); ctx.lineTo(c, c + r); ctx.lineTo(c - r, c);
      ctx.closePath();
    } else if (shape === 'triangle') {
      r = r * 1.3;
      ctx.moveTo(c, c - r); ctx.lineTo(c + r, c + r * 0.8); ctx.lineTo(c - r, c + r * 0.8);
      ctx.closePath();
    } else {
      ctx.arc(c, c, r, 0, Math.PI * 2);
    }
    ctx.fillStyle = spec.fill;
    ctx.globalAlpha = spec.fillOpacity;
    ctx.fill();
    ctx.globalAlpha = spec.opacity;
    ctx.strokeStyle = spec.stroke;
    ctx.lineWidth = weight;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    if (spec.dash) { ctx.setLineDash(spec.dash); }
    ctx.stroke();
    return { canvas: canvas, half: Math.floor(size / 2) };  // whole pixels: no resampling
  }

  /* What pm.entry(id) gives for a row: the same shape as a small layer's entry, made cheaply. */
  function RowEntry(points, row) {
    this.points = points;
    this.row = row;
    this.layer = points.layer;
  }
  RowEntry.prototype.postureWeight = WEIGHT;
  Object.defineProperty(RowEntry.prototype, 'feature', {
    get: function () { return rowFeature(this.points.layer, this.row); }
  });
  Object.defineProperty(RowEntry.prototype, 'drawn', {
    get: function () { return [this]; }
  });
  RowEntry.prototype.setStyle = function (style) {
    this.points.setSelectedRow(style.weight > WEIGHT ? this.row : null, this.row);
  };

  var PointsLayer = L.Layer.extend({
    options: { pane: 'posture-points', padding: 0.1 },

    initialize: function (pm, layer) {
      this.pm = pm;
      this.layer = layer;
      this.columns = layer.columns;
      this.selectedRow = null;
      var columns = this.columns;
      var rows = columns.rows;
      var crs = pm.map.options.crs;
      this._px = new Float64Array(rows);
      this._py = new Float64Array(rows);
      this._style = new Uint8Array(rows);
      this._index = null;  // the hit-test index, made when first asked (hitIndex)
      var mercator = crs === L.CRS.EPSG3857;
      var kinds = changeKinds();
      for (var n = 0; n < rows; n++) {
        if (mercator) {  // Leaflet's own projection at zoom 0, without two objects a point
          var sin = Math.sin(Math.max(Math.min(columns.y[n], MAX_LAT), -MAX_LAT) * DEG);
          this._px[n] = 128 + columns.x[n] * 256 / 360;
          this._py[n] = 128 - 128 / Math.PI * 0.5 * Math.log((1 + sin) / (1 - sin));
        } else {
          var p = crs.latLngToPoint(L.latLng(columns.y[n], columns.x[n]), 0);
          this._px[n] = p.x;
          this._py[n] = p.y;
        }
        this._style[n] = styleCode(columns, n, kinds);
      }
      this._rowById = null;  // id -> row, made when first asked (entryOf)
      this._entries = {};
      this._sprites = null;   // the marker of each style code, and selected
      this._chosen = null;
    },

    /* The KDBush index of the rows' projected points, made on the first hit test: sorting
       100,000 points took about 80 ms of a first draw, and no one points at a row before
       it is drawn. */
    hitIndex: function () {
      if (!this._index) {
        var px = this._px;
        var py = this._py;
        this._index = new KDBush(px.length);
        for (var n = 0; n < px.length; n++) { this._index.add(px[n], py[n]); }
        this._index.finish();
      }
      return this._index;
    },

    /* The entry of the row with this id, or null: what pm.entry(id) finds for a big layer. */
    entryOf: function (id) {
      var columns = this.columns;
      if (!this._rowById) {
        this._rowById = Object.create(null);
        if (columns.i) {
          for (var m = 0; m < columns.rows; m++) { this._rowById[columnValue(columns.i, m)] = m; }
        }
      }
      var row = this._rowById[id];
      if (row === undefined) { return null; }
      if (!this._entries[row]) { this._entries[row] = new RowEntry(this, row); }
      return this._entries[row];
    },

    onAdd: function (map) {
      var canvas = this._canvas = L.DomUtil.create('canvas', 'posture-points-canvas');
      canvas.style.pointerEvents = 'none';
      if (map._zoomAnimated) { L.DomUtil.addClass(canvas, 'leaflet-zoom-animated'); }
      this.getPane().appendChild(canvas);
      this._reset();
    },

    onRemove: function () {
      L.DomUtil.remove(this._canvas);
      this._canvas = null;
    },

    getEvents: function () {
      var events = { viewreset: this._reset, zoom: this._onZoom, moveend: this._reset,
        resize: this._reset };
      if (this._map._zoomAnimated) { events.zoomanim = this._animateZoom; }
      return events;
    },

    _animateZoom: function (e) { this._transform(e.center, e.zoom); },

    _onZoom: function () { this._transform(this._map.getCenter(), this._map.getZoom()); },

    /* Scale the drawn canvas while Leaflet animates a zoom, as its own renderers do. */
    _transform: function (center, zoom) {
      if (!this._center) { return; }
      var map = this._map;
      var scale = map.getZoomScale(zoom, this._zoom);
      var half = map.getSize().multiplyBy(0.5 + this.options.padding);
      var offset = half.multiplyBy(-scale).add(map.project(this._center, zoom))
        .subtract(map._getNewPixelOrigin(center, zoom));
      L.DomUtil.setTransform(this._canvas, offset, scale);
    },

    _reset: function () {
      if (!this._canvas) { return; }
      var map = this._map;
      var padding = this.options.padding;
      var size = map.getSize();
      var min = map.containerPointToLayerPoint(size.multiplyBy(-padding)).round();
      var extent = size.multiplyBy(1 + padding * 2).round();
      this._min = min;
      this._center = map.getCenter();
      this._zoom = map.getZoom();
      L.DomUtil.setPosition(this._canvas, min);
      var ratio = window.devicePixelRatio || 1;
      this._canvas.width = Math.round(extent.x * ratio);
      this._canvas.height = Math.round(extent.y * ratio);
      this._canvas.style.width = extent.x + 'px';
      this._canvas.style.height = extent.y + 'px';
      if (!this._sprites || this._ratio !== ratio) {
        var hex = color(this.layer.color);
        var shape = this.layer.marker || 'circle';
        this._ratio = ratio;
        this._sprites = [];
        this._chosen = [];
        var kinds = changeKinds();
        for (var code = 0; code < 2 * (kinds.length + 1); code++) {
          this._sprites.push(sprite(shape, markerSpec(hex, code, WEIGHT, kinds), ratio));
          this._chosen.push(sprite(shape, markerSpec(hex, code, SELECTED_WEIGHT, kinds), ratio));
        }
        this._margin = Math.max.apply(null, this._sprites.concat(this._chosen).map(
          function (made) { return Math.ceil(made.half); }));
      }
      this._scheduleDraw();
    },

    /* Draw once per frame, however many moves and resets came before it. */
    _scheduleDraw: function () {
      if (this._frame) { return; }
      this._frame = L.Util.requestAnimFrame(function () {
        this._frame = null;
        if (this._canvas) { this._draw(); }
        this.pm.pointsDrawn();
      }, this);
    },

    isDrawn: function () { return !this._frame; },

    _draw: function () {
      var ctx = this._canvas.getContext('2d');
      var ratio = this._ratio;
      var width = this._canvas.width;
      var height = this._canvas.height;
      ctx.clearRect(0, 0, width, height);
      var scale = this._map.options.crs.scale(this._zoom) / this._map.options.crs.scale(0);
      var origin = this._map.getPixelOrigin();
      var ox = origin.x + this._min.x;
      var oy = origin.y + this._min.y;
      var px = this._px;
      var py = this._py;
      var styles = this._style;
      var sprites = this._sprites;
      var margin = this._margin;
      // Where a marker of each style already sits, by whole pixel: a second marker of the same
      // style on the same pixel would look the same, so it is not drawn again. Styles never
      // share a pixel's entry, so an approximate point never hides behind an exact one.
      var across = width + 2 * margin;
      var taken = [];
      for (var n = 0, rows = px.length; n < rows; n++) {
        var x = Math.round((px[n] * scale - ox) * ratio);
        var y = Math.round((py[n] * scale - oy) * ratio);
        if (x < -margin || y < -margin || x >= width + margin || y >= height + margin) {
          continue;
        }
        var style = styles[n];
        var cell = (y + margin) * across + x + margin;
        if (!taken[style]) { taken[style] = new Uint8Array(across * (height + 2 * margin)); }
        if (taken[style][cell]) { continue; }
        taken[style][cell] = 1;
        var s = sprites[style];
        ctx.drawImage(s.canvas, x - s.half, y - s.half);
      }
      if (this.selectedRow !== null) {
        var chosen = this._chosen[styles[this.selectedRow]];
        ctx.drawImage(chosen.canvas,
          Math.round((px[this.selectedRow] * scale - ox) * ratio - chosen.half),
          Math.round((py[this.selectedRow] * scale - oy) * ratio - chosen.half));
      }
      this.drawCount = (this.drawCount || 0) + 1;
    },

    /* Mark ``row`` as selected (null: none); ``asked`` is the row whose entry was restyled,
       so that unmarking an old selection leaves a newer one alone. */
    setSelectedRow: function (row, asked) {
      if (row === null && this.selectedRow !== asked) { return; }
      this.selectedRow = row;
      if (this._canvas) { this._scheduleDraw(); }
    },

    rowFeature: function (row) { return rowFeature(this.layer, row); },

    latLngOf: function (row) { return L.latLng(this.columns.y[row], this.columns.x[row]); },

    /* Rows within radiusPx screen pixels of latlng, topmost (drawn last) first. */
    rowsAt: function (latlng, radiusPx) {
      if (!this._map) { return []; }
      var crs = this._map.options.crs;
      var p = crs.latLngToPoint(L.latLng(latlng), 0);
      var scale = crs.scale(this._map.getZoom()) / crs.scale(0);
      var rows = this.hitIndex().within(p.x, p.y, radiusPx / scale);
      return rows.sort(function (a, b) { return b - a; });
    },

    featuresAt: function (latlng, radiusPx) {
      var self = this;
      var radius = typeof radiusPx === 'number' ? radiusPx : CLICK_RADIUS;
      return this.rowsAt(latlng, radius).map(function (row) {
        return { layer: self.layer, feature: self.rowFeature(row) };
      });
    }
  });

  /* The topmost point of the big layers under ``latlng``: {points, row} or null. */
  function pointAt(pm, latlng) {
    for (var n = pm.pointLayers.length - 1; n >= 0; n--) {
      var points = pm.pointLayers[n];
      if (!pm.map.hasLayer(points)) { continue; }
      var rows = points.rowsAt(latlng, CLICK_RADIUS);
      if (rows.length) { return { points: points, row: rows[0] }; }
    }
    return null;
  }

  PostureMap.PointsLayer = PointsLayer;

  /* The exported page's long text of its big layers, ``{layer index: {key: column}}``. */
  PostureMap.prototype.addDetails = function (details) {
    var layers = this.payload ? this.payload.layers : [];
    Object.keys(details).forEach(function (key) {
      var layer = layers[Number(key)];
      if (!layer || layer.details !== 'apart') { return; }
      var apart = details[key];
      Object.keys(apart).forEach(function (name) { layer.columns[name] = apart[name]; });
      delete layer.details;
    });
    this.detailsArrived();
  };

  /* The app's long text of one row, sent when the row is selected (geo/app/map_component.py):
     ``{layer, row, id, values}``; kept only if that row still has that id. */
  PostureMap.prototype.addRowDetails = function (message) {
    var layer = this.payload && this.payload.layers[message.layer];
    if (!layer || !layer.columns || typeof message.row !== 'number' ||
        columnValue(layer.columns.i, message.row) !== message.id ||
        !message.values || typeof message.values !== 'object') {
      return;
    }
    layer.rowDetails = layer.rowDetails || {};
    layer.rowDetails[message.row] = message.values;
    this.detailsArrived();
  };

  /* An open popup that waits for its row's text gets it. */
  PostureMap.prototype.detailsArrived = function () {
    var popup = this.map._popup;
    if (!popup || !this.map.hasLayer(popup)) { return; }
    var content = popup.getContent();
    if (!content || !content.querySelector || !content.querySelector('.posture-pending')) {
      return;
    }
    var entry = this.entry(content.getAttribute('data-feature-id'));
    if (!entry || !entry.points) { return; }
    var feature = entry.feature;
    if (!feature.pending) { popup.setContent(this.popup(entry.layer, feature)); }
  };

  /* Call ``done`` once every big layer on the map has drawn (at once if none waits). */
  PostureMap.prototype.whenDrawn = function (done) {
    this.drawnWaiters = this.drawnWaiters || [];
    this.drawnWaiters.push(done);
    this.pointsDrawn();
  };

  PostureMap.prototype.pointsDrawn = function () {
    var map = this.map;
    var waiting = (this.pointLayers || []).some(function (points) {
      return map.hasLayer(points) && !points.isDrawn();
    });
    if (waiting || !this.drawnWaiters) { return; }
    var waiters = this.drawnWaiters;
    this.drawnWaiters = [];
    waiters.forEach(function (done) { done(); });
  };
  PostureMap.plugins.push({
    init: function (pm) {
      pm.pointLayers = [];
      var map = pm.map;
      var tooltip = L.tooltip({ direction: 'top', offset: [0, -RADIUS] });
      var hovered = null;
      map.on('mousemove', function (e) {
        var hit = pointAt(pm, e.latlng);
        var key = hit ? hit.points.layer.id + '\n' + hit.row : null;
        if (key === hovered) { return; }
        hovered = key;
        map.getContainer().style.cursor = hit ? 'pointer' : '';
        if (!hit) { map.closeTooltip(tooltip); return; }
        var name = document.createElement('span');
        name.textContent = String(hit.points.rowFeature(hit.row).n);
        tooltip.setLatLng(hit.points.latLngOf(hit.row)).setContent(name);
        map.openTooltip(tooltip);
      });
      map.on('mouseout', function () {
        hovered = null;
        map.getContainer().style.cursor = '';
        map.closeTooltip(tooltip);
      });
      /* Leaflet fires a click on the map only when no marker of a small layer took it, so a
         base drawn above a big layer's point keeps its clicks. */
      map.on('click', function (e) {
        var hit = pointAt(pm, e.latlng);
        if (!hit) { return; }
        var feature = hit.points.rowFeature(hit.row);
        L.popup({ maxWidth: 380, maxHeight: 420 })
          .setLatLng(hit.points.latLngOf(hit.row))
          .setContent(pm.popup(hit.points.layer, feature))
          .openOn(map);
        pm.select(feature.i);
      });
    },
    clear: function (pm) { pm.pointLayers = []; }
  });
}());
