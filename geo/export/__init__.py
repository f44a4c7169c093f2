"""Exports of a view for presenters: a self-contained HTML map, PNG/SVG images, data files.

- :func:`geo.export.images.export_image`: slide-ready PNG or SVG, drawn offline with matplotlib.
- :func:`geo.export.data.export_data`: GeoJSON (a valid layer file), CSV, KML, GeoPackage.
- :mod:`geo.export.command`: the ``python -m geo export`` command; HTML comes from
  :func:`geo.render.export_html`.
- :func:`geo.export.view_args.view_from_args`: command-line options -> :class:`geo.catalog.View`.

Heavy libraries (matplotlib, geopandas, pyogrio) are imported inside the functions that use them.
"""

from __future__ import annotations

from geo.export.data import DATA_FORMATS, EmptyViewError, export_data
from geo.export.images import IMAGE_FORMATS, export_image, render_image
from geo.export.view_args import ViewError, view_from_args

__all__ = [
    "DATA_FORMATS",
    "IMAGE_FORMATS",
    "EmptyViewError",
    "ViewError",
    "export_data",
    "export_image",
    "render_image",
    "view_from_args",
]
