"""A GeoJSON FeatureCollection (a layer file, or a plain one from QGIS or geojson.io) brought
into the layer format: a plain collection gets layer metadata, and each feature the validator
finds an error in is left out with one line naming its line and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geo.ingest.common import ImportFileError, ImportResult, Options, clean, default_layer_id
from geo.ingest.screen import screen
from geo.io import ReadError, read_json_file
from geo.jsonpos import index_positions

COLOR = "#0f766e"
# An import may be far bigger than a GeoJSON layer file (20 MB): it is written as GeoParquet.
MAX_IMPORT_BYTES = 2 * 1024**3


def import_geojson(path: Path, options: Options) -> ImportResult:
    """A layer from a GeoJSON file; features that fail the validator are reported."""
    try:
        doc, text = read_json_file(path, MAX_IMPORT_BYTES)
    except ReadError as exc:
        raise ImportFileError.from_message(exc.message) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ImportFileError(
            "not a GeoJSON FeatureCollection - save the layer as a FeatureCollection"
        )
    if not isinstance(doc.get("features"), list):
        raise ImportFileError("the FeatureCollection has no features list - add one")
    doc.pop("name", None)  # QGIS's layer name; the layer metadata says it
    doc.pop("crs", None)  # RFC 7946 coordinates are WGS84 whatever an old crs member says
    if not isinstance(doc.get("layer"), dict):
        doc["layer"] = _meta(path, options)
    elif options.layer_id:
        doc["layer"]["id"] = options.layer_id
    positions = index_positions(text)
    lines = [positions.line_of(("features", i)) for i in range(len(doc["features"]))]
    rows = len(doc["features"])
    dropped, layer_errors = screen(doc, str(path), lines, options.today)
    if layer_errors:
        raise ImportFileError.from_message(layer_errors[0])
    return ImportResult(doc, rows, dropped)


def _meta(path: Path, options: Options) -> dict[str, Any]:
    return {
        "id": options.layer_id or default_layer_id(path, "geojson"),
        "title": options.title or f"Imported from {clean(path.name) or 'a GeoJSON file'}",
        "group": "user",
        "description": f"Imported on {options.today.isoformat()} from {clean(path.name)}.",
        "visible": True,
        "style": {"color": COLOR, "marker": "square"},
    }
