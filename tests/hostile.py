"""A layer full of hostile text, built in memory so that it bypasses the validator: the render
layer must be safe on its own."""

from __future__ import annotations

from pathlib import Path

from geo.catalog import Catalog
from geo.model import Layer

PAYLOADS = [
    "<img src=x onerror=\"window.top.__pwned='img'\">",
    "</script><script>window.top.__pwned='script'</script>",
    "${window.top.__pwned='template'}",
    "`;window.top.__pwned='backtick';`",
    "\\\"; window.top.__pwned='quote'; //",
    "{{ 7*7 }} {% raw %}",
    "{{ 'zq' ~ 'xj' }}",
    "Tom & Jerry's \"quoted\" <b>bold</b> 'single'",
]
HOSTILE_NAME = PAYLOADS[0] + " " + PAYLOADS[6]


def hostile_catalog() -> Catalog:
    text = " | ".join(PAYLOADS)
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [51.315, 25.1173]},
        "properties": {
            "id": "hostile-one",
            "name": HOSTILE_NAME,
            "kind": "airstrike",
            "start": "2024-01-01",
            "location_precision": "stand-in",
            "location_note": text,
            "country": "QA",
            "description": text,
            "actor": text,
            "target": text,
            "claim_status": "claimed",
            "outcome": text,
            "claims": [{"topic": text, "value": text, "source": "javascript:alert(1)"}],
            "sources": [
                {
                    "title": text,
                    "publisher": text,
                    "url": "javascript:alert(1)",
                    "accessed": "2024-01-02",
                    "quote": text,
                },
                {
                    "title": "A real page",
                    "publisher": text,
                    "url": "https://example.org/a?b=1&c=2",
                    "accessed": "2024-01-02",
                },
            ],
        },
    }
    meta = {
        "id": "hostile",
        "title": PAYLOADS[1],
        "group": "events",
        "description": text,
        "visible": True,
        "style": {"color": "red;background:url(x)", "marker": "circle"},
    }
    return Catalog([Layer(Path("hostile.geojson"), meta, [feature])])
