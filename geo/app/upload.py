"""Bring your own layer: an uploaded GeoJSON or CSV file becomes a layer for this session.

Uploads go through the same validator as the repository's layers; a file with errors is refused
with the validator's messages. Limits come first: the bytes before anything is read, the rows
or features before anything is validated. The app runs :func:`load_upload` in a separate process
(see :mod:`geo.app.upload_check`), so no upload can hold the server.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.catalog import Catalog, layer_from_document
from geo.ingest.csv import REQUIRED as CSV_REQUIRED
from geo.ingest.csv import feature_from_row
from geo.io import ReadError, parse_json_bytes
from geo.model import Layer, Message
from geo.validate import check_document, duplicate_ids, validate_parsed

MAX_UPLOAD_BYTES = 5_000_000  # 5 MB as Streamlit counts them (its uploader refuses more)
MAX_UPLOAD_FEATURES = 5000
ID_LENGTH = 80  # the schema's kebabId
STEM_LENGTH = ID_LENGTH - len("-5000")  # room for a row number after a file-name stem
USER_COLOR = "#d6336c"


Progress = Callable[[str], None]


@dataclass(frozen=True)
class Taken:
    """The ids an upload must not reuse: the map's layer ids, and its feature ids with the
    layer that holds each. Small and plain, so that it travels to the checking process."""

    layer_ids: frozenset[str]
    feature_ids: dict[str, str]

    @classmethod
    def of(cls, catalog: Catalog) -> Taken:
        return cls(
            frozenset(catalog.layer_ids()),
            {
                f["properties"]["id"]: layer.id
                for layer in catalog.layers
                if layer.group != "user"
                for f in layer.features
            },
        )


def load_upload(
    name: str,
    raw: bytes,
    catalog: Catalog | Taken,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> tuple[Layer | None, list[Message]]:
    """Turn an uploaded file into a user layer, or say exactly why not."""
    today = today or dt.date.today()
    taken = catalog if isinstance(catalog, Taken) else Taken.of(catalog)
    tell = progress or (lambda _text: None)
    if len(raw) > MAX_UPLOAD_BYTES:
        return None, [too_big(name, len(raw))]
    if name.lower().endswith(".csv"):
        doc, messages = _csv_document(name, raw, today, tell)
    else:
        doc, messages = _geojson_document(name, raw, today, tell)
    if doc is None or any(m.level == "error" for m in messages):
        return None, messages
    features = doc["features"]
    if doc["layer"]["id"] in taken.layer_ids:
        return None, [
            _message(
                name,
                f"layer id {doc['layer']['id']!r} is already used by a layer of the map",
                "give your layer its own layer.id",
            )
        ]
    clashes = [
        (f["properties"]["id"], taken.feature_ids[f["properties"]["id"]])
        for f in features
        if f["properties"]["id"] in taken.feature_ids
    ]
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


def too_big(name: str, size: int) -> Message:
    return _message(
        name,
        f"file is {size:,} bytes, over the upload limit of {MAX_UPLOAD_BYTES:,}",
        "upload a smaller file, or split it",
    )


def _too_many(name: str, what: str) -> Message:
    return _message(
        name,
        f"more than {MAX_UPLOAD_FEATURES:,} {what}, over the upload limit",
        "split the file",
    )


def _geojson_document(
    name: str, raw: bytes, today: dt.date, tell: Progress
) -> tuple[Any, list[Message]]:
    tell(f"reading {len(raw):,} bytes of JSON")
    try:
        doc, text = parse_json_bytes(raw, name, MAX_UPLOAD_BYTES)
    except ReadError as exc:
        return None, exc.messages
    features = doc.get("features") if isinstance(doc, dict) else None
    if isinstance(features, list) and len(features) > MAX_UPLOAD_FEATURES:
        return None, [_too_many(name, "features")]
    tell(f"checking {len(features) if isinstance(features, list) else 0:,} feature(s)")
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection" and "layer" not in doc:
        # A plain FeatureCollection (from geojson.io, QGIS) gets layer metadata, so that only
        # the contributor's own data can fail; its features keep their lines in the file.
        doc.pop("name", None)
        doc["layer"] = _user_meta(name)
    messages = validate_parsed(doc, text, name, today)
    if isinstance(doc, dict) and isinstance(doc.get("layer"), dict):
        doc["layer"]["group"] = "user"
    return doc, messages


def _csv_document(
    name: str, raw: bytes, today: dt.date, tell: Progress
) -> tuple[Any, list[Message]]:
    tell(f"reading {len(raw):,} bytes of CSV")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [_message(name, "the CSV file is not UTF-8", "save it as UTF-8")]
    # newline="": rows may end in \n, \r\n or a lone \r (Excel for Mac), and a quoted field
    # may hold any of them.
    reader = csv.DictReader(io.StringIO(text, newline=""))
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
    stem = id_stem(name)
    records = iter(reader)
    rows = 0
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
        rows += 1
        if rows > MAX_UPLOAD_FEATURES:
            return None, [_too_many(name, "rows")]
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
        fallback = f"{stem}-{len(features) + 1}"
        lines.append(line)
        features.append(
            feature_from_row(row, fallback, lon, lat, "Uploaded by the user; no description.")
        )
    doc = {"type": "FeatureCollection", "layer": _user_meta(name), "features": features}
    tell(f"checking {len(features):,} row(s)")
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


def id_stem(name: str) -> str:
    """The kebab-case part of ids made from a file name, short enough that ``user-<stem>``
    and ``<stem>-<row>`` fit the schema's 80 characters."""
    ascii_name = unicodedata.normalize("NFKD", Path(name).stem).encode("ascii", "ignore")
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_name.decode().lower()).strip("-")
    return stem[:STEM_LENGTH].rstrip("-") or "upload"


def _user_meta(name: str) -> dict[str, Any]:
    stem = id_stem(name)
    return {
        "id": f"user-{stem}",
        "title": f"Your layer: {Path(name).name}"[:200],
        "group": "user",
        "description": "Uploaded in this session only.",
        "visible": True,
        "style": {"color": USER_COLOR, "marker": "square"},
    }


def _message(name: str, text: str, fix: str, line: int | None = None) -> Message:
    return Message("error", "upload", name, text, fix, line=line)
