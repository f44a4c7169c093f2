"""Import foreign event data as layers: one module per format, rows in, a layer document out,
with honest precision and the dataset cited. Nothing here draws or prints.

``import_file(path, fmt, Options())``, with ``fmt`` one of :data:`FORMATS`, returns an
:class:`ImportResult`; a file that cannot be imported at all raises :class:`ImportFileError`
with a one-line reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from geo.ingest.common import ImportFileError, ImportResult, Options

FORMATS = ("acled", "ucdp", "csv", "geojson", "geoparquet")


def import_file(path: Path, fmt: str, options: Options) -> ImportResult:
    """Import ``path`` as ``fmt`` (one of :data:`FORMATS`)."""
    return _importer(fmt)(Path(path), options)


def _importer(fmt: str) -> Callable[[Path, Options], ImportResult]:
    if fmt == "acled":
        from geo.ingest.acled import import_acled

        return import_acled
    if fmt == "ucdp":
        from geo.ingest.ucdp import import_ucdp

        return import_ucdp
    if fmt == "csv":
        from geo.ingest.csv import import_csv

        return import_csv
    if fmt == "geojson":
        from geo.ingest.geojson import import_geojson

        return import_geojson
    if fmt == "geoparquet":
        from geo.ingest.geoparquet import import_geoparquet

        return import_geoparquet
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "ImportFileError", "ImportResult", "Options", "import_file"]
