"""Bring your own layer: an uploaded GeoJSON or CSV file becomes a layer for this session.

Uploads go through the same validator as the repository's layers; a file with errors is refused
with the validator's messages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

from geo.catalog import Catalog, layer_from_document
from geo.io import ReadError, parse_json_bytes
from geo.model import Layer, Message
from geo.validate import check_document, duplicate_ids, validate_parsed

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UPLOAD_FEATURES = 5000
USER_COLOR = "#d6336c"
CSV_REQUIRED = (
    "name",
    "latitude",
    "longitude",
    "start",
    "source_title",
    "source_publisher",
    "source_url",
    "source_accessed",
)
CSV_OPTIONAL = (
    "id",
    "kind",
    "end",
    "description",
    "country",
    "actor",
    "target",
    "claim_status",
    "location_precision",
    "location_note",
    "source_published",
    "source_quote",
)


def load_upload(
    name: str, raw: bytes, catalog: Catalog, today: dt.date | None = None
) -> tuple[Layer | None, list[Message]]:
    """Turn an uploaded file into a user layer, or say exactly why not."""
    today = today or dt.date.today()
    if len(raw) > MAX_UPLOAD_BYTES:
        return None, [
            _message(
                name,
                f"file is {len(raw):,} bytes, over the upload limit of {MAX_UPLOAD_BYTES:,}",
                "upload a smaller file",
            )
        ]
    if name.lower().endswith(".csv"):
        doc, messages = _csv_document(name, raw, today)
    else:
        doc, messages = _geojson_document(name, raw, today)
    if doc is None or any(m.level == "error" for m in messages):
        return None, messages
    features = doc["features"]
    if len(features) > MAX_UPLOAD_FEATURES:
        return None, [
            _message(
                name,
                f"{len(features):,} features, over the upload limit of {MAX_UPLOAD_FEATURES:,}",
                "split the file",
            )
        ]
    if doc["layer"]["id"] in catalog.layer_ids():
        return None, [
            _message(
                name,
                f"layer id {doc['layer']['id']!r} is already used by a layer of the map",
                "give your layer its own layer.id",
            )
        ]
    clashes = _clashing_ids(features, catalog)
    if clashes:
        return None, [
            _message(
                name,
                f"feature id {fid!r} is already used by the layer {layer_id!r}",
                "give your features ids of their own",
            )
            for fid, layer_id in clashes
        ]
    layer = layer_from_document(doc, Path(name))
    return layer, messages


def _geojson_document(name: str, raw: bytes, today: dt.date) -> tuple[Any, list[Message]]:
    try:
        doc, text = parse_json_bytes(raw, name, MAX_UPLOAD_BYTES)
    except ReadError as exc:
        return None, exc.messages
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection" and "layer" not in doc:
        # A plain FeatureCollection (from geojson.io, QGIS) gets layer metadata, so that only
        # the contributor's own data can fail; its features keep their lines in the file.
        doc.pop("name", None)
        doc["layer"] = _user_meta(name)
    messages = validate_parsed(doc, text, name, today)
    if isinstance(doc, dict) and isinstance(doc.get("layer"), dict):
        doc["layer"]["group"] = "user"
    return doc, messages


def _csv_document(name: str, raw: bytes, today: dt.date) -> tuple[Any, list[Message]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [_message(name, "the CSV file is not UTF-8", "save it as UTF-8")]
    reader = csv.DictReader(io.StringIO(text))
    try:
        columns = [c.strip() for c in (reader.fieldnames or [])]
    except csv.Error as exc:
        return None, [_message(name, f"the CSV header cannot be read: {exc}", "check the quoting")]
    missing = [c for c in CSV_REQUIRED if c not in columns]
    if missing:
        return None, [
            _message(
                name,
                f"missing column(s) {', '.join(missing)}",
                f"a CSV needs the columns {', '.join(CSV_REQUIRED)}",
            )
        ]
    features: list[dict[str, Any]] = []
    lines: list[int] = []  # the CSV line each feature starts on, for messages
    messages: list[Message] = []
    stem = re.sub(r"[^a-z0-9]+", "-", Path(name).stem.lower()).strip("-") or "upload"
    records = iter(reader)
    while True:
        line = reader.line_num + 1  # a quoted field may span lines: count from the reader
        try:
            record = next(records)
        except StopIteration:
            break
        except csv.Error as exc:
            messages.append(
                _message(
                    name,
                    f"the row cannot be read: {exc}",
                    "check its quoting and length",
                    line=line,
                )
            )
            break
        if None in record:
            messages.append(
                _message(
                    name,
                    "the row has more fields than the header",
                    "quote fields that hold commas",
                    line=line,
                )
            )
            continue
        row = {(k or "").strip(): (v or "").strip() for k, v in record.items()}
        try:
            lat, lon = float(row["latitude"]), float(row["longitude"])
        except ValueError:
            messages.append(
                _message(
                    name,
                    "latitude and longitude must be numbers",
                    "write decimal degrees, e.g. 25.1173",
                    line=line,
                )
            )
            continue
        props: dict[str, Any] = {
            "id": row.get("id") or f"{stem}-{len(features) + 1}",
            "name": row["name"],
            "kind": row.get("kind") or "other",
            "start": row["start"],
            "location_precision": row.get("location_precision") or "exact",
            "description": row.get("description") or "Uploaded by the user; no description.",
            "sources": [
                {
                    "title": row["source_title"],
                    "publisher": row["source_publisher"],
                    "url": row["source_url"],
                    "accessed": row["source_accessed"],
                }
            ],
        }
        for key in ("end", "country", "actor", "target", "claim_status", "location_note"):
            if row.get(key):
                props[key] = row[key]
        for key in ("published", "quote"):
            if row.get(f"source_{key}"):
                props["sources"][0][key] = row[f"source_{key}"]
        lines.append(line)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": props,
            }
        )
    doc = {"type": "FeatureCollection", "layer": _user_meta(name), "features": features}
    for message in check_document(doc, name, today) + duplicate_ids(doc, name, {}):
        path = message.path
        where = lines[path[1]] if len(path) > 1 and path[0] == "features" else None
        messages.append(
            Message(
                message.level,
                message.code,
                name,
                message.text,
                message.fix,
                line=where,
                feature=message.feature,
                field=message.field,
            )
        )
    return doc, messages


def _user_meta(name: str) -> dict[str, Any]:
    stem = re.sub(r"[^a-z0-9]+", "-", Path(name).stem.lower()).strip("-") or "upload"
    return {
        "id": f"user-{stem}"[:80],
        "title": f"Your layer: {Path(name).name}"[:200],
        "group": "user",
        "description": "Uploaded in this session only.",
        "visible": True,
        "style": {"color": USER_COLOR, "marker": "square"},
    }


def _clashing_ids(features: list[dict[str, Any]], catalog: Catalog) -> list[tuple[str, str]]:
    known = {
        f["properties"]["id"]: layer.id
        for layer in catalog.layers
        if layer.group != "user"
        for f in layer.features
    }
    return [
        (f["properties"]["id"], known[f["properties"]["id"]])
        for f in features
        if f["properties"]["id"] in known
    ]


def _message(name: str, text: str, fix: str, line: int | None = None) -> Message:
    return Message("error", "upload", name, text, fix, line=line)
