"""The map as a Streamlit component: the render layer's page, fed with payloads.

Panning and zooming stay in the browser (no rerun); a click on a feature sends its id back.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import streamlit.components.v1 as components

from geo.catalog import Catalog, View
from geo.render import build_map, map_html

_FRONTEND = Path(__file__).resolve().parent / "map_frontend"
_component = components.declare_component("posture_map", path=str(_FRONTEND))
# Where the app opens when the URL names no view: the Levant and the Gulf.
APP_DEFAULT_VIEW = {"lat": 28.5, "lng": 44.5, "zoom": 5}


@lru_cache(maxsize=4)
def map_shell(tiles: str) -> str:
    """The map page without data: Leaflet, our script, the basemap and the tiles choice."""
    return map_html(build_map(None, View(), tiles=tiles, embedded=False))


def posture_map(
    catalog: Catalog,
    view: View,
    payload: dict[str, Any],
    *,
    tiles: str,
    labels: bool = True,
    height: int = 0,
    key: str = "posture-map",
) -> dict[str, Any] | None:
    """Draw ``payload`` (built for ``view``); return the last click as ``{"selected": id}``
    (or the map's label switch as ``{"labels": bool}``). ``height`` 0 fits the map to the
    browser window."""
    if payload["view"] is None:
        payload = {**payload, "view": APP_DEFAULT_VIEW}
    return _component(
        shell=map_shell(tiles),
        payload=payload,
        payload_key=payload_key(catalog, view),
        selected=view.selected,
        labels=labels,
        height=height,
        key=key,
        default=None,
    )


def payload_key(catalog: Catalog, view: View) -> str:
    """What identifies a payload without reading it: the view and the loaded layers.

    The catalog is cached, so its layers are the same objects until a file changes."""
    layers = [(layer.id, id(layer), len(layer.features)) for layer in catalog.layers]
    text = repr((view.with_(selected=None), layers))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
