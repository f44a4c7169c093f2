"""Exports of a view for presenters: a self-contained HTML map, PNG/SVG images, data files.

- :func:`geo.export.images.export_image`: slide-ready PNG or SVG, or a PDF briefing
  (:mod:`geo.export.briefing`), drawn offline with matplotlib.
- :func:`geo.export.data.export_data`: GeoJSON (a valid layer file), CSV, KML, GeoPackage.
- :func:`geo.export.html.html_bytes`: the self-contained HTML page, from
  :func:`geo.render.export_html`.
- :mod:`geo.export.command`: the ``python -m geo export`` command.
- :mod:`geo.export.text`: text a format cannot hold, replaced instead of a crash.
- :func:`geo.export.view_args.view_from_args`: command-line options -> :class:`geo.catalog.View`.

Heavy libraries (matplotlib, geopandas, pyogrio) are imported inside the functions that use them.
"""

from __future__ import annotations

from geo.catalog import Catalog, View
from geo.export.data import DATA_FORMATS, EmptyViewError, data_bytes, export_data
from geo.export.images import IMAGE_FORMATS, export_image, render_image
from geo.export.view_args import ViewError, view_from_args

__all__ = [
    "DATA_FORMATS",
    "FILE_FORMATS",
    "IMAGE_FORMATS",
    "EmptyViewError",
    "ViewError",
    "data_bytes",
    "export_bytes",
    "export_data",
    "export_image",
    "render_image",
    "view_from_args",
]

FILE_FORMATS = ("html", *IMAGE_FORMATS, *DATA_FORMATS)
MIME_TYPES = {
    "html": "text/html",
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "geojson": "application/geo+json",
    "csv": "text/csv",
    "kml": "application/vnd.google-earth.kml+xml",
    "gpkg": "application/geopackage+sqlite3",
}


def export_bytes(catalog: Catalog, view: View, fmt: str, title: str | None = None) -> bytes:
    """The bytes of an export of ``view``, for a download button: the same files the
    ``export`` command writes."""
    if fmt == "html":
        from geo.export.html import html_bytes

        return html_bytes(catalog, view, title=title)
    if fmt in IMAGE_FORMATS:
        return render_image(catalog, view, fmt, title=title)
    return data_bytes(catalog, view, fmt, title)
