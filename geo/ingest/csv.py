"""Our own CSV (the columns the app's upload takes, see layers/README.md): one row, one point.

Rows are built into features as written and then screened by the validator: a row whose
feature fails is left out with one line naming its line and why; the rest are imported.
"""

from __future__ import annotations

import csv as csvlib
from pathlib import Path
from typing import Any

from geo.ingest.common import (
    FIELD_LIMIT,
    ImportFileError,
    ImportResult,
    Options,
    RowError,
    clean,
    default_layer_id,
    number,
    open_text,
    problem,
    read_rows,
    wrong_width,
)
from geo.ingest.screen import screen

WHAT = "a CSV in the map's own columns"
REQUIRED = (
    "name",
    "latitude",
    "longitude",
    "start",
    "source_title",
    "source_publisher",
    "source_url",
    "source_accessed",
)
OPTIONAL = (
    "id",
    "kind",
    "end",
    "date_note",
    "description",
    "country",
    "actor",
    "target",
    "claim_status",
    "location_precision",
    "location_note",
    "source_published",
    "source_quote",
    "source_note",
)
PROPERTIES = ("end", "date_note", "country", "actor", "target", "claim_status", "location_note")
COLOR = "#0f766e"


def import_csv(path: Path, options: Options) -> ImportResult:
    """A layer from a CSV in our columns; rows that fail the validator are reported."""
    layer_id = options.layer_id or default_layer_id(path, "csv")
    features: list[dict[str, Any]] = []
    lines: list[int | None] = []
    problems = []
    rows = 0
    limit = csvlib.field_size_limit(FIELD_LIMIT)
    try:
        with open_text(path) as handle:
            header, records = read_rows(handle, REQUIRED, WHAT)
            for line, record in records:
                rows += 1
                row = dict(zip(header, record, strict=False))
                try:
                    if len(record) != len(header):
                        raise wrong_width(
                            record, line, len(header), "quote fields that hold commas"
                        )
                    features.append(_feature(row, layer_id, rows))
                    lines.append(line)
                except RowError as error:
                    problems.append(problem(str(path), line, row.get("id") or None, error))
    finally:
        csvlib.field_size_limit(limit)
    doc = {"type": "FeatureCollection", "layer": _meta(path, options, layer_id)}
    doc["features"] = features
    dropped, layer_errors = screen(doc, str(path), lines, options.today)
    if layer_errors:
        raise ImportFileError.from_message(layer_errors[0])
    return ImportResult(doc, rows, sorted(problems + dropped, key=lambda m: m.line or 0))


def _feature(row: dict[str, str], layer_id: str, number_: int) -> dict[str, Any]:
    lat = number(row["latitude"], "latitude", -90, 90)
    lon = number(row["longitude"], "longitude", -180, 180)
    text = {key: clean(value, one_line=key not in ("description", "source_quote"))
            for key, value in row.items()}  # fmt: skip
    return feature_from_row(
        text, f"{layer_id}-{number_}", lon, lat, "Imported from a CSV file; no description."
    )


def feature_from_row(
    row: dict[str, str], fallback_id: str, lon: float, lat: float, description: str
) -> dict[str, Any]:
    """The feature one row of our CSV columns stands for, its text taken as it is: the importer
    cleans the text first, the app's upload reports what the validator finds in it."""
    props: dict[str, Any] = {
        "id": row.get("id") or fallback_id,
        "name": row["name"],
        "kind": row.get("kind") or "other",
        "start": row["start"],
        "location_precision": row.get("location_precision") or "exact",
        "description": row.get("description") or description,
        "sources": [
            {
                "title": row["source_title"],
                "publisher": row["source_publisher"],
                "url": row["source_url"],
                "accessed": row["source_accessed"],
            }
        ],
    }
    for key in PROPERTIES:
        if row.get(key):
            props[key] = row[key]
    for key in ("published", "quote", "note"):
        if row.get(f"source_{key}"):
            props["sources"][0][key] = row[f"source_{key}"]
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": props,
    }


def _meta(path: Path, options: Options, layer_id: str) -> dict[str, Any]:
    return {
        "id": layer_id,
        "title": options.title or f"Imported from {clean(path.name) or 'a CSV file'}",
        "group": "user",
        "description": f"Imported on {options.today.isoformat()} from {clean(path.name)}.",
        "visible": True,
        "style": {"color": COLOR, "marker": "square"},
    }
