"""The columns of a Parquet layer, and the turn from a GeoJSON feature to a row and back.

Every feature property is a column of its own: the plain ones (id, name, kind, dates, country,
actor ...) as text, the nested ones (sources, claims, origin, units) as JSON text. The column
list is read from the JSON Schema, so a new property cannot be forgotten here. The geometry is
WKB in the GeoParquet way, with a GeoParquet 1.1 ``bbox`` covering column beside it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import numpy as np
import orjson
import pyarrow as pa
import shapely
import shapely.geometry

from geo.validate.table import BBOX, GEOMETRY, LAYER_KEY, property_columns

__all__ = [
    "BBOX",
    "GEOMETRY",
    "LAYER_KEY",
    "ColumnFeatures",
    "features_to_columns",
    "geometries_from_wkb",
    "property_columns",
    "rows_to_features",
]


def features_to_columns(features: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Column name -> values, one per feature (None where a feature has no such property)."""
    plain, nested = property_columns()
    columns: dict[str, list[Any]] = {name: [] for name in (*plain, *nested)}
    for feature in features:
        props = feature["properties"]
        for name in plain:
            columns[name].append(props.get(name))
        for name in nested:
            value = props.get(name)
            columns[name].append(None if value is None else orjson.dumps(value).decode())
    return columns


class ColumnFeatures(Sequence[dict[str, Any]]):
    """Point features held as columns, as a columnar importer builds them: ``columns`` maps
    each property column (see :func:`property_columns`) to an Arrow text array, ``lon`` and
    ``lat`` are the positions. :func:`geo.store.parquet_bytes` writes them as they are; reading
    one item builds its feature dict.
    """

    def __init__(self, columns: dict[str, pa.Array], lon: np.ndarray, lat: np.ndarray) -> None:
        self.columns = columns
        self.lon = lon
        self.lat = lat

    def __len__(self) -> int:
        return len(self.lon)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self[n] for n in range(len(self)))

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self[n] for n in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        nested = set(property_columns()[1])
        props = {}
        for name, column in self.columns.items():
            value = column[index].as_py()
            if value is not None:
                props[name] = orjson.loads(value) if name in nested else value
        position = [float(self.lon[index]), float(self.lat[index])]
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": position},
                "properties": props}  # fmt: skip


def rows_to_features(table: pa.Table) -> list[dict[str, Any]]:
    """GeoJSON feature dicts from rows read back (null columns are properties not given)."""
    plain, nested = property_columns()
    names = [name for name in (*plain, *nested) if name in table.column_names]
    json_names = set(nested)
    geometries = geometries_from_wkb(table.column(GEOMETRY))
    features = []
    for row, geometry in zip(table.select(names).to_pylist(), geometries, strict=True):
        props = {
            key: (orjson.loads(value) if key in json_names else value)
            for key, value in row.items()
            if value is not None
        }
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return features


def geometries_from_wkb(column: pa.ChunkedArray | pa.Array) -> list[dict[str, Any] | None]:
    """GeoJSON geometry dicts, with lists for positions as a parsed GeoJSON file has them."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if isinstance(array, pa.ExtensionArray):
        array = array.storage
    geoms = shapely.from_wkb(array.to_numpy(zero_copy_only=False))
    is_point = shapely.get_type_id(geoms) == 0
    xs, ys = shapely.get_x(geoms), shapely.get_y(geoms)
    has_z = shapely.has_z(geoms)
    zs = shapely.get_z(geoms[is_point & has_z]) if (is_point & has_z).any() else None
    out: list[dict[str, Any] | None] = []
    z_index = 0
    for n, geom in enumerate(geoms):
        if geom is None:
            out.append(None)
        elif is_point[n]:
            position = [float(xs[n]), float(ys[n])]
            if has_z[n]:
                position.append(float(zs[z_index]))
                z_index += 1
            out.append({"type": "Point", "coordinates": position})
        else:
            out.append(_as_lists(shapely.geometry.mapping(geom)))
    return out


def _as_lists(value: Any) -> Any:
    """shapely's mapping gives tuples; a parsed GeoJSON file gives lists."""
    if isinstance(value, dict):
        return {key: _as_lists(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_as_lists(item) for item in value]
    return value
