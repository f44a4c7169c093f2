"""Validate a GeoParquet layer: the rules and messages of the GeoJSON validator, column by column.

A big layer is checked with array operations (pyarrow compute, numpy, shapely's vectorised
functions), never feature by feature: a rule finds the offending rows of a whole column at once,
and only those rows are put into words, by the same functions that word the GeoJSON messages.
Nested columns (sources, claims, origin, units: JSON text) repeat a great deal in a big layer, so
each distinct combination is checked once by the GeoJSON rules and its messages go to every row
that holds it.

A message names the file, the feature (its id, or ``#n`` for the n-th row) and the column.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import fastjsonschema
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from geo import countries
from geo.model import DateError, Message, PartialDate
from geo.schema import layer_schema
from geo.validate.context import Context, did_you_mean, short
from geo.validate.dates import DATE_SHAPE
from geo.validate.geometry import OUT_OF_RANGE_FIX, outside_country
from geo.validate.ids import IdRegistry
from geo.validate.structure import NULL_GEOMETRY_FIX, PATTERN_HINTS, REQUIRED_HINTS
from geo.validate.text import _check_markup, _check_string, plain_text_fields

GEOMETRY = "geometry"
BBOX = "bbox"
# The key of the Parquet file's key-value metadata that holds the layer object as JSON.
LAYER_KEY = b"layer"
WRITE_FIX = (
    "write the layer with geo.store.write_parquet, or move the file out of the layers folder"
)
# Text worth a closer look: a control character, a "<" (markup) or anything beyond ASCII
# (invisible, bidirectional or decomposed characters). Clean ASCII text passes every text rule.
SUSPECT_TEXT = r"[\x00-\x1f\x7f<]|[^\x00-\x7f]"
BBOX_TYPE = pa.struct([(corner, pa.float64()) for corner in ("xmin", "ymin", "xmax", "ymax")])
BBOX_FIX = (
    "write the GeoParquet 1.1 bbox covering column (geopandas: to_parquet(..., "
    "write_covering_bbox=True); geo.store.write_parquet does)"
)
# Shapely's type ids of the six GeoJSON geometry types.
GEOJSON_TYPE_IDS = (0, 1, 3, 4, 5, 6)
POLYGON_TYPE_IDS = (3, 6)
STUB_POINT = {"type": "Point", "coordinates": [0, 0]}


@lru_cache(maxsize=1)
def property_columns() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(plain text columns, JSON text columns), in the schema's order."""
    defs = layer_schema()["$defs"]
    plain, nested = [], []
    for name, schema in defs["properties"]["properties"].items():
        kinds = _resolve(schema).get("type")
        kinds = set(kinds) if isinstance(kinds, list) else {kinds}
        # A value that may be an object (fatalities: a number or {low, best, high}) is JSON text.
        (nested if kinds & {"array", "object"} else plain).append(name)
    return tuple(plain), tuple(nested)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return layer_schema()["$defs"][ref.rsplit("/", 1)[-1]] if ref else schema


def _property_schema(name: str) -> dict[str, Any]:
    return _resolve(layer_schema()["$defs"]["properties"]["properties"][name])


@dataclass
class _Rows:
    """One table's check: the messages, and how to name a row."""

    file: str
    ids: list[Any]
    messages: list[Message] = field(default_factory=list)

    def label(self, row: int) -> str:
        fid = self.ids[row] if row < len(self.ids) else None
        return fid if isinstance(fid, str) and fid else f"#{row + 1}"

    def add(self, code: str, row: int | None, column: str | None, text: str, fix: str) -> None:
        path = ("features", row, "properties", column) if row is not None else ()
        self.messages.append(
            Message(
                "error",
                code,
                self.file,
                text,
                fix,
                feature=self.label(row) if row is not None else None,
                field=column,
                path=tuple(p for p in path if p is not None),
            )
        )


class _TableContext(Context):
    """A Context whose features are a table's rows: the text rules add to it as they would
    to a GeoJSON document's."""

    rows: _Rows

    def feature_label(self, path: tuple) -> str | None:
        if len(path) >= 2 and path[0] == "features" and isinstance(path[1], int):
            return self.rows.label(path[1])
        return None


def check_table(path: Path, today: dt.date, registry: IdRegistry | None = None) -> list[Message]:
    """Every message for the Parquet layer at ``path``; never raises for a bad file."""
    import pyarrow.parquet as pq

    file = str(path)
    try:
        handle = pq.ParquetFile(path)
        metadata = handle.schema_arrow.metadata or {}
    except (OSError, pa.ArrowException) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [
            Message(
                "error",
                "not-parquet",
                file,
                f"cannot be read as Parquet ({reason[:120]})",
                "write it again with geo.store.write_parquet, or remove it",
            )
        ]
    meta = _layer_meta(file, metadata)
    if isinstance(meta, Message):
        return [meta]
    messages = _check_layer_object(file, meta, today)
    if registry is not None:
        messages += registry.duplicate_layer_id({"layer": meta}, file)
    try:
        table = handle.read()
    except (OSError, pa.ArrowException) as exc:
        return [
            *messages,
            Message(
                "error",
                "not-parquet",
                file,
                f"its rows cannot be read ({str(exc).strip()[:120]})",
                "write it again with geo.store.write_parquet",
            ),
        ]
    return messages + check_rows(file, table, meta, today, registry)


def _layer_meta(file: str, metadata: dict[bytes, bytes]) -> dict[str, Any] | Message:
    if LAYER_KEY not in metadata:
        return Message(
            "error",
            "not-a-layer",
            file,
            "a Parquet file but not a layer: its metadata has no 'layer' object",
            WRITE_FIX,
        )
    if b"geo" not in metadata:
        return Message(
            "error",
            "not-geoparquet",
            file,
            "a Parquet file without GeoParquet metadata ('geo'), so its geometry cannot be read",
            WRITE_FIX,
        )
    try:
        meta = orjson.loads(metadata[LAYER_KEY])
    except orjson.JSONDecodeError as exc:
        return Message(
            "error", "not-a-layer", file, f"its 'layer' metadata is not JSON ({exc})", WRITE_FIX
        )
    if not isinstance(meta, dict):
        return Message(
            "error", "not-a-layer", file, "its 'layer' metadata is not an object", WRITE_FIX
        )
    return meta


def _check_layer_object(file: str, meta: dict[str, Any], today: dt.date) -> list[Message]:
    """The layer object, by the GeoJSON rules (schema, text, dates), as a document without
    features."""
    from geo.validate import check_document

    doc = {"type": "FeatureCollection", "layer": meta, "features": []}
    return check_document(doc, file, today)


def check_rows(
    file: str,
    table: pa.Table,
    meta: dict[str, Any],
    today: dt.date,
    registry: IdRegistry | None = None,
) -> list[Message]:
    """The messages for a table's columns and rows."""
    ids = table.column("id").to_pylist() if "id" in table.column_names else []
    if len(ids) != table.num_rows:
        ids = [None] * table.num_rows
    rows = _Rows(file, ids)
    usable = _check_columns(rows, table)
    group = meta.get("group") if isinstance(meta.get("group"), str) else None
    _check_required(rows, table, usable, group)
    _check_enums_and_patterns(rows, table, usable)
    _check_dates(rows, table, usable, today)
    _check_text_columns(rows, table, usable)
    _check_ids(rows, table, usable, registry)
    placeable = _check_geometry(rows, table)
    if placeable is not None:
        _check_countries(rows, table, usable, placeable)
    _check_nested(rows, table, usable, meta, today)
    return rows.messages


def _check_columns(rows: _Rows, table: pa.Table) -> set[str]:
    """Known columns of text type; a message for each unknown, missing or mistyped column."""
    plain, nested = property_columns()
    known = {*plain, *nested}
    usable = set()
    for column in table.schema:
        name = column.name
        if name in (GEOMETRY, BBOX):
            continue
        if name not in known:
            fix = did_you_mean(name, sorted(known), "remove the column or rename it")
            rows.add("unknown-column", None, name, f"unknown column {name!r}", fix)
        elif (
            pa.types.is_string(column.type)
            or pa.types.is_large_string(column.type)
            or pa.types.is_null(column.type)
        ):
            usable.add(name)
        else:
            rows.add(
                "column-type",
                None,
                name,
                f"column {name!r} holds {column.type}, not text",
                "write every property as text (nested ones as JSON text)",
            )
    for name in (*_required(), GEOMETRY, BBOX):
        if name not in table.column_names:
            hint = {GEOMETRY: NULL_GEOMETRY_FIX, BBOX: BBOX_FIX}.get(
                name, REQUIRED_HINTS.get(name, "add it")
            )
            rows.add("missing-column", None, name, f"missing required column {name!r}", hint)
    if BBOX in table.column_names and table.schema.field(BBOX).type != BBOX_TYPE:
        rows.add(
            "column-type",
            None,
            BBOX,
            f"column 'bbox' holds {table.schema.field(BBOX).type}, not {BBOX_TYPE}",
            BBOX_FIX,
        )
    return usable


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)


def _required() -> tuple[str, ...]:
    return tuple(layer_schema()["$defs"]["properties"]["required"])


def _group_required(group: str | None) -> tuple[str, ...]:
    """The properties the schema requires in a layer of ``group`` (events need an actor ...)."""
    for rule in layer_schema().get("allOf", []):
        condition = rule["if"]["properties"]["layer"]["properties"]["group"].get("const")
        if condition == group:
            items = rule["then"]["properties"]["features"]["items"]
            return tuple(items["properties"]["properties"]["required"])
    return ()


def _null_rows(table: pa.Table, name: str) -> np.ndarray:
    return np.flatnonzero(table.column(name).is_null().to_numpy(zero_copy_only=False))


def _check_required(rows: _Rows, table: pa.Table, usable: set[str], group: str | None) -> None:
    for name in _required():
        if name in usable:
            for row in _null_rows(table, name):
                rows.add(
                    "schema-required",
                    int(row),
                    name,
                    f"missing required {name!r}",
                    REQUIRED_HINTS.get(name, "add it"),
                )
    for name in _group_required(group):
        if name in usable:
            for row in _null_rows(table, name):
                rows.add(
                    "required",
                    int(row),
                    name,
                    f"missing {name!r}, required in a {group} layer",
                    REQUIRED_HINTS[name],
                )
        elif name not in table.column_names:
            rows.add(
                "missing-column",
                None,
                name,
                f"missing column {name!r}, required in a {group} layer",
                REQUIRED_HINTS[name],
            )
    if "location_precision" in usable:
        precision = table.column("location_precision")
        note = table.column("location_note") if "location_note" in usable else None
        lacking = pc.and_(
            pc.not_equal(precision, "exact"),
            pc.is_null(note) if note is not None else pa.scalar(True),
        )
        for row in np.flatnonzero(lacking.to_numpy(zero_copy_only=False) == True):  # noqa: E712
            rows.add(
                "location-note",
                int(row),
                "location_precision",
                f"location_precision is {precision[int(row)].as_py()!r} but there is no "
                "location_note",
                "add location_note: what the geometry stands for and where it comes from",
            )
    for name in usable & plain_text_fields():
        lengths = pc.utf8_length(table.column(name)).to_numpy(zero_copy_only=False)
        for row in np.flatnonzero(lengths == 0):
            rows.add(
                "schema-minLength",
                int(row),
                name,
                "is empty",
                "write the text, or remove the property if it has no value",
            )


def _bad_rows(mask: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """The rows where a boolean column is true (null counts as not)."""
    return np.flatnonzero(pc.fill_null(mask, False).to_numpy(zero_copy_only=False))


def _check_enums_and_patterns(rows: _Rows, table: pa.Table, usable: set[str]) -> None:
    plain, _ = property_columns()
    for name in plain:
        if name not in usable:
            continue
        schema = _property_schema(name)
        column = table.column(name)
        if "enum" in schema:
            options = [str(option) for option in schema["enum"]]
            bad = pc.invert(pc.is_in(column, value_set=pa.array(options)))
            for row in _bad_rows(pc.and_(bad, pc.is_valid(column))):
                value = column[int(row)].as_py()
                rows.add(
                    "schema-enum",
                    int(row),
                    name,
                    f"{short(value)} is not allowed",
                    did_you_mean(str(value), options, f"use one of: {', '.join(options)}"),
                )
        elif "pattern" in schema and name not in ("start", "end"):
            bad = pc.invert(pc.match_substring_regex(column, schema["pattern"]))
            what, fix = _pattern_words(schema)
            for row in _bad_rows(bad):
                value = column[int(row)].as_py()
                if not _schema_match(schema["pattern"], value):
                    rows.add("schema-pattern", int(row), name, f"{short(value)} {what}", fix)


def _schema_match(pattern: str, value: str) -> bool:
    """Whether a value matches a schema pattern as the JSON Schema check reads it: Python's
    ``$`` also matches before a final line break, where RE2's (pyarrow's) does not; the text
    rules tell of that line break."""
    return re.search(pattern, value) is not None


def _pattern_words(schema: dict[str, Any]) -> tuple[str, str]:
    for ref, words in PATTERN_HINTS.items():
        if layer_schema()["$defs"][ref].get("pattern") == schema["pattern"]:
            return words
    return "does not match the expected form", "see layers/README.md"


@dataclass
class _Days:
    """A date column's first and last days (numpy datetime64[D]); NaT where unusable."""

    first: np.ndarray
    last: np.ndarray


def _date_column(
    rows: _Rows, column: pa.ChunkedArray | pa.Array, name: str, today: dt.date
) -> _Days:
    """Shape, existence and future of every date in a column, in a few array operations."""
    text = pc.fill_null(column, "")
    present = pc.is_valid(column).to_numpy(zero_copy_only=False)
    shaped = pc.match_substring_regex(text, f"^{DATE_SHAPE.pattern}$").to_numpy(
        zero_copy_only=False
    )
    for row in np.flatnonzero(present & ~shaped):
        value = column[int(row)].as_py()
        if not _schema_match(_property_schema(name)["pattern"], value):
            what, fix = PATTERN_HINTS["partialDate"]
            rows.add("schema-pattern", int(row), name, f"{short(value)} {what}", fix)
        if DATE_SHAPE.fullmatch(value.strip()):
            rows.add(
                "whitespace",
                int(row),
                name,
                f"date {short(value)} has a space or line break around it",
                "write the date alone",
            )
    lengths = pc.utf8_length(text).to_numpy(zero_copy_only=False)
    ok = present & shaped
    year = _digits(text, 0, 4, ok)
    month = np.where(lengths >= 7, _digits(text, 5, 7, ok & (lengths >= 7)), 0)
    day = np.where(lengths == 10, _digits(text, 8, 10, ok & (lengths == 10)), 0)
    month_start = (year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + np.maximum(
        month - 1, 0
    ).astype("timedelta64[M]")
    month_days = (
        (month_start + np.timedelta64(1, "M")).astype("datetime64[D]")
        - month_start.astype("datetime64[D]")
    ).astype(int)
    exists = ok & (year >= 1) & (month <= 12) & ((lengths < 7) | (month >= 1))
    exists &= (lengths < 10) | ((day >= 1) & (day <= month_days))
    for row in np.flatnonzero(ok & ~exists):
        value = column[int(row)].as_py()
        try:
            PartialDate.parse(value)
        except DateError as exc:
            rows.add(
                "no-such-date",
                int(row),
                name,
                f"date {exc}",
                "write a date that exists, at the precision the source gives",
            )
    first = month_start.astype("datetime64[D]") + np.maximum(day - 1, 0).astype("timedelta64[D]")
    year_end = (year - 1970 + 1).astype("datetime64[Y]").astype("datetime64[D]") - 1
    month_end = (month_start + np.timedelta64(1, "M")).astype("datetime64[D]") - 1
    last = np.where(lengths == 4, year_end, np.where(lengths == 7, month_end, first))
    nat = np.datetime64("NaT")
    first = np.where(exists, first, nat)
    last = np.where(exists, last, nat)
    for row in np.flatnonzero(exists & (first > np.datetime64(today))):
        rows.add(
            "future-date",
            int(row),
            name,
            f"date {column[int(row)].as_py()} is in the future (today is {today.isoformat()})",
            "the map records what has happened; correct the date",
        )
    return _Days(first, last)


def _digits(
    text: pa.ChunkedArray | pa.Array, start: int, stop: int, where: np.ndarray
) -> np.ndarray:
    """The number written at ``text[start:stop]`` where ``where`` holds, else 1."""
    sliced = pc.utf8_slice_codeunits(text, start, stop)
    masked = pc.if_else(pa.array(where), sliced, "1")
    return pc.cast(masked, pa.int64()).to_numpy(zero_copy_only=False)


def _check_dates(rows: _Rows, table: pa.Table, usable: set[str], today: dt.date) -> None:
    days = {
        name: _date_column(rows, table.column(name), name, today)
        for name in ("start", "end")
        if name in usable
    }
    if "start" in days and "end" in days:
        backwards = days["end"].last < days["start"].first  # NaT compares false
        start, end = table.column("start"), table.column("end")
        for row in np.flatnonzero(backwards):
            rows.add(
                "end-before-start",
                int(row),
                "end",
                f"end {end[int(row)].as_py()} comes before start {start[int(row)].as_py()}",
                "swap them, or correct the one that is wrong",
            )


def _check_text_columns(rows: _Rows, table: pa.Table, usable: set[str]) -> None:
    """Control characters, invisible and bidirectional characters, line breaks and markup, by
    the GeoJSON text rules, on the rows whose text is not plain ASCII."""
    plain, _ = property_columns()
    markup_fields = plain_text_fields()
    ctx = _TableContext(rows.file, dt.date.today())
    ctx.rows = rows
    for name in plain:
        if name not in usable or name in ("start", "end"):
            continue
        column = table.column(name)
        for row in _bad_rows(pc.match_substring_regex(column, SUSPECT_TEXT)):
            value = column[int(row)].as_py()
            path = ("features", int(row), "properties", name)
            _check_string(ctx, path, value, name, is_key=False)
            if name in markup_fields:
                _check_markup(ctx, path, value)
    rows.messages += ctx.messages


def _check_ids(rows: _Rows, table: pa.Table, usable: set[str], registry: IdRegistry | None) -> None:
    if "id" not in usable:
        return
    ids = table.column("id").to_pandas()
    repeated = np.flatnonzero(ids.duplicated(keep="first").to_numpy() & ids.notna().to_numpy())
    first_row = {}
    if len(repeated):
        firsts = ids[~ids.duplicated(keep="first") & ids.notna()]
        first_row = dict(zip(firsts.to_numpy(), firsts.index, strict=True))
    for row in repeated:
        fid = ids.iat[int(row)]
        rows.add(
            "duplicate-id",
            int(row),
            "id",
            f"id {fid!r} is already used by feature #{first_row[fid] + 1} of this file",
            "give this feature its own id; ids are unique across all layer files",
        )
    if registry is None:
        return
    elsewhere = registry.features.keys() & set(ids.dropna())
    if elsewhere:
        for row in np.flatnonzero(ids.isin(list(elsewhere)).to_numpy()):
            fid = ids.iat[int(row)]
            rows.add(
                "duplicate-id",
                int(row),
                "id",
                f"id {fid!r} is already used by {registry.features[fid][0]}",
                "give this feature its own id; ids are unique across all layer files",
            )
    for row, fid in zip(ids.index, ids.to_numpy(), strict=True):
        if isinstance(fid, str):
            registry.features.setdefault(fid, (rows.file, int(row)))


def _check_geometry(rows: _Rows, table: pa.Table) -> np.ndarray | None:
    """Geometry rules on the whole column; the geometries that can be placed (None at the
    rows that cannot), or None when there is no geometry column."""
    import shapely
    from shapely.validation import explain_validity

    if GEOMETRY not in table.column_names:
        return None
    column = table.column(GEOMETRY).combine_chunks()
    if isinstance(column, pa.ExtensionArray):
        column = column.storage
    raw = column.to_numpy(zero_copy_only=False)
    geoms = shapely.from_wkb(raw, on_invalid="ignore")
    missing = (
        np.array([value is None for value in raw], dtype=bool) if len(raw) else np.zeros(0, bool)
    )
    unreadable = shapely.is_missing(geoms) & ~missing
    for row in np.flatnonzero(missing):
        rows.add(
            "null-geometry", int(row), GEOMETRY, "geometry is null or missing", NULL_GEOMETRY_FIX
        )
    for row in np.flatnonzero(unreadable):
        rows.add(
            "geometry-type",
            int(row),
            GEOMETRY,
            "geometry is not readable WKB",
            "write the geometry as WKB (geopandas' to_parquet does)",
        )
    present = ~shapely.is_missing(geoms)
    type_ids = shapely.get_type_id(geoms)
    wrong = present & ~np.isin(type_ids, GEOJSON_TYPE_IDS)
    empty = present & ~wrong & shapely.is_empty(geoms)
    for row in np.flatnonzero(wrong):
        rows.add(
            "geometry-type",
            int(row),
            GEOMETRY,
            f"geometry is a {geoms[row].geom_type}, which a layer cannot hold",
            "write a Point, LineString, Polygon or their Multi forms",
        )
    for row in np.flatnonzero(empty):
        rows.add("null-geometry", int(row), GEOMETRY, "geometry is empty", NULL_GEOMETRY_FIX)
    good = present & ~wrong & ~empty
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    lon, lat = coords[:, 0], coords[:, 1]
    bad_lat = ~((lat >= -90) & (lat <= 90))
    bad_lon = ~bad_lat & ~((lon >= -180) & (lon <= 180))
    told: set[int] = set()
    for point in np.flatnonzero(bad_lat | bad_lon):
        row = int(index[point])
        if row in told:
            continue  # one message per feature, at its first bad position, as for GeoJSON
        told.add(row)
        x, y = float(lon[point]), float(lat[point])
        if bad_lat[point]:
            swapped = -90 <= x <= 90 and -180 <= y <= 180
            rows.add(
                "out-of-range",
                row,
                "geometry.coordinates",
                f"latitude {y} is outside -90..90",
                "the numbers look swapped: GeoJSON is [longitude, latitude]"
                if swapped
                else "write longitude first, then latitude, in WGS84 degrees",
            )
        else:
            rows.add(
                "out-of-range",
                row,
                "geometry.coordinates",
                f"longitude {x} is outside -180..180",
                OUT_OF_RANGE_FIX,
            )
    good[list(told)] = False
    polygons = good & np.isin(type_ids, POLYGON_TYPE_IDS)
    invalid = np.zeros(len(geoms), dtype=bool)
    invalid[polygons] = ~shapely.is_valid(geoms[polygons])
    for row in np.flatnonzero(invalid):
        rows.add(
            "invalid-polygon",
            int(row),
            "geometry",
            f"invalid polygon: {explain_validity(geoms[row])}",
            "fix the ring there (shapely.make_valid or QGIS 'Fix geometries' can help)",
        )
    _check_covering(rows, table, geoms, good)
    return np.where(good & ~invalid, geoms, None)


def _check_covering(rows: _Rows, table: pa.Table, geoms: np.ndarray, good: np.ndarray) -> None:
    """The bbox columns, which the map extent is asked of, must be the geometry's bounds."""
    import shapely

    if BBOX not in table.column_names or table.schema.field(BBOX).type != BBOX_TYPE:
        return
    box = table.column(BBOX).combine_chunks()
    stored = np.column_stack(
        [
            box.field(corner).to_numpy(zero_copy_only=False).astype(float)
            for corner in ("xmin", "ymin", "xmax", "ymax")
        ]
    )
    bounds = shapely.bounds(geoms)
    wrong = good & ~np.all(np.isclose(stored, bounds, rtol=0, atol=1e-6), axis=1)
    for row in np.flatnonzero(wrong):
        rows.add(
            "bbox",
            int(row),
            BBOX,
            f"bbox {[round(v, 6) for v in stored[row]]} is not the geometry's bounds "
            f"{[round(v, 6) for v in bounds[row]]}",
            "write the file again with geo.store.write_parquet, which computes it",
        )


def _check_countries(rows: _Rows, table: pa.Table, usable: set[str], geoms: np.ndarray) -> None:
    """Each placed point (a point inside each polygon) must lie in the feature's country,
    with the slack coastlines need; one ``covers`` call per country over all its rows."""
    import pycountry
    import shapely

    if "country" not in usable:
        return
    codes = table.column("country")
    for code in pc.unique(codes).to_pylist():
        if (
            isinstance(code, str)
            and len(code) == 2
            and code.isupper()
            and code != "XK"
            and (pycountry.countries.get(alpha_2=code) is None)
        ):
            for row in _bad_rows(pc.equal(codes, code)):
                rows.add(
                    "unknown-country",
                    int(row),
                    "country",
                    f"{code!r} is not an ISO 3166-1 alpha-2 code",
                    "use the two-letter code, e.g. QA for Qatar",
                )
    code_of_row = np.asarray(codes.to_pylist(), dtype=object)
    placed = np.flatnonzero(~shapely.is_missing(geoms))
    if not len(placed):
        return
    xs, ys, owners = _points_to_place(geoms[placed])
    owner_rows = placed[owners]
    outlines = countries.country_shapes()
    for code, outline in outlines.items():
        mine = np.flatnonzero(code_of_row[owner_rows] == code)
        if not len(mine):
            continue
        inside = shapely.covers(outline, shapely.points(xs[mine], ys[mine]))
        far: dict[int, list[tuple[float, float, float]]] = {}
        for point in mine[~inside]:
            x, y = float(xs[point]), float(ys[point])
            distance = countries.distance_km(code, x, y)
            if distance is not None and distance > countries.SLACK_KM:
                far.setdefault(int(owner_rows[point]), []).append((x, y, distance))
        checked = np.bincount(owner_rows[mine], minlength=len(geoms))
        for row, outside in sorted(far.items()):
            _tell_outside(rows, row, code, outside, int(checked[row]))


def _points_to_place(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y and the owning geometry's position, for every point of points and lines and one
    point inside each part of a polygon, in order."""
    import shapely

    is_polygon = np.isin(shapely.get_type_id(geoms), POLYGON_TYPE_IDS)
    coords, owners = shapely.get_coordinates(geoms[~is_polygon], return_index=True)
    owners = np.flatnonzero(~is_polygon)[owners]
    parts, part_owners = shapely.get_parts(geoms[is_polygon], return_index=True)
    inner = shapely.get_coordinates(shapely.point_on_surface(parts))
    part_owners = np.flatnonzero(is_polygon)[part_owners]
    xs = np.concatenate([coords[:, 0], inner[:, 0]])
    ys = np.concatenate([coords[:, 1], inner[:, 1]])
    owner = np.concatenate([owners, part_owners])
    order = np.argsort(owner, kind="stable")
    return xs[order], ys[order], owner[order]


def _tell_outside(
    rows: _Rows, row: int, code: str, outside: list[tuple[float, float, float]], checked: int
) -> None:
    text, fix = outside_country(code, outside, checked)
    rows.add("outside-country", row, "country", text, fix)


def _check_nested(
    rows: _Rows,
    table: pa.Table,
    usable: set[str],
    meta: dict[str, Any],
    today: dt.date,
    *,
    by_work: bool = True,
) -> None:
    """Sources, claims, origin and units, by the GeoJSON rules, once per distinct combination
    (a claim's source must be one of the same feature's sources, so they go together).

    With ``by_work``, the sources of rows without claims or origin are checked once per cited
    work instead (see :mod:`geo.validate.source_works`), with the same messages in the same
    order; what that cannot decide is checked by combination."""
    _, nested = property_columns()
    names = [name for name in nested if name in usable]
    if not names or not table.num_rows:
        return
    group = meta.get("group") if isinstance(meta.get("group"), str) else "user"
    if by_work and "sources" in names:
        found, rest = _sources_by_work(rows.file, group, table, names, today)
    else:
        found, rest = {}, np.arange(table.num_rows)
    if len(rest):
        found.update(_by_combination(rows.file, group, table, names, rest, today)[0])
    if not found:
        return
    # The order of the check by combination: combinations as they first occur, then rows.
    codes = _combination_codes(table, names, np.arange(table.num_rows))
    for row in sorted(found, key=lambda row: (codes[row], row)):
        for message in found[row]:
            rows.messages.append(
                replace(
                    message,
                    feature=rows.label(row),
                    path=("features", row, *message.path[2:]),
                )
            )


def _combination_codes(table: pa.Table, names: list[str], subset: np.ndarray) -> np.ndarray:
    """For each row of ``subset``, the number of its combination of nested texts, numbered as
    they first occur."""
    # One key per row: the nested columns' texts side by side ("\x00" cannot occur in JSON).
    whole = len(subset) == table.num_rows
    columns = [
        table.column(name) if whole else table.column(name).take(pa.array(subset)) for name in names
    ]
    key = pc.binary_join_element_wise(
        *[pc.fill_null(column.cast(pa.large_string()), "\x01") for column in columns],
        pa.scalar("\x00", pa.large_string()),
    )
    encoded = (
        key.combine_chunks().dictionary_encode()
        if isinstance(key, pa.ChunkedArray)
        else key.dictionary_encode()
    )
    return encoded.indices.to_numpy(zero_copy_only=False)


# Rows whose sources are read into Python at a time.
NESTED_SLICE = 65536


def _sources_by_work(
    file: str, group: str, table: pa.Table, names: list[str], today: dt.date
) -> tuple[dict[int, list[Message]], np.ndarray]:
    """The messages of the rows whose sources can be checked per work, and the other rows.

    A row qualifies when it has sources but no claims (they cite its sources) and no origin
    (its messages come between the sources' and the text's), its other nested values are
    readable and conform, and its sources conform."""
    from geo.validate.source_works import SourceCells, check_source_cells

    sources = table.column("sources")
    candidate = pc.is_valid(sources)
    for name in ("claims", "origin"):
        if name in names:
            candidate = pc.and_(candidate, pc.is_null(table.column(name)))
    chosen = _bad_rows(candidate)
    if not len(chosen):
        return {}, np.arange(table.num_rows)
    others = [name for name in names if name != "sources"]
    rest: dict[int, list[Message]] = {}
    if others:
        rest, clean = _by_combination(file, group, table, others, chosen, today)
        chosen = chosen[clean]
        if not len(chosen):
            return {}, np.arange(table.num_rows)
    # Each distinct text once: a layer may repeat a cell many times.
    chosen_texts = sources if len(chosen) == table.num_rows else sources.take(pa.array(chosen))
    texts = pc.unique(chosen_texts)
    which = pc.index_in(chosen_texts, value_set=texts).to_numpy(zero_copy_only=False)
    cells = SourceCells()
    # In slices, so that a million texts are never Python strings all at once.
    for start in range(0, len(texts), NESTED_SLICE):
        part = texts.slice(start, NESTED_SLICE)
        suspect = pc.fill_null(pc.match_substring_regex(part, SUSPECT_TEXT + r"|\\"), True)
        numbers = range(start, start + len(part))
        check_source_cells(file, today, numbers, part.to_pylist(), suspect.to_pylist(), into=cells)
    undecided = np.zeros(len(texts), dtype=bool)
    undecided[cells.undecided] = True
    found: dict[int, list[Message]] = {}
    if cells.rules or cells.text or rest:
        for row, number in zip(chosen.tolist(), which.tolist(), strict=True):
            if undecided[number]:
                continue
            text = _in_walk_order(names, cells.text.get(number, []), rest.get(row, []))
            messages = cells.rules.get(number, []) + text
            if messages:
                found[row] = messages
    fast = np.zeros(table.num_rows, dtype=bool)
    fast[chosen[~undecided[which]]] = True
    return found, np.flatnonzero(~fast)


def _in_walk_order(
    names: list[str], sources: list[Message], others: list[Message]
) -> list[Message]:
    """Text messages as check_text gives them for the whole row: the last column first."""
    if not others:
        return sources
    said: list[Message] = []
    for name in reversed(names):
        said += sources if name == "sources" else [m for m in others if m.path[3] == name]
    return said


def _by_combination(
    file: str,
    group: str,
    table: pa.Table,
    names: list[str],
    subset: np.ndarray,
    today: dt.date,
) -> tuple[dict[int, list[Message]], np.ndarray]:
    """The messages of the rows of ``subset`` for the columns ``names``, each distinct
    combination checked once; and a mask over ``subset`` of the rows whose combination is
    readable and conforms to the schema."""
    codes = _combination_codes(table, names, subset)
    firsts = np.unique(codes, return_index=True)[1]
    take = pa.array(subset[firsts])
    texts = {name: table.column(name).take(take).to_pylist() for name in names}
    stub = _stub_properties(group)
    features, unreadable = [], {}
    for number in range(len(firsts)):
        props = dict(stub)
        for name in names:
            text = texts[name][number]
            if text is None:
                continue
            try:
                props[name] = orjson.loads(text)
            except orjson.JSONDecodeError:
                unreadable.setdefault(number, []).append(name)
        features.append({"type": "Feature", "geometry": STUB_POINT, "properties": props})
    messages, broken = _nested_messages(file, group, features, texts, names, today)
    clean = ~np.isin(codes, [*broken, *unreadable])
    told = sorted(set(messages) | set(unreadable))
    found: dict[int, list[Message]] = {}
    if not told:
        return found, clean
    order = np.argsort(codes, kind="stable")
    edges = np.searchsorted(codes[order], np.arange(len(firsts) + 1))
    for number in told:
        for place in order[edges[number] : edges[number + 1]]:
            row = int(subset[place])
            said = found.setdefault(row, [])
            for name in unreadable.get(number, []):
                said.append(
                    Message(
                        "error",
                        "not-json",
                        file,
                        f"column {name!r} is not JSON text",
                        "write nested values as JSON, as geo.store.write_parquet does",
                        field=name,
                        path=("features", row, "properties", name),
                    )
                )
            said += messages.get(number, [])
    return found, clean


def _nested_messages(
    file: str,
    group: str,
    features: list[dict[str, Any]],
    texts: dict[str, list[str | None]],
    names: list[str],
    today: dt.date,
) -> tuple[dict[int, list[Message]], list[int]]:
    """The messages for each distinct combination of nested values, by its number, and the
    numbers of those that do not conform to the schema.

    Values that conform to the schema (the usual case) meet only the rules beyond it, and the
    text rules only where their JSON holds more than plain ASCII; the rest are checked as a
    whole document, so that the schema's messages are worded as for GeoJSON."""
    from geo.validate import check_document
    from geo.validate.dates import check_feature_dates
    from geo.validate.geometry import check_origin
    from geo.validate.sources import check_sources
    from geo.validate.text import check_text

    conforms = _nested_schema(tuple(names))
    sound, broken = [], []
    for number, item in enumerate(features):
        try:
            conforms(
                {name: item["properties"][name] for name in names if name in item["properties"]}
            )
            sound.append(number)
        except fastjsonschema.JsonSchemaException:
            broken.append(number)
    found: dict[int, list[Message]] = {}

    def keep(messages: list[Message], numbers: list[int]) -> None:
        for message in messages:
            path = message.path
            if len(path) >= 4 and path[0] == "features" and path[3] in names:
                found.setdefault(numbers[path[1]], []).append(message)

    if broken:
        doc = _stub_document(group, [features[number] for number in broken])
        keep(check_document(doc, file, today), broken)
    ctx = Context(file, today, {"features": [features[number] for number in sound]})
    for index in range(len(sound)):
        check_feature_dates(ctx, index)
        check_sources(ctx, index)
        check_origin(ctx, index)
    keep(ctx.messages, sound)
    suspect = re.compile(SUSPECT_TEXT + r"|\\")
    odd = [n for n in sound if any(suspect.search(texts[name][n] or "") for name in names)]
    if odd:
        nested_only = [
            {"properties": {k: v for k, v in features[n]["properties"].items() if k in names}}
            for n in odd
        ]
        text_ctx = Context(file, today, {"features": nested_only})
        check_text(text_ctx)
        keep(text_ctx.messages, odd)
    return found, broken


@lru_cache(maxsize=8)
def _nested_schema(names: tuple[str, ...]) -> Any:
    """The schema of just the nested properties, compiled: does a combination conform?"""
    schema = copy.deepcopy(layer_schema())
    properties = schema["$defs"]["properties"]["properties"]
    part = {key: schema[key] for key in ("$schema",) if key in schema}
    part.update({"$defs": schema["$defs"], "type": "object"})
    part["properties"] = {name: properties[name] for name in names}
    return fastjsonschema.compile(part)


def _stub_properties(group: str) -> dict[str, Any]:
    """Sound stand-ins for the plain properties, which are checked column by column."""
    props: dict[str, Any] = {
        "id": "row",
        "name": "row",
        "kind": "other",
        "start": "2000",
        "location_precision": "exact",
        "description": "row",
    }
    for name in _group_required(group):
        props.setdefault(name, "confirmed" if name == "claim_status" else "row")
    return props


def _stub_document(group: str, features: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "layer": {
            "id": "row",
            "title": "row",
            "group": group,
            "description": "row",
            "visible": True,
            "style": {"color": "#000000"},
        },
        "features": features,
    }
