"""Build the folium map of a view: the one place that turns data into a Leaflet page."""

from __future__ import annotations

import base64
import gzip
import html
import json
import re
from functools import lru_cache
from typing import Any

import folium
import orjson
from branca.element import Element, Figure, MacroElement
from shapely.geometry import shape
from shapely.ops import polylabel

from geo.catalog import Catalog, View
from geo.countries import basemap_geojson
from geo.render.assets import inline_head
from geo.render.details import merge_details, split_details
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
MAX_ZOOM = 18  # without tiles Leaflet knows no limit, and zero-size bounds zoom to NaN
# A payload's JSON longer than this (characters) goes into the page gzipped and base64-encoded;
# shorter ones stay plain JSON, readable in the page's source.
COMPRESS_OVER = 1_000_000
PAYLOAD_ID = "posture-payload"
DETAILS_ID = "posture-details"  # a big layer's long text, opened once the map has drawn
PLAIN_TYPE = "application/json"
PACKED_TYPE = "application/gzip;base64"


class Raw(Element):
    """Text that goes into the page as it is, never through the template engine.

    branca compiles what a MacroElement renders as a new Jinja template, so data that holds
    ``{{ ... }}`` would be evaluated there (and ``{% raw %}`` breaks the page). Our script and
    data therefore bypass templates altogether.
    """

    def __init__(self, text: str, element_id: str) -> None:
        super().__init__()
        self._id = element_id
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class PostureLayers(MacroElement):
    """Create the PostureMap on the folium map and, if given, show a payload.

    The payload travels as data, not as script: a ``<script type="application/json">`` element
    that the page reads with ``JSON.parse`` (a browser parses JSON many times faster than the
    same object written as a JavaScript literal), gzipped and base64-encoded when it is long
    (see :func:`payload_element`)."""

    def __init__(
        self,
        config: dict[str, Any],
        payload: dict[str, Any] | None,
        compress_over: int = COMPRESS_OVER,
    ) -> None:
        super().__init__()
        self._name = "PostureLayers"
        self._id = "posture_layers"
        self.config = config
        self.payload = payload
        self.compress_over = compress_over
        # What goes after everything else in the page (see map_html): a big layer's long text.
        self.trailer = ""

    def render(self, **kwargs: Any) -> None:
        root = self.get_root()
        script = (
            f"window.posture = new PostureMap({self._parent.get_name()}, "
            f"{script_json(self.config)});"
        )
        if self.payload is not None:
            drawn, details = split_details(self.payload)
            element = payload_element(drawn, self.compress_over)
            root.html.add_child(Raw(element, "posture_payload"), name="posture_payload")
            # The long text (most of a big page's bytes) comes last, after the script that
            # draws the map: the browser starts drawing before it has read those megabytes.
            self.trailer = (
                payload_element(details, self.compress_over, DETAILS_ID) if details else ""
            )
            script += (
                f"\nwindow.posture.showEmbedded(document.getElementById({PAYLOAD_ID!r}),"
                f" {DETAILS_ID!r});"
            )
        root.script.add_child(Raw(script, "posture_script"), name="posture_script")


def payload_element(
    payload: dict[str, Any], compress_over: int = COMPRESS_OVER, element_id: str = PAYLOAD_ID
) -> str:
    """The ``<script>`` data element that carries ``payload`` in an exported page: plain JSON,
    or, past ``compress_over`` characters, the JSON gzipped (no timestamp, so the same data
    gives the same bytes) and base64-encoded, for the page to open with the browser's own
    ``DecompressionStream`` (static/posture.js ``showEmbedded``)."""
    text = script_json(payload)
    if len(text) <= compress_over:
        return f'<script type="{PLAIN_TYPE}" id="{element_id}">{text}</script>'
    encoded = base64.b64encode(gzip_text(text)).decode("ascii")
    return f'<script type="{PACKED_TYPE}" id="{element_id}">{encoded}</script>'


def embedded_payload(page: str) -> dict[str, Any]:
    """The payload an exported page carries, plain or packed, with its big layers' long text
    back in place: the page's own reading of it, in Python (for tests and checks)."""
    payload = _data_element(page, PAYLOAD_ID)
    if payload is None:
        raise ValueError("the page carries no map data")
    details = _data_element(page, DETAILS_ID)
    return merge_details(payload, details) if details else payload


def _data_element(page: str, element_id: str) -> Any:
    match = re.search(rf'<script type="([^"]+)" id="{element_id}">([^<]*)</script>', page)
    if match is None:
        return None
    kind, text = match.groups()
    if kind == PACKED_TYPE:
        text = gzip.decompress(base64.b64decode(text)).decode("utf-8")
    return json.loads(text)


def compact_json(value: Any) -> str:
    """``value`` as compact JSON (orjson, which writes what json.dumps writes here, faster)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # text orjson refuses (a lone surrogate): json.dumps takes it
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def packed_json(value: Any) -> bytes:
    """``value`` as gzipped JSON (level 1, no timestamp), as the app sends a payload to its
    map: bytes cross to the browser and into the map's frame as they are, where an object of
    100,000 rows took the browser longer to copy between frames than to parse as JSON."""
    return gzip_text(compact_json(value))


def gzip_text(text: str) -> bytes:
    """``text`` gzipped, with no timestamp (the same text gives the same bytes)."""
    # Level 1: on a synthetic 100,000-event layer, level 6 took 0.8 s more for a quarter less.
    return gzip.compress(text.encode("utf-8"), compresslevel=1, mtime=0)


def script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element: nothing in it can close the element,
    start a comment or end a line early."""
    text = compact_json(value)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("'", "\\u0027"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def build_map(
    catalog: Catalog | None,
    view: View,
    *,
    title: str | None = None,
    tiles: str = "none",
    embedded: bool = True,
    footer: str = "",
    compress_over: int = COMPRESS_OVER,
) -> folium.Map:
    """The folium map of ``view``. Without a catalog, the map is an empty shell that the app
    fills by sending payloads to it. A payload longer than ``compress_over`` characters is
    embedded gzipped (see :func:`payload_element`)."""
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
        min_zoom=2,
        max_zoom=MAX_ZOOM,
    )
    fmap._id = "posture"
    fmap.default_js = []
    fmap.default_css = []
    figure.add_child(fmap)
    figure.header.add_child(Raw(inline_head(), "posture_assets"), name="posture_assets")
    tile = TILES[tiles]
    if tile:
        layer = folium.TileLayer(**tile)
        layer._id = "posture_tiles"
        layer.add_to(fmap)
    payload = None
    if catalog is not None:
        payload = build_payload(catalog, view, title)
        payload["footer"] = footer
    config = {
        "basemap": _basemap(),
        # Tiles print their own country names; ours would say them twice.
        "countryLabels": [] if tile else country_labels(),
        "embedded": embedded,
        # An exported page has no sidebar: its legend rows are the layers' switches.
        "legendToggles": embedded,
    }
    PostureLayers(config, payload, compress_over).add_to(fmap)
    return fmap


def map_html(fmap: folium.Map) -> str:
    """The page of ``fmap``, with what its PostureLayers puts last (:attr:`~PostureLayers.trailer`)
    after its final script."""
    page = fmap.get_root().render()
    trailer = "".join(
        child.trailer for child in fmap._children.values() if isinstance(child, PostureLayers)
    )
    if not trailer:
        return page
    end = page.rindex("</html>")
    return f"{page[:end]}{trailer}\n{page[end:]}"


@lru_cache(maxsize=1)
def _basemap() -> dict[str, Any]:
    return json.loads(basemap_geojson())


@lru_cache(maxsize=1)
def country_labels() -> list[list[Any]]:
    """``[name, lat, lng, area]`` per country of the basemap, largest first: where its name goes
    (the pole of inaccessibility of its largest part, so the name sits inside it) and the
    area (square degrees) that ranks it when names collide."""
    labels = []
    for item in _basemap()["features"]:
        props = item["properties"]
        if not props.get("iso_a2") or not props.get("name"):
            continue  # Bir Tawil, the Sovereign Base Areas: no country to name
        geom = shape(item["geometry"])
        part = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
        point = polylabel(part, tolerance=0.05)
        labels.append([_repair(props["name"]), round(point.y, 3), round(point.x, 3), geom.area])
    labels.sort(key=lambda label: -label[3])
    return [[name, lat, lng, round(area, 2)] for name, lat, lng, area in labels]


def _repair(name: str) -> str:
    """A name whose UTF-8 bytes were once read as Latin-1 ('Ã\x85land'), as it was meant."""
    try:
        return name.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name
