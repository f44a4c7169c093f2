"""Big layers as GeoParquet, asked through DuckDB for a view.

A Parquet layer is a :class:`geo.model.Layer` like a GeoJSON one; only its ``features`` differ:
a :class:`StoredFeatures` sequence that leaves the rows in the file and answers the catalog's
questions (a view's features, one feature by id, the distinct values of a column) with SQL.

- :func:`write_parquet`: a layer (for example read from GeoJSON) -> a GeoParquet file, atomically.
- :func:`open_layer`: a GeoParquet layer file -> a Layer (no rows read).

The file is GeoParquet 1.1 as geopandas writes it (WKB geometry, a ``bbox`` covering column);
the layer object travels as JSON in the file's key-value metadata under ``layer``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import orjson
import pyarrow as pa

from geo.io import write_atomic
from geo.model import Layer
from geo.store.columns import LAYER_KEY, ColumnFeatures, features_to_columns
from geo.store.query import Filter, Table

__all__ = ["LAYER_KEY", "Filter", "StoredFeatures", "open_layer", "write_parquet"]


class StoredFeatures(Sequence[dict[str, Any]]):
    """A Parquet layer's features, left in the file: ``len`` reads the footer, iteration
    streams the rows in batches, and the catalog asks :attr:`table` for just what a view needs.
    """

    def __init__(self, table: Table, count: int) -> None:
        self.table = table
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for batch in self.table.batches():
            yield from batch

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self[n] for n in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        return self.table.row(index)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StoredFeatures):
            return self.table.path == other.table.path
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StoredFeatures({str(self.table.path)!r}, {self._count} rows)"


def open_layer(path: Path) -> Layer:
    """The layer in a GeoParquet file that has passed :func:`geo.validate.table.check_table`.

    Only the footer is read: the metadata, the row count and the column names.
    """
    import pyarrow.parquet as pq

    metadata = pq.read_metadata(path)
    meta = orjson.loads(metadata.metadata[LAYER_KEY])
    table = Table(Path(path), list(metadata.schema.to_arrow_schema().names))
    return Layer(path=Path(path), meta=meta, features=StoredFeatures(table, metadata.num_rows))


def write_parquet(layer: Layer, path: Path) -> None:
    """Write ``layer`` (metadata and features) to ``path`` as a GeoParquet layer file.

    The file appears whole or not at all (see :func:`geo.io.write_atomic`). Feature-level
    ``bbox`` members are not kept: the file's covering column holds each feature's box.
    """
    write_atomic(Path(path), parquet_bytes(layer.meta, list(layer.features)))


def parquet_bytes(meta: dict[str, Any], features: list[dict[str, Any]] | ColumnFeatures) -> bytes:
    """The GeoParquet file for a layer, in memory.

    geopandas writes the geometry (WKB, the ``bbox`` covering column and the ``geo`` metadata);
    the property columns go straight to Arrow text columns, which at a million rows is several
    times faster than a pandas frame of Python strings.
    """
    import geopandas
    import pyarrow.parquet as pq

    if isinstance(features, ColumnFeatures):  # a columnar import: its columns as they are
        import shapely

        geometries = shapely.points(features.lon, features.lat)
        columns = features.columns
    else:
        geometries = _geometries(features)
        # Every property is text (nested ones JSON text), whether or not any feature has it.
        columns = {
            name: pa.array(values, type=pa.large_string())
            for name, values in features_to_columns(features).items()
        }
    staged = io.BytesIO()
    geopandas.GeoDataFrame(geometry=geometries, crs="EPSG:4326").to_parquet(
        staged, index=False, schema_version="1.1.0", write_covering_bbox=True
    )
    shapes = pq.read_table(pa.BufferReader(staged.getvalue()))
    table = pa.table({**columns, **{name: shapes.column(name) for name in shapes.column_names}})
    metadata = dict(shapes.schema.metadata or {})
    metadata.pop(b"pandas", None)  # the frame was only a way to the GeoParquet metadata
    metadata[LAYER_KEY] = orjson.dumps(meta)
    out = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(metadata), out, compression="zstd")
    return out.getvalue()


def _geometries(features: list[dict[str, Any]]) -> Any:
    """Shapely geometries of the features; points (nearly every event) built in one call."""
    import numpy as np
    import shapely
    import shapely.geometry

    geometries = [feature["geometry"] for feature in features]
    if all(geometry["type"] == "Point" for geometry in geometries):
        coords = np.array([geometry["coordinates"][:2] for geometry in geometries], dtype=float)
        return shapely.points(coords.reshape(-1, 2))
    return [shapely.geometry.shape(geometry) for geometry in geometries]
