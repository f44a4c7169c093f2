"""The map as a Streamlit component: the render layer's page, fed with payloads.

Panning and zooming stay in the browser (no rerun); a click on a feature sends its id back.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import streamlit.components.v1 as components

from geo.catalog import Catalog, View
from geo.render import build_map, map_html
from geo.render.payload import build_payload

_FRONTEND = Path(__file__).resolve().parent / "map_frontend"
_component = components.declare_component("posture_map", path=str(_FRONTEND))
# Where the app opens when the URL names no view: the Levant and the Gulf.
APP_DEFAULT_VIEW = {"lat": 28.5, "lng": 44.5, "zoom": 5}


@lru_cache(maxsize=4)
def map_shell(tiles: str) -> str:
    """The map page without data: Leaflet, our script, the basemap and the tiles choice."""
    return map_html(build_map(None, View(), tiles=tiles, embedded=False))


def posture_map(
    catalog: Catalog, view: View, *, tiles: str, height: int = 620, key: str = "posture-map"
) -> dict[str, Any] | None:
    """Draw ``view``; return the last click as ``{"selected": id}`` (or None)."""
    payload = build_payload(catalog, view.with_(selected=None))
    if payload["view"] is None:
        payload["view"] = APP_DEFAULT_VIEW
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return _component(
        shell=map_shell(tiles),
        payload=payload,
        payload_key=hashlib.sha256(text.encode()).hexdigest()[:16],
        selected=view.selected,
        height=height,
        key=key,
        default=None,
    )
