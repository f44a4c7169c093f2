"""Build the folium map of a view: the one place that turns data into a Leaflet page."""

from __future__ import annotations

import html
import json
from functools import lru_cache
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from geo.catalog import Catalog, View
from geo.countries import basemap_geojson
from geo.render.assets import inline_head
from geo.render.payload import build_payload

# Optional tile layers. Tiles are the one thing that may come from the network; the offline
# basemap is always drawn beneath them.
TILES: dict[str, dict[str, str] | None] = {
    "none": None,
    "openstreetmap": {
        "tiles": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attr": "&copy; OpenStreetMap contributors",
        "name": "OpenStreetMap",
    },
}
DEFAULT_CENTER = (28.0, 45.0)
DEFAULT_ZOOM = 5


class OfflineAssets(Element):
    """Leaflet and our script and styles, inlined into the page's head."""

    def __init__(self) -> None:
        super().__init__(inline_head())
        self._id = "posture_assets"


class PostureLayers(MacroElement):
    """Create the PostureMap on the folium map and, if given, show a payload.

    Values reach JavaScript only through ``tojson``, which escapes ``<``, ``>``, ``&`` and ``'``,
    so no data can close the script element or reach the template engine.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.posture = new PostureMap({{ this._parent.get_name() }}, {{ this.config|tojson }});
        {% if this.payload %}window.posture.show({{ this.payload|tojson }});{% endif %}
        {% endmacro %}
        """
    )

    def __init__(self, config: dict[str, Any], payload: dict[str, Any] | None) -> None:
        super().__init__()
        self._name = "PostureLayers"
        self._id = "posture_layers"
        self.config = config
        self.payload = payload


def build_map(
    catalog: Catalog | None,
    view: View,
    *,
    title: str | None = None,
    tiles: str = "none",
    embedded: bool = True,
    footer: str = "",
) -> folium.Map:
    """The folium map of ``view``. Without a catalog, the map is an empty shell that the app
    fills by sending payloads to it."""
    if tiles not in TILES:
        raise ValueError(f"unknown tiles {tiles!r}; choose one of {', '.join(TILES)}")
    figure = Figure(title=html.escape(title or "US force posture in the Middle East"))
    figure._id = "posture_figure"
    fmap = folium.Map(
        location=list(view.center or DEFAULT_CENTER),
        zoom_start=view.zoom or DEFAULT_ZOOM,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    fmap._id = "posture"
    fmap.default_js = []
    fmap.default_css = []
    figure.add_child(fmap)
    figure.header.add_child(OfflineAssets(), name="posture_assets")
    tile = TILES[tiles]
    if tile:
        layer = folium.TileLayer(**tile)
        layer._id = "posture_tiles"
        layer.add_to(fmap)
    payload = None
    if catalog is not None:
        payload = build_payload(catalog, view, title)
        payload["footer"] = footer
    config = {"basemap": _basemap(), "embedded": embedded, "layerControl": embedded}
    PostureLayers(config, payload).add_to(fmap)
    return fmap


def map_html(fmap: folium.Map) -> str:
    return fmap.get_root().render()


@lru_cache(maxsize=1)
def _basemap() -> dict[str, Any]:
    return json.loads(basemap_geojson())
