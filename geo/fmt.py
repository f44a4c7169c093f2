"""Write layer files in one canonical form so that pull-request diffs stay small.

The canonical form: keys in the order of the data dictionary (unknown keys kept, after the known
ones, sorted), coordinates rounded to six decimals (about 0.1 m), RFC 7946 ring winding, two-space
indentation with each position on one line, UTF-8 without escapes, one trailing newline.
Formatting never drops or changes a value other than by that rounding and winding.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from geo.io import MAX_BYTES, ReadError, parse_json_bytes, write_atomic
from geo.model import Message
from geo.schema import property_names

COORDINATE_DECIMALS = 6
TOP_ORDER = ["type", "layer", "bbox", "features"]
FEATURE_ORDER = ["type", "geometry", "properties", "bbox"]
GEOMETRY_ORDER = ["type", "coordinates", "bbox"]


def canonical_text(doc: Any) -> str:
    """The canonical text of a parsed layer document."""
    return _dump(_canonical(doc), 0) + "\n"


def format_bytes(raw: bytes, name: str) -> str:
    """Canonical text for a file's bytes; a leading byte-order mark is dropped.

    Raises
    ------
    ReadError
        When the bytes are not strict JSON; nothing is written then.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    doc, _ = parse_json_bytes(raw, name)
    text = canonical_text(doc)
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise ReadError(
            Message(
                "error",
                "too-large",
                name,
                f"in the canonical form the file would be {size:,} bytes, over the limit of "
                f"{MAX_BYTES:,}",
                "split the layer into several files first",
            )
        )
    return text


def format_file(path: Path, check: bool = False) -> bool:
    """Format ``path`` in place (atomically) unless ``check``; return True if it changes."""
    raw = Path(path).read_bytes()
    text = format_bytes(raw, str(path))
    changed = text.encode("utf-8") != raw
    if changed and not check:
        write_atomic(Path(path), text)
    return changed


__all__ = ["ReadError", "canonical_text", "format_bytes", "format_file"]


# ---------------------------------------------------------------------------------------------


def _ordered(obj: dict, order: list[str]) -> dict:
    known = [k for k in order if k in obj]
    rest = sorted(k for k in obj if k not in order)
    return {k: obj[k] for k in known + rest}


def _canonical(doc: Any) -> Any:
    if not isinstance(doc, dict):
        return doc
    out = _ordered(doc, TOP_ORDER)
    if isinstance(out.get("layer"), dict):
        layer = _ordered(out["layer"], property_names("layer"))
        if isinstance(layer.get("style"), dict):
            layer["style"] = _ordered(layer["style"], ["color", "fill_opacity", "marker"])
        out["layer"] = layer
    if isinstance(out.get("features"), list):
        out["features"] = [_canonical_feature(f) for f in out["features"]]
    return out


def _canonical_feature(feature: Any) -> Any:
    if not isinstance(feature, dict):
        return feature
    out = _ordered(feature, FEATURE_ORDER)
    geometry = out.get("geometry")
    if isinstance(geometry, dict):
        geometry = _ordered(geometry, GEOMETRY_ORDER)
        if "coordinates" in geometry:
            geometry["coordinates"] = _canonical_coordinates(
                geometry.get("type"), geometry["coordinates"]
            )
        out["geometry"] = geometry
    props = out.get("properties")
    if isinstance(props, dict):
        props = _ordered(props, property_names("properties"))
        if isinstance(props.get("sources"), list):
            props["sources"] = [
                _ordered(s, property_names("source")) if isinstance(s, dict) else s
                for s in props["sources"]
            ]
        if isinstance(props.get("claims"), list):
            props["claims"] = [
                _ordered(c, property_names("claim")) if isinstance(c, dict) else c
                for c in props["claims"]
            ]
        if isinstance(props.get("origin"), dict):
            origin = _ordered(props["origin"], property_names("origin"))
            if "coordinates" in origin:
                origin["coordinates"] = _round(origin["coordinates"])
            props["origin"] = origin
        out["properties"] = props
    return out


def _canonical_coordinates(kind: Any, coords: Any) -> Any:
    """Rounded and wound coordinates; a polygon that rounding would make invalid (a hole's
    vertex moved onto its shell, say) keeps its full precision instead."""
    rounded = _wind(kind, _round(coords))
    if kind in ("Polygon", "MultiPolygon") and not _still_valid(kind, coords, rounded):
        return _wind(kind, coords)
    return rounded


def _still_valid(kind: str, before: Any, after: Any) -> bool:
    """False only when ``before`` is a valid polygon and ``after`` is not."""
    from shapely.geometry import shape

    try:
        if not shape({"type": kind, "coordinates": before}).is_valid:
            return True  # the validator reports it; formatting cannot make it worse
        return shape({"type": kind, "coordinates": after}).is_valid
    except (ValueError, TypeError, AttributeError, IndexError):
        return True  # not a well-formed polygon: the validator says why


def _round(value: Any) -> Any:
    if isinstance(value, list):
        return [_round(v) for v in value]
    if isinstance(value, float):
        rounded = round(value, COORDINATE_DECIMALS)
        return 0.0 if rounded == 0 else rounded
    return value


def _is_ring(ring: Any) -> bool:
    return (
        isinstance(ring, list)
        and len(ring) >= 4
        and all(
            isinstance(p, list) and len(p) >= 2 and all(isinstance(n, int | float) for n in p[:2])
            for p in ring
        )
    )


def ring_is_clockwise(ring: list) -> bool:
    """Whether a closed ring of [lon, lat] positions runs clockwise."""
    from shapely.geometry import LinearRing

    return not LinearRing([p[:2] for p in ring]).is_ccw


def _wind_polygon(rings: Any) -> Any:
    if not isinstance(rings, list) or not all(_is_ring(r) for r in rings):
        return rings
    out = []
    for number, ring in enumerate(rings):
        clockwise = ring_is_clockwise(ring)
        want_clockwise = number > 0
        out.append(list(reversed(ring)) if clockwise != want_clockwise else ring)
    return out


def _wind(kind: Any, coords: Any) -> Any:
    if kind == "Polygon":
        return _wind_polygon(coords)
    if kind == "MultiPolygon" and isinstance(coords, list):
        return [_wind_polygon(p) for p in coords]
    return coords


def _is_position(value: list) -> bool:
    return bool(value) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    )


def _dump(value: Any, level: int) -> str:
    pad = "  " * (level + 1)
    end = "  " * level
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{pad}{json.dumps(k, ensure_ascii=False)}: {_dump(v, level + 1)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if _is_position(value) or all(isinstance(v, str) and len(v) < 30 for v in value):
            return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
        return "[\n" + ",\n".join(pad + _dump(v, level + 1) for v in value) + "\n" + end + "]"
    return json.dumps(value, ensure_ascii=False)
