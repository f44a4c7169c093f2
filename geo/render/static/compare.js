/* Compare two dates (geo/compare.py): each feature that changed between A and B carries its
   change in the payload (ch). The map styles them (opened: a green outline; closed: grey and
   dashed; changed hands: a purple outline; struck: a dark red ring) and an exported page lists
   the changes in a panel, each a link that opens its feature. In the app the list is drawn by
   Streamlit below the map. Every text from the data is put on the page as text. */
(function () {
  'use strict';
  var STYLES = {
    opened: { color: '#1a9850', weight: 3.5, opacity: 1 },
    closed: { color: '#7f7f7f', fillColor: '#bdbdbd', weight: 2, dashArray: '5 4',
      opacity: 0.9, fillOpacity: 0.15 },
    'changed-hands': { color: '#7b3294', weight: 3.5, opacity: 1 },
    struck: { color: '#67000d', weight: 2.5, opacity: 1 }
  };
  PostureMap.changeStyles = STYLES;  // a big layer's canvas draws its rows so (points.js)

  function el(tag, cls, text) {
    var item = document.createElement(tag);
    if (cls) { item.className = cls; }
    if (text !== undefined && text !== null) { item.textContent = text; }
    return item;
  }

  function restyle(pm) {
    Object.keys(pm.byId).forEach(function (id) {
      var entry = pm.byId[id];
      var style = STYLES[entry.feature.ch];
      if (!style) { return; }
      entry.drawn.forEach(function (item) {
        if (item.setStyle) { item.setStyle(style); }
        item.postureWeight = style.weight;
      });
    });
  }

  function list(pm, payload) {
    var changes = payload.changes || [];
    var span = payload.time && payload.time.compare;
    if (!span) { return; }
    var control = L.control({ position: 'topleft' });
    control.onAdd = function () {
      var div = el('div', 'posture-panel posture-compare');
      var details = el('details');
      details.open = true;
      details.appendChild(el('summary', null, 'Changes ' + span[0] + ' → ' + span[1] +
        ' (' + changes.length + ')'));
      details.appendChild(el('div', 'posture-compare-key',
        'Green outline: opened · grey, dashed: closed · purple: changed hands · ' +
        'dark red ring: struck'));
      var table = el('table');
      changes.forEach(function (c) {
        var row = el('tr');
        row.setAttribute('data-change', c.c);
        row.appendChild(el('td', 'posture-compare-kind', c.cl));
        row.appendChild(el('td', 'posture-compare-date', c.d));
        var cell = el('td');
        var link = el('a', null, c.n);
        link.href = '#';
        link.setAttribute('data-id', c.i);
        link.addEventListener('click', function (event) {
          event.preventDefault();
          if (pm.timeline) { pm.timeline.open(c.i); } else { pm.select(c.i); }
        });
        cell.appendChild(link);
        if (c.no) { cell.appendChild(el('span', 'posture-compare-note', ' (' + c.no + ')')); }
        row.appendChild(cell);
        table.appendChild(row);
      });
      details.appendChild(table);
      div.appendChild(details);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    control.addTo(pm.map);
    pm.controls.push(control);
  }

  PostureMap.plugins.push({
    init: function () {},
    afterShow: function (pm, payload) {
      restyle(pm);
      if (pm.config.embedded) { list(pm, payload); }
    },
    clear: function () {}
  });
}());
