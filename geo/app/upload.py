"""Bring your own layer: an uploaded file (GeoJSON, CSV, GeoParquet, an ACLED or UCDP GED export,
plain or gzipped) becomes a layer for this session.

Limits come first and cost little: the bytes before anything is read, then the rows, counted
without parsing (line breaks in a CSV, the footer of a Parquet file), before anything is
validated. A small file in our own format (GeoJSON or CSV) goes through the same validator as
the repository's layers and is refused with its messages if it has errors. Anything bigger, and
every ACLED, UCDP or GeoParquet file, goes through the importer of ``python -m geo import``,
which leaves out each row it cannot use with a line saying why, and lands as a session
GeoParquet layer in a temporary folder: the rows stay in the file, not in Python dicts. The app
runs :func:`load_upload_file` in a separate process (see :mod:`geo.app.upload_check`), so no
upload can hold the server.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import shutil
import tempfile
import unicodedata
import uuid
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.catalog import Catalog, is_stored, layer_from_document
from geo.ingest.common import SEPARATOR_FIX, other_separator
from geo.ingest.csv import REQUIRED as CSV_REQUIRED
from geo.ingest.csv import feature_from_row
from geo.io import ReadError, parse_json_bytes
from geo.model import Layer, Message
from geo.validate import check_document, duplicate_ids, validate_parsed

MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # 200 MB as Streamlit counts them (its uploader refuses more)
MAX_UPLOAD_FEATURES = 1_000_000  # rows or features
MAX_EXPANDED_BYTES = 4 * MAX_UPLOAD_BYTES  # how far a gzipped upload may expand
SMALL_BYTES = 5_000_000  # up to here (and SMALL_FEATURES), our own formats are checked whole
SMALL_FEATURES = 5000
ID_LENGTH = 80  # the schema's kebabId
STEM_LENGTH = ID_LENGTH - len("-1000000")  # room for a row number after a file-name stem
USER_COLOR = "#d6336c"
# The formats the upload box offers; "auto" sniffs the file (geo.ingest.sniff).
UPLOAD_FORMATS = {
    "auto": "Find out from the file",
    "csv": "CSV with the map's columns",
    "acled": "ACLED export (CSV)",
    "ucdp": "UCDP GED export (CSV)",
    "geojson": "GeoJSON",
    "geoparquet": "GeoParquet",
}


Progress = Callable[[str], None]


@dataclass(frozen=True)
class Taken:
    """The ids an upload must not reuse: the map's layer ids, and its feature ids with the
    layer that holds each. Small and plain, so that it travels to the checking process."""

    layer_ids: frozenset[str]
    feature_ids: dict[str, str]
    stored: tuple[tuple[str, str], ...] = ()  # (layer id, Parquet path): ids stay in the file

    @classmethod
    def of(cls, catalog: Catalog) -> Taken:
        layers = [layer for layer in catalog.layers if layer.group != "user"]
        return cls(
            frozenset(catalog.layer_ids()),
            {
                f["properties"]["id"]: layer.id
                for layer in layers
                if not is_stored(layer)
                for f in layer.features
            },
            tuple((layer.id, str(layer.path)) for layer in layers if is_stored(layer)),
        )

    def clashes(self, ids: Iterable[str]) -> list[tuple[str, str]]:
        """(feature id, the layer that holds it) for each of ``ids`` the map already uses.

        A Parquet layer's ids are matched as one set operation in Arrow, not row by row."""
        ids = list(ids)
        found = [(fid, self.feature_ids[fid]) for fid in ids if fid in self.feature_ids]
        if self.stored and ids:
            import pyarrow as pa
            import pyarrow.compute as pc
            import pyarrow.parquet as pq

            for layer_id, path in self.stored:
                column = pq.read_table(path, columns=["id"]).column("id")
                wanted = pa.array(ids, type=column.type)
                hits = column.filter(pc.is_in(column, value_set=wanted))
                found += [(fid, layer_id) for fid in hits.to_pylist()]
        return found


def load_upload(
    name: str,
    raw: bytes,
    catalog: Catalog | Taken,
    today: dt.date | None = None,
    progress: Progress | None = None,
    fmt: str | None = None,
) -> tuple[Layer | None, list[Message]]:
    """Turn an uploaded file (GeoJSON, or CSV by its name or ``fmt``) into a user layer held in
    memory, or say exactly why not."""
    today = today or dt.date.today()
    taken = catalog if isinstance(catalog, Taken) else Taken.of(catalog)
    tell = progress or (lambda _text: None)
    if len(raw) > MAX_UPLOAD_BYTES:
        return None, [too_big(name, len(raw))]
    if fmt == "csv" or (fmt is None and name.lower().endswith(".csv")):
        doc, messages = _csv_document(name, raw, today, tell)
    else:
        doc, messages = _geojson_document(name, raw, today, tell)
    if doc is None or any(m.level == "error" for m in messages):
        return None, messages
    features = doc["features"]
    if doc["layer"]["id"] in taken.layer_ids:
        return None, [_layer_id_used(name, doc["layer"]["id"])]
    clashes = _clash_messages(name, taken, [f["properties"]["id"] for f in features])
    if clashes:
        return None, clashes
    layer = layer_from_document(doc, Path(name))
    return layer, messages


def load_upload_file(
    name: str,
    path: Path,
    taken: Taken,
    workdir: Path,
    fmt: str = "auto",
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> tuple[Layer | None, list[Message]]:
    """Turn an uploaded file at ``path`` (named ``name`` by the user) into a user layer, or say
    exactly why not. A big file lands as a GeoParquet layer in ``workdir``."""
    from geo.ingest import ImportFileError
    from geo.ingest.sniff import TooLarge, count_rows, is_compressed, sniff_format

    today = today or dt.date.today()
    tell = progress or (lambda _text: None)
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        return None, [too_big(name, size)]
    try:
        fmt = sniff_format(path) if fmt == "auto" else fmt
        tell(f"counting the rows of {size:,} bytes ({UPLOAD_FORMATS[fmt]})")
        rows = count_rows(path, fmt, MAX_UPLOAD_FEATURES, MAX_EXPANDED_BYTES)
    except TooLarge as exc:
        return None, [_message(name, f"the compressed file is too big: {exc}", "split it")]
    except ImportFileError as exc:
        return None, [_message(name, str(exc), "")]
    if rows > MAX_UPLOAD_FEATURES:
        return None, [_too_many(name, size)]
    compressed = is_compressed(path)
    small = size <= SMALL_BYTES and rows <= SMALL_FEATURES
    if fmt in ("csv", "geojson") and not compressed and small:
        return load_upload(name, path.read_bytes(), taken, today, progress, fmt)
    tell(f"importing at most {rows:,} row(s)")
    return _import_upload(name, path, fmt, compressed, taken, workdir, today, tell)


def _import_upload(
    name: str,
    path: Path,
    fmt: str,
    compressed: bool,
    taken: Taken,
    workdir: Path,
    today: dt.date,
    tell: Progress,
) -> tuple[Layer | None, list[Message]]:
    from geo.ingest import ImportFileError, Options, import_file
    from geo.io import write_atomic
    from geo.store import open_layer, parquet_bytes

    meta = _user_meta(name)
    options = Options(layer_id=meta["id"], title=meta["title"], today=today)
    workdir.mkdir(parents=True, exist_ok=True)
    source = path
    try:
        if fmt == "geojson" and compressed:  # the GeoJSON importer reads a plain file
            source = workdir / f"{uuid.uuid4().hex}.geojson"
            _expand(path, source)
        result = import_file(source, fmt, options)
    except ImportFileError as exc:
        text = str(exc).replace("choose the --format it is", "choose its format in the box")
        return None, [_message(name, text, "")]
    finally:
        if source != path:
            source.unlink(missing_ok=True)
    # Rows the importer left out do not refuse the file: each is named, as a warning.
    skipped = [
        dataclasses.replace(message, level="warning", file=name) for message in result.problems
    ]
    features = result.doc["features"]
    if not features:
        return None, [_message(name, "no row could be imported", "check the format"), *skipped]
    tell(f"checking the ids of {len(features):,} feature(s)")
    if meta["id"] in taken.layer_ids:
        return None, [_layer_id_used(name, meta["id"])]
    clashes = _clash_messages(name, taken, [f["properties"]["id"] for f in features])
    if clashes:
        return None, clashes
    layer_meta = {
        **result.doc["layer"],
        **{key: meta[key] for key in ("id", "title", "group", "style")},
    }
    tell(f"storing {len(features):,} feature(s) as GeoParquet")
    target = workdir / f"{meta['id']}-{uuid.uuid4().hex[:8]}.parquet"
    write_atomic(target, parquet_bytes(layer_meta, features))
    return open_layer(target), skipped


def _expand(path: Path, target: Path) -> None:
    """Decompress a gzipped file to ``target``, at most :data:`MAX_EXPANDED_BYTES`."""
    from geo.ingest.sniff import read_chunks

    with open(target, "wb") as out:
        for chunk in read_chunks(path, MAX_EXPANDED_BYTES):
            out.write(chunk)


def _clash_messages(name: str, taken: Taken, ids: list[str]) -> list[Message]:
    return [
        _message(
            name,
            f"feature id {fid!r} is already used by the layer {layer_id!r}",
            "give your features ids of their own",
        )
        for fid, layer_id in taken.clashes(ids)
    ]


def _layer_id_used(name: str, layer_id: str) -> Message:
    return _message(
        name,
        f"layer id {layer_id!r} is already used by a layer of the map",
        "give your layer its own layer.id",
    )


def too_big(name: str, size: int) -> Message:
    return _message(
        name,
        f"file is {size:,} bytes, over the upload limit of {MAX_UPLOAD_BYTES:,} "
        f"({MAX_UPLOAD_BYTES // 1024**2} MB)",
        "upload a smaller file, or split it",
    )


def _too_many(name: str, size: int | None = None, what: str = "rows") -> Message:
    of = f" in {size:,} bytes" if size is not None else ""
    return _message(
        name,
        f"more than {MAX_UPLOAD_FEATURES:,} {what}{of}, over the upload limit of "
        f"{MAX_UPLOAD_FEATURES:,}",
        "split the file",
    )


def new_workdir() -> Path:
    """A fresh temporary folder for one session's uploaded layers."""
    return Path(tempfile.mkdtemp(prefix="posture-upload-"))


class UploadFolder:
    """One session's folder of uploaded layers (GeoParquet files of up to 1,000,000 rows),
    removed with the session: when Streamlit lets the session go and this holder is collected,
    or when the server stops, whichever comes first."""

    def __init__(self) -> None:
        self.path = new_workdir()
        self._remove = weakref.finalize(self, shutil.rmtree, self.path, True)

    def forget(self, layers: Iterable[Layer]) -> None:
        """Delete the files of ``layers`` that this folder holds (layers the session let go)."""
        for layer in layers:
            if layer.path.parent == self.path:
                layer.path.unlink(missing_ok=True)


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
        return None, [_too_many(name, what="features")]
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
    if missing and (problem := other_separator(columns)):
        return None, [_message(name, problem, SEPARATOR_FIX)]
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
            return None, [_too_many(name)]
        if None in record or None in record.values():
            more = None in record
            messages.append(
                _message(
                    name,
                    f"the row has {'more' if more else 'fewer'} fields than the header",
                    "quote fields that hold commas" if more else "give every column its field",
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
    if not rows and not messages:
        return None, [_message(name, "the file holds a header and no rows", "add its rows")]
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
