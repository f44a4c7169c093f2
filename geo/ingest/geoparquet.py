"""A GeoParquet file (one of our layers, or a plain one from geopandas, QGIS or DuckDB) brought
into the layer format the way a GeoJSON FeatureCollection is: a plain file gets layer metadata,
its columns become properties, and each feature the validator finds an error in is left out
with one line naming it and why."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson

from geo.ingest.common import ImportFileError, ImportResult, Options, clean, default_layer_id
from geo.ingest.screen import screen

COLOR = "#0f766e"
SUFFIXES = (".geoparquet", ".parquet")


def import_geoparquet(path: Path, options: Options) -> ImportResult:
    """A layer from a GeoParquet file; features that fail the validator are reported."""
    table, meta = _read(path)
    doc = {
        "type": "FeatureCollection",
        "layer": meta if isinstance(meta, dict) else _meta(path, options),
        "features": _features(table),
    }
    if isinstance(meta, dict) and options.layer_id:
        doc["layer"]["id"] = options.layer_id
    rows = len(doc["features"])
    # A Parquet file has no lines: each message names the feature's id (or its index).
    dropped, layer_errors = screen(doc, str(path), [None] * rows, options.today)
    if layer_errors:
        raise ImportFileError.from_message(layer_errors[0])
    return ImportResult(doc, rows, dropped)


def _read(path: Path) -> tuple[Any, Any]:
    """The file's rows as an Arrow table and its ``layer`` metadata (None for a plain file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from geo.store.columns import LAYER_KEY

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else "unreadable"
        raise ImportFileError(
            f"not a readable Parquet file ({reason}) - export it again as GeoParquet"
        ) from None
    metadata = table.schema.metadata or {}
    if b"geo" not in metadata:
        raise ImportFileError(
            "a Parquet file without GeoParquet metadata - write it with geopandas "
            "to_parquet(), or export it as GeoParquet from QGIS or DuckDB"
        )
    try:
        geo = orjson.loads(metadata[b"geo"])
        column = geo["primary_column"]
        encoding = geo["columns"][column].get("encoding", "WKB")
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        raise ImportFileError(
            "the GeoParquet metadata cannot be read - export the file again as GeoParquet"
        ) from None
    if str(encoding).upper() != "WKB" or column not in table.column_names:
        raise ImportFileError(
            f"the geometry column {column!r} is not WKB - export it with WKB geometry"
        )
    crs = geo["columns"][column].get("crs")
    if crs is not None and not _is_wgs84(crs):
        raise ImportFileError(
            "the geometry is not in longitude/latitude (WGS84) - reproject it to EPSG:4326 "
            "(geopandas: to_crs(4326))"
        )
    meta = None
    if LAYER_KEY in metadata:
        try:
            meta = orjson.loads(metadata[LAYER_KEY])
        except orjson.JSONDecodeError:
            meta = None
    return table.rename_columns(
        ["__geometry__" if name == column else name for name in table.column_names]
    ), meta


def _is_wgs84(crs: Any) -> bool:
    """True for the CRSs of lon/lat data (PROJJSON of EPSG:4326 or OGC:CRS84)."""
    if not isinstance(crs, dict):
        return False
    ident = crs.get("id") or {}
    return (ident.get("authority"), str(ident.get("code"))) in {
        ("EPSG", "4326"),
        ("OGC", "CRS84"),
    }


def _features(table: Any) -> list[dict[str, Any]]:
    import shapely

    from geo.store.columns import BBOX, property_columns

    _plain, nested = property_columns()
    json_names = set(nested)
    try:
        geometries = shapely.from_wkb(table.column("__geometry__").to_numpy(zero_copy_only=False))
    except (shapely.errors.GEOSException, TypeError, ValueError):
        raise ImportFileError(
            "the geometry column holds values that are not WKB, though the GeoParquet "
            "metadata says WKB - export the file again as GeoParquet"
        ) from None
    names = [name for name in table.column_names if name not in ("__geometry__", BBOX)]
    features = []
    for row, geometry in zip(table.select(names).to_pylist(), geometries, strict=True):
        props = {
            key: _value(value, key in json_names)
            for key, value in row.items()
            if value is not None and not (isinstance(value, float) and math.isnan(value))
        }
        shape = None if geometry is None else orjson.loads(shapely.to_geojson(geometry))
        features.append({"type": "Feature", "geometry": shape, "properties": props})
    return features


def _value(value: Any, is_json: bool) -> Any:
    """Our nested properties travel as JSON text; the validator judges whatever they hold."""
    if is_json and isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    if hasattr(value, "isoformat"):  # a Parquet date or timestamp: the format writes text
        return value.isoformat()
    return value


def _meta(path: Path, options: Options) -> dict[str, Any]:
    return {
        "id": options.layer_id or default_layer_id(path, "geoparquet"),
        "title": options.title or f"Imported from {clean(path.name) or 'a GeoParquet file'}",
        "group": "user",
        "description": f"Imported on {options.today.isoformat()} from {clean(path.name)}.",
        "visible": True,
        "style": {"color": COLOR, "marker": "square"},
    }
