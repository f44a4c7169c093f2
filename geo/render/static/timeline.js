/* The timeline under the map: events as marks over time, sites and areas as bars over their
   validity, one row per group of layers. Drag across it to set the event window, drag the as-of cursor
   (or focus it and press the arrow keys, Enter to apply), click a mark or a bar to open its
   feature. In the app each change goes to the parent frame (pm.tellParent), which sets the
   view; an exported page filters its own features instead.

   Feature dates come from the payload as ISO days: s0 (first day) and s1 (last day; absent
   while a site lasts). Every text from the data is put on the page as text, never as markup. */
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var DAY = 86400000;
  var MAX_MARKS = 2000;     // a layer with more events is drawn as a monthly count histogram
  var LABEL_WIDTH = 104;
  var PAD_RIGHT = 14;
  var AXIS_HEIGHT = 20;
  var TOP = 14;             // room for the cursor's handle and the date labels
  var MARK_LANES = 6;
  var BAR_LANES = 4;
  var LANE = 4;

  function ms(day) { return Date.parse(day + 'T00:00:00Z'); }
  function iso(time) { return new Date(time).toISOString().slice(0, 10); }

  function node(name, attrs, parent) {
    var item = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (key) { item.setAttribute(key, attrs[key]); });
    if (parent) { parent.appendChild(item); }
    return item;
  }

  function text(parent, x, y, value, cls) {
    var item = node('text', { x: x, y: y, 'class': cls || '' }, parent);
    item.textContent = value;
    return item;
  }

  function titled(item, value) {
    var title = node('title', {}, item);
    title.textContent = value;
    return item;
  }

  /* Whether a payload feature is an event (a mark) rather than something that lasts (a bar);
     the same test as geo.catalog.is_event, on the payload's keys. */
  function isEvent(layer, f) {
    return eventWith(layer, EVENT_FIELDS.some(function (key) { return f[key] !== undefined; }),
      f.k);
  }
  /* The test itself: by the layer's group, a field only events carry, or the kind. */
  function eventWith(layer, hasEventField, kind) {
    return layer.group === 'events' || hasEventField || EVENT_KINDS.indexOf(kind) >= 0;
  }
  var EVENT_FIELDS = ['st', 'et', 'fa'];
  var EVENT_KINDS = ['airstrike', 'missile-attack', 'drone-attack', 'ground-attack', 'sabotage',
    'targeted-killing', 'diplomacy', 'handover'];

  function Timeline(pm) {
    var self = this;
    this.pm = pm;
    this.root = document.createElement('div');
    this.root.className = 'posture-timeline';
    this.root.setAttribute('role', 'group');
    this.root.setAttribute('aria-label', 'Timeline');
    var head = document.createElement('div');
    head.className = 'posture-timeline-head';
    head.textContent = pm.config.embedded
      ? 'Timeline: drag across it to narrow the events shown; drag ▼ to move the as-of date; ' +
        'click a mark to open it.'
      : 'Timeline: drag across it to set the event window; drag ▼ (or focus it and use the ' +
        'arrow keys, Enter) to set the as-of date; click a mark to open it.';
    this.status = document.createElement('span');
    this.status.className = 'posture-timeline-status';
    this.status.setAttribute('aria-live', 'polite');
    head.appendChild(this.status);
    this.root.appendChild(head);
    this.svg = node('svg', { 'class': 'posture-timeline-svg' }, this.root);
    var container = pm.map.getContainer();
    container.parentNode.insertBefore(this.root, container.nextSibling);
    window.addEventListener('resize', function () {
      if (self.payload) { self.draw(self.payload); }
    });
  }

  Timeline.prototype.x = function (time) {
    return this.left + (time - this.t0) / (this.t1 - this.t0) * (this.right - this.left);
  };

  Timeline.prototype.time = function (x) {
    var clamped = Math.max(this.left, Math.min(this.right, x));
    var time = this.t0 + (clamped - this.left) / (this.right - this.left) * (this.t1 - this.t0);
    return Math.round(time / DAY) * DAY;
  };

  /* The axis: the events' span (from the payload, whatever window is shown), widened to take
     in the view's own dates, with a little room on each side. */
  Timeline.prototype.domain = function (time) {
    var days = [time.first, time.last, time.asOf, time.from, time.to];
    if (time.compare) { days = days.concat(time.compare); }
    var times = days.filter(Boolean).map(ms);
    if (!times.length) { times = [Date.now() - 365 * DAY, Date.now()]; }
    var t0 = Math.min.apply(null, times);
    var t1 = Math.max.apply(null, times);
    var pad = Math.max(30 * DAY, (t1 - t0) * 0.03);
    this.t0 = t0 - pad;
    this.t1 = t1 + pad;
  };

  Timeline.prototype.draw = function (payload) {
    var self = this;
    this.payload = payload;
    var time = payload.time || {};
    this.asOf = time.asOf || null;
    this.from = time.from || null;
    this.to = time.to || null;
    this.domain(time);
    var width = Math.max(320, this.root.clientWidth || 800);
    this.left = LABEL_WIDTH;
    this.right = width - PAD_RIGHT;
    while (this.svg.firstChild) { this.svg.removeChild(this.svg.firstChild); }
    var y = TOP;
    var layout = groupRows(payload.layers).map(function (group) {
      var row = self.layoutRow(group, y);
      y += row.height;
      return row;
    });
    var height = y + AXIS_HEIGHT;
    this.svg.setAttribute('width', width);
    this.svg.setAttribute('height', height);
    this.svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    this.height = height;
    this.plotBottom = y;
    this.background = node('rect', { x: this.left, y: 0, width: this.right - this.left,
      height: y, 'class': 'posture-timeline-plot' }, this.svg);
    this.windowBox = node('rect', { y: TOP - 4, height: y - TOP + 4,
      'class': 'posture-timeline-window' }, this.svg);
    this.drawAxis(y);
    layout.forEach(function (row) { self.drawRow(row); });
    if (time.compare) { this.drawCompare(time.compare, y); }
    this.brush = node('rect', { y: TOP - 4, height: y - TOP + 4, width: 0,
      'class': 'posture-timeline-brush' }, this.svg);
    this.brush.style.display = 'none';
    this.drawCursor(y);
    this.placeWindow();
    this.listen();
    this.fit();
  };

  /* One row per group of layers (US posture, regional actors, events, your layers), each item
     in its layer's colour: a compact timeline leaves the map its room. */
  /* A layer's features for the timeline: its own, and a big layer's rows (points.js draws
     those from columns), with just the keys the timeline reads. */
  var TIME_KEYS = ['i', 'n', 'k', 's0', 's1', 'st', 'et', 'fa', 'ch'];
  function columnValue(column, row) {
    if (Array.isArray(column)) { return column[row]; }
    return column.codes[row] < 0 ? null : column.dict[column.codes[row]];
  }
  function given(column, row) {
    if (!column) { return false; }
    var value = columnValue(column, row);
    return value !== null && value !== undefined;
  }
  function eventFieldGiven(columns, row) {
    for (var n = 0; n < EVENT_FIELDS.length; n += 1) {
      if (given(columns[EVENT_FIELDS[n]], row)) { return true; }
    }
    return false;
  }
  function rowFeature(columns, keys, row) {
    var f = {};
    for (var k = 0; k < keys.length; k += 1) {
      var value = columnValue(columns[keys[k]], row);
      if (value !== null && value !== undefined) { f[keys[k]] = value; }
    }
    return f;
  }

  /* A big layer's rows without an object a row, when more of them are events than
     ``MAX_MARKS`` (so its row of the timeline is a histogram): each event's month counted
     from the column's codes, and the rows that last (few, or none) as features. Null for a
     layer that is not such. */
  function bulkRows(layer) {
    var columns = layer.columns;
    if (!columns || columns.rows <= MAX_MARKS || !columns.s0) { return null; }
    var keys = TIME_KEYS.filter(function (key) { return columns[key] !== undefined; });
    var kinds = columns.k;
    var lasting = [];
    var byCode = Array.isArray(columns.s0) ? null : new Int32Array(columns.s0.dict.length);
    var months = {};
    var count = 0;
    for (var r = 0; r < columns.rows; r += 1) {
      if (!given(columns.s0, r)) { continue; }
      var event = eventWith(layer, eventFieldGiven(columns, r),
        kinds ? columnValue(kinds, r) : null);
      if (!event) { lasting.push(rowFeature(columns, keys, r)); continue; }
      count += 1;
      if (byCode) {
        byCode[columns.s0.codes[r]] += 1;
      } else {
        var month = columns.s0[r].slice(0, 7);
        months[month] = (months[month] || 0) + 1;
      }
    }
    if (count <= MAX_MARKS) { return null; }
    if (byCode) {
      columns.s0.dict.forEach(function (day, code) {
        if (!byCode[code]) { return; }
        var month = day.slice(0, 7);
        months[month] = (months[month] || 0) + byCode[code];
      });
    }
    return { layer: layer, months: months, count: count, lasting: lasting };
  }

  function layerRows(layer) {
    var rows = layer.features.slice();
    var columns = layer.columns;
    if (!columns) { return rows; }
    var keys = TIME_KEYS.filter(function (key) { return columns[key] !== undefined; });
    for (var r = 0; r < columns.rows; r += 1) { rows.push(rowFeature(columns, keys, r)); }
    return rows;
  }

  function groupRows(layers) {
    var rows = [];
    var byGroup = {};
    layers.forEach(function (layer) {
      var bulk = bulkRows(layer);
      var features = bulk ? layer.features.concat(bulk.lasting) : layerRows(layer);
      var size = bulk ? layer.features.length + layer.columns.rows : features.length;
      if (!size) { return; }
      var row = byGroup[layer.group];
      if (!row) {
        row = byGroup[layer.group] = { id: layer.group, layers: [], entries: [], bulk: [],
          eventLayer: null, title: GROUP_TITLES[layer.group] || layer.group };
        rows.push(row);
      }
      row.layers.push(layer.title + ' (' + size + ')');
      features.forEach(function (f) {
        if (!f.s0) { return; }
        row.entries.push({ f: f, layer: layer });
        if (!row.eventLayer && isEvent(layer, f)) { row.eventLayer = layer; }
      });
      if (bulk) {
        row.bulk.push(bulk);
        row.eventLayer = row.eventLayer || layer;
      }
    });
    return rows;
  }
  var GROUP_TITLES = { 'us-posture': 'US posture', 'regional-actors': 'Regional actors',
    events: 'Events', user: 'Your layers' };

  function colourOf(layer) {
    return /^#[0-9a-fA-F]{3,8}$/.test(layer.color) ? layer.color : '#555555';
  }

  /* Lanes within a row so that overlapping bars (and marks closer than a few pixels) stay
     apart; once every lane is busy, an item goes to the lane that freed up first. */
  Timeline.prototype.layoutRow = function (row, y) {
    var self = this;
    var events = row.entries.filter(function (e) { return isEvent(e.layer, e.f); });
    var bars = row.entries.length - events.length;
    var eventCount = row.bulk.reduce(function (sum, b) { return sum + b.count; }, events.length);
    var histogram = eventCount > MAX_MARKS;
    var items = [];
    var lanesUsed = 0;
    var mark = eventCount >= bars;
    if (!histogram) {
      var ends = [];
      var lanes = mark ? MARK_LANES : BAR_LANES;
      row.entries.map(function (e) {
        var f = e.f;
        // What began before the axis starts at its left edge; what lasts runs to its right.
        var x0 = Math.max(self.left, self.x(ms(f.s0)));
        var x1 = f.s1 ? Math.min(self.right, self.x(ms(f.s1) + DAY)) : self.right;
        return { f: f, layer: e.layer, x0: x0, x1: Math.max(x1, x0 + 2),
          event: isEvent(e.layer, f) };
      }).sort(function (a, b) { return a.x0 - b.x0; }).forEach(function (item) {
        var gap = item.event ? 7 : 1;
        var lane = 0;
        while (lane < ends.length && ends[lane] + gap > item.x0) { lane += 1; }
        if (lane >= lanes) {  // every lane is busy here: the one that freed up first
          lane = ends.indexOf(Math.min.apply(null, ends));
        }
        ends[lane] = item.event ? item.x0 : item.x1;
        item.lane = lane;
        lanesUsed = Math.max(lanesUsed, lane + 1);
        items.push(item);
      });
    }
    var laneHeight = mark ? 6.5 : LANE;
    var height = histogram ? 34 : Math.max(14, lanesUsed * laneHeight + 6);
    return { row: row, y: y, height: height, items: items, histogram: histogram,
      events: events, laneHeight: laneHeight };
  };

  Timeline.prototype.drawRow = function (row) {
    var self = this;
    var group = node('g', { 'class': 'posture-timeline-row', 'data-group': row.row.id },
      this.svg);
    node('line', { x1: 0, x2: this.right, y1: row.y + row.height, y2: row.y + row.height,
      'class': 'posture-timeline-rule' }, group);
    var label = text(group, 4, row.y + Math.min(row.height, 14) - 3, row.row.title,
      'posture-timeline-label');
    titled(label, row.row.layers.join('; '));
    if (row.histogram) {
      this.drawHistogram(group, row, colourOf(row.row.eventLayer));
      return;
    }
    row.items.forEach(function (item) {
      var f = item.f;
      var colour = colourOf(item.layer);
      var y = row.y + 3 + item.lane * row.laneHeight;
      var shape;
      if (item.event) {
        shape = node('circle', { cx: item.x0, cy: y + 3, r: 3.2, fill: colour,
          'class': 'posture-timeline-mark' }, group);
      } else {
        shape = node('rect', { x: item.x0, y: y, width: Math.max(2, item.x1 - item.x0),
          height: row.laneHeight - 1, fill: colour, 'class': 'posture-timeline-bar' }, group);
      }
      shape.setAttribute('data-id', f.i);
      shape.setAttribute('data-start', f.s0);
      if (f.ch) { shape.setAttribute('data-change', f.ch); }
      shape.setAttribute('tabindex', '-1');
      titled(shape, f.n + ' (' + (f.dl || f.s0) + ') · ' + item.layer.title);
      shape.addEventListener('click', function (event) {
        event.stopPropagation();
        if (!self.dragged) { self.open(f.i); }
      });
    });
  };

  /* Too many events to draw one by one: a bar per month, its height the count. A click on a
     bar narrows the window to its month. */
  Timeline.prototype.drawHistogram = function (group, row, colour) {
    var self = this;
    var counts = {};
    row.events.forEach(function (e) {
      var month = e.f.s0.slice(0, 7);
      counts[month] = (counts[month] || 0) + 1;
    });
    row.row.bulk.forEach(function (bulk) {
      Object.keys(bulk.months).forEach(function (month) {
        counts[month] = (counts[month] || 0) + bulk.months[month];
      });
    });
    var months = Object.keys(counts);
    var most = Math.max.apply(null, months.map(function (m) { return counts[m]; }));
    months.forEach(function (month) {
      var start = ms(month + '-01');
      var next = new Date(start);
      next.setUTCMonth(next.getUTCMonth() + 1);
      var x0 = self.x(start);
      var x1 = self.x(next.getTime());
      var h = Math.max(1, (row.height - 6) * counts[month] / most);
      var bar = node('rect', { x: x0, y: row.y + row.height - 2 - h, width: Math.max(1, x1 - x0),
        height: h, fill: colour, 'class': 'posture-timeline-bin', 'data-month': month }, group);
      titled(bar, counts[month].toLocaleString('en') + ' events in ' + month);
      bar.addEventListener('click', function () {
        if (!self.dragged) { self.setWindow(iso(start), iso(next.getTime() - DAY)); }
      });
    });
  };

  Timeline.prototype.drawAxis = function (y) {
    var years = (this.t1 - this.t0) / (365.25 * DAY);
    var px = (this.right - this.left) / years;  // per year
    var steps = [1, 2, 5, 10, 20, 25, 50, 100];
    var step = steps.filter(function (s) { return s * px >= 46; })[0] || 100;
    var axis = node('g', { 'class': 'posture-timeline-axis' }, this.svg);
    node('line', { x1: this.left, x2: this.right, y1: y, y2: y }, axis);
    var first = new Date(this.t0).getUTCFullYear();
    var last = new Date(this.t1).getUTCFullYear();
    for (var year = Math.ceil(first / step) * step; year <= last; year += step) {
      var x = this.x(Date.UTC(year, 0, 1));
      if (x < this.left || x > this.right) { continue; }
      node('line', { x1: x, x2: x, y1: TOP - 4, y2: y + 4, 'class': 'posture-timeline-tick' },
        axis);
      text(axis, x, y + 15, String(year), 'posture-timeline-year');
    }
    if (px >= 240) {  // a few years across: months too
      for (var t = Date.UTC(first, 0, 1); t <= this.t1; ) {
        var d = new Date(t);
        d.setUTCMonth(d.getUTCMonth() + 1);
        t = d.getTime();
        var mx = this.x(t);
        if (d.getUTCMonth() !== 0 && mx > this.left && mx < this.right) {
          node('line', { x1: mx, x2: mx, y1: y, y2: y + 3 }, axis);
        }
      }
    }
  };

  Timeline.prototype.drawCompare = function (span, y) {
    var self = this;
    ['A', 'B'].forEach(function (name, index) {
      var x = self.x(ms(span[index]) + (index ? DAY : 0));
      var g = node('g', { 'class': 'posture-timeline-compare', 'data-compare': name }, self.svg);
      node('line', { x1: x, x2: x, y1: TOP - 4, y2: y }, g);
      titled(text(g, x + 3, TOP + 6, name + ' ' + span[index], 'posture-timeline-compare-label'),
        (index ? 'B, after: ' : 'A, before: ') + span[index]);
    });
  };

  Timeline.prototype.drawCursor = function (y) {
    var self = this;
    var cursor = node('g', { 'class': 'posture-timeline-cursor', tabindex: '0',
      role: 'slider', 'aria-label': 'As-of date' }, this.svg);
    node('line', { x1: 0, x2: 0, y1: TOP - 4, y2: y }, cursor);
    node('rect', { x: -6, y: 0, width: 12, height: y, 'class': 'posture-timeline-grip' }, cursor);
    node('path', { d: 'M -7 0 L 7 0 L 0 10 Z', 'class': 'posture-timeline-handle' }, cursor);
    // The date's label rides beside the slider, outside it: the focused control's box is the
    // grip itself, not a box stretched over the bars by a label.
    this.cursorTag = node('g', { 'class': 'posture-timeline-cursor-tag', 'aria-hidden': 'true' },
      this.svg);
    this.cursorLabel = text(this.cursorTag, 9, 9, '', 'posture-timeline-cursor-label');
    this.cursor = cursor;
    this.placeCursor(this.asOf);
    cursor.addEventListener('keydown', function (event) {
      var d = new Date(self.shownAsOf ? ms(self.shownAsOf) : self.t1);
      if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
        // A month a press (a year with Shift), on the day the steps began, clamped to the
        // month's end: 30 Jun, 30 May, ..., 28 Feb, 30 Mar, as the sidebar's steps do.
        var steps = (event.key === 'ArrowLeft' ? -1 : 1) * (event.shiftKey ? 12 : 1);
        if (!self.keyDay) { self.keyDay = d.getUTCDate(); }
        var month = d.getUTCFullYear() * 12 + d.getUTCMonth() + steps;
        var year = Math.floor(month / 12);
        var last = new Date(Date.UTC(year, month % 12 + 1, 0)).getUTCDate();
        var time = Date.UTC(year, month % 12, Math.min(self.keyDay, last));
        self.placeCursor(iso(Math.max(self.t0, Math.min(self.t1, time))), true);
        event.preventDefault();
      } else if (event.key === 'Enter' && self.shownAsOf) {
        self.setAsOf(self.shownAsOf);
        event.preventDefault();
      }
    });
  };

  Timeline.prototype.placeCursor = function (day, byKey) {
    this.shownAsOf = day;
    if (!byKey) { this.keyDay = null; }
    if (!day) {
      this.cursor.style.display = 'none';
      this.cursorTag.style.display = 'none';
      return;
    }
    this.cursor.style.display = '';
    this.cursorTag.style.display = '';
    var x = this.x(ms(day) + DAY / 2);
    this.cursor.setAttribute('transform', 'translate(' + x + ',0)');
    this.cursorTag.setAttribute('transform', 'translate(' + x + ',0)');
    this.cursor.setAttribute('aria-valuetext', day);
    this.cursor.setAttribute('data-date', day);
    this.cursorLabel.textContent = 'as of ' + day;
    var flip = x > this.right - 110;
    this.cursorLabel.setAttribute('x', flip ? -9 : 9);
    this.cursorLabel.setAttribute('text-anchor', flip ? 'end' : 'start');
  };

  Timeline.prototype.placeWindow = function () {
    var start = this.from ? this.x(ms(this.from)) : this.left;
    var end = this.to ? this.x(ms(this.to) + DAY) : this.right;
    start = Math.max(this.left, start);
    end = Math.min(this.right, end);
    this.windowBox.setAttribute('x', start);
    this.windowBox.setAttribute('width', Math.max(0, end - start));
    this.windowBox.setAttribute('data-from', this.from || '');
    this.windowBox.setAttribute('data-to', this.to || '');
  };

  /* Pointer handling: a drag that starts on the cursor moves it; one that starts anywhere
     else on the plot (a mark or a bar included) draws the brush. Both are applied when the
     pointer is released. The pointer is captured only once a drag has begun, so that a
     plain click still reaches the mark under it. */
  Timeline.prototype.listen = function () {
    var self = this;
    var svg = this.svg;
    function at(event) {
      var box = svg.getBoundingClientRect();
      return event.clientX - box.left;
    }
    if (this.listening) { return; }
    this.listening = true;
    svg.addEventListener('pointerdown', function (event) {
      if (event.button !== 0) { return; }
      var onCursor = self.cursor.contains(event.target) || self.cursorTag.contains(event.target);
      self.drag = { cursor: onCursor, x: at(event), moved: false };
      if (onCursor) { svg.setPointerCapture(event.pointerId); }
      event.preventDefault();
    });
    svg.addEventListener('pointermove', function (event) {
      var drag = self.drag;
      if (!drag) { return; }
      var x = at(event);
      if (!drag.moved && Math.abs(x - drag.x) > 3) {
        drag.moved = true;
        if (!drag.cursor) { svg.setPointerCapture(event.pointerId); }
      }
      if (drag.cursor) {
        self.placeCursor(iso(self.time(x)));
      } else if (drag.moved) {
        var lo = Math.max(self.left, Math.min(drag.x, x));
        var hi = Math.min(self.right, Math.max(drag.x, x));
        self.brush.style.display = '';
        self.brush.setAttribute('x', lo);
        self.brush.setAttribute('width', hi - lo);
        self.status.textContent = ' Events ' + iso(self.time(lo)) + ' – ' +
          iso(self.time(hi) - DAY);
      }
    });
    function end(event) {
      var drag = self.drag;
      self.drag = null;
      if (!drag) { return; }
      self.dragged = drag.moved;  // the click that follows a drag opens nothing
      window.setTimeout(function () { self.dragged = false; }, 0);
      var x = at(event);
      if (drag.cursor) {
        if (self.shownAsOf !== self.asOf) { self.setAsOf(self.shownAsOf); }
      } else if (drag.moved) {
        var lo = self.time(Math.min(drag.x, x));
        var hi = self.time(Math.max(drag.x, x)) - DAY;
        self.setWindow(iso(lo), iso(Math.max(lo, hi)));
      }
    }
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', function () {
      self.drag = null;
      self.brush.style.display = 'none';
    });
  };

  Timeline.prototype.setWindow = function (from, to) {
    this.from = from;
    this.to = to;
    this.placeWindow();
    this.brush.style.display = 'none';
    this.status.textContent = ' Events ' + from + ' – ' + to;
    this.root.setAttribute('data-window', from + '..' + to);
    if (this.pm.config.embedded) { this.filter(); }
    else { this.pm.tellParent({ posture: 'window', from: from, to: to }); }
  };

  Timeline.prototype.setAsOf = function (day) {
    this.asOf = day;
    this.placeCursor(day);
    this.status.textContent = ' As of ' + day;
    this.root.setAttribute('data-asof', day);
    if (this.pm.config.embedded) { this.filter(); }
    else { this.pm.tellParent({ posture: 'asof', date: day }); }
  };

  /* An exported page holds only the features of its view; narrowing the window or moving
     the cursor hides those that fall outside, and the count follows. */
  Timeline.prototype.filter = function () {
    var pm = this.pm;
    var self = this;
    var from = this.from ? ms(this.from) : -Infinity;
    var to = this.to ? ms(this.to) : Infinity;
    var asOf = this.asOf ? ms(this.asOf) : null;
    var count = 0;
    this.payload.layers.forEach(function (layer, index) {
      var group = pm.groups[index];
      if (!group) { return; }
      // A big layer's canvas is not narrowed in the page: its rows stay drawn and counted.
      count += layer.columns ? layer.columns.rows : 0;
      layer.features.forEach(function (f) {
        var entry = pm.entry(f.i);
        if (!entry || !f.s0) { return; }
        var s0 = ms(f.s0);
        var s1 = f.s1 ? ms(f.s1) : Infinity;
        var shown = isEvent(layer, f) ? s1 >= from && s0 <= to
          : asOf === null || (s0 <= asOf && s1 >= asOf) || Boolean(f.ch);
        entry.drawn.forEach(function (item) {
          if (shown && !group.hasLayer(item)) { group.addLayer(item); }
          if (!shown && group.hasLayer(item)) { group.removeLayer(item); }
        });
        count += shown ? 1 : 0;
        var mark = self.svg.querySelector('[data-id="' + cssEscape(f.i) + '"]');
        if (mark) { mark.classList.toggle('posture-timeline-off', !shown); }
      });
    });
    pm.map.getContainer().setAttribute('data-feature-count', String(count));
    this.status.textContent += ' · ' + count + ' features shown';
  };

  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : value.replace(/["\\]/g, '\\$&');
  }

  /* Select a feature and open its popup, as a click on the map does. */
  Timeline.prototype.open = function (id) {
    var pm = this.pm;
    var entry = pm.entry(id);
    pm.select(id);
    if (!entry) { return; }
    var item = entry.drawn[0];
    var group = pm.groups.filter(function (g) { return g.hasLayer(item); })[0];
    if (!group) { return; }
    if (item.getLatLng) { pm.map.panTo(item.getLatLng(), { animate: false }); }
    item.openPopup();
  };

  /* The map gives the timeline the room it needs below it. */
  Timeline.prototype.fit = function () {
    var container = this.pm.map.getContainer();
    var room = this.root.offsetHeight;
    container.style.height = 'calc(100% - ' + room + 'px)';
    this.pm.map.invalidateSize({ animate: false });
    this.root.setAttribute('data-timeline-ready', '1');  // data-ready is the map's own
  };

  PostureMap.plugins.push({
    init: function (pm) { pm.timeline = new Timeline(pm); },
    afterShow: function (pm, payload) {
      if (!pm.pointLayers || !pm.pointLayers.length) { pm.timeline.draw(payload); return; }
      // A big layer: the map is drawn first and its timeline (every row, counted by month)
      // a frame later, as its long text is (posture.js showEmbedded).
      pm.whenDrawn(function () {
        requestAnimationFrame(function () { setTimeout(function () {
          if (pm.payload === payload) { pm.timeline.draw(payload); }
        }, 0); });
      });
    },
    clear: function () {}
  });
}());
