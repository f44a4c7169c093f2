"""The render layer: the only code that imports folium."""

from __future__ import annotations

from geo.catalog import Catalog, View
from geo.render.maps import TILES, build_map, map_html
from geo.render.payload import reviewed_sentence

__all__ = ["TILES", "build_map", "export_html", "map_html"]


def export_html(
    catalog: Catalog, view: View, *, title: str | None = None, tiles: str = "none"
) -> str:
    """One self-contained HTML page of ``view``: Leaflet, styles, basemap and data inlined.

    The same inputs give byte-identical output; with ``tiles="none"`` the page makes no request.
    """
    footer = (
        f"{reviewed_sentence(catalog)} Data version {catalog.data_version()}. "
        "Basemap: Natural Earth (public domain). "
        "Every feature cites its sources; click it to read them."
    )
    return map_html(
        build_map(catalog, view, title=title, tiles=tiles, embedded=True, footer=footer)
    )
