"""The imported layer as text, in exactly the canonical form ``python -m geo fmt`` writes, but
fast enough for hundreds of thousands of features.

``geo.fmt.canonical_text`` walks every value in Python; here orjson writes each feature in C
with two-space indentation, and the one difference from the canonical form (a position on one
line) is made with one substitution. Only documents built by the importers come here: their
only lists of numbers are positions and their only floats are coordinates.
"""

from __future__ import annotations

import gc
import json
import re
from typing import Any

import orjson

from geo.schema import property_names

# A position as orjson indents it: "[\n<spaces>lon,\n<spaces>lat\n<spaces>]".
_POSITION = re.compile(rb"\[\n *(-?[0-9][0-9.eE+-]*),\n *(-?[0-9][0-9.eE+-]*)\n *\]")
_INDENT = b"\n    "


def layer_bytes(doc: dict[str, Any]) -> bytes:
    """UTF-8 bytes of ``doc`` in the canonical form (see geo/fmt.py)."""
    collecting = gc.isenabled()
    gc.disable()  # as in geo.ingest.rows: many new objects, no cycles
    try:
        return _layer_bytes(doc)
    finally:
        if collecting:
            gc.enable()


def _layer_bytes(doc: dict[str, Any]) -> bytes:
    layer_keys = property_names("layer")
    head = {
        "type": doc["type"],
        "layer": _ordered(doc["layer"], layer_keys),
        "features": [],
    }
    text = _dump(head)
    features = doc["features"]
    if not features:
        return text + b"\n"
    assert text.endswith(b'"features": []\n}')
    pieces = [text[: -len(b"[]\n}")], b"[\n    "]
    prop_keys, source_keys = property_names("properties"), property_names("source")
    for number, feature in enumerate(features):
        if number:
            pieces.append(b",\n    ")
        pieces.append(_dump(_feature(feature, prop_keys, source_keys)).replace(b"\n", _INDENT))
    pieces.append(b"\n  ]\n}\n")
    return b"".join(pieces)


def _dump(value: Any) -> bytes:
    return _POSITION.sub(_position, orjson.dumps(value, option=orjson.OPT_INDENT_2))


def _position(match: re.Match[bytes]) -> bytes:
    # Python's float repr, as the canonical form writes numbers (orjson writes 1e-6, not 1e-06).
    lon, lat = (json.dumps(float(group)).encode() for group in match.groups())
    return b"[" + lon + b", " + lat + b"]"


def _feature(feature: dict[str, Any], prop_keys: list[str], source_keys: list[str]) -> dict:
    props = _ordered(feature["properties"], prop_keys)
    props["sources"] = [_ordered(source, source_keys) for source in props["sources"]]
    geometry = feature["geometry"]
    return {
        "type": "Feature",
        "geometry": {"type": geometry["type"], "coordinates": geometry["coordinates"]},
        "properties": props,
    }


def _ordered(obj: dict[str, Any], order: list[str]) -> dict[str, Any]:
    """Known keys in the data dictionary's order, then any others sorted (as fmt orders)."""
    known = [key for key in order if key in obj]
    rest = sorted(key for key in obj if key not in order)
    return {key: obj[key] for key in known + rest}
