"""Leaflet and our own script and styles, read from installed packages and inlined.

Nothing is fetched from a CDN: Leaflet comes from the XStatic-Leaflet package (the version folium
uses), images in its stylesheet become data: URIs, and our files ship in geo/render/static/.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import xstatic.pkg.leaflet as xleaflet

LEAFLET_DIR = Path(xleaflet.BASE_DIR)
LEAFLET_VERSION = xleaflet.VERSION
STATIC = files("geo.render") / "static"


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    return _script_safe((LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        image = LEAFLET_DIR / match.group(1)
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return _style_safe(re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css))


@lru_cache(maxsize=1)
def posture_js() -> str:
    return _script_safe((STATIC / "posture.js").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def posture_css() -> str:
    return _style_safe((STATIC / "posture.css").read_text(encoding="utf-8"))


def inline_head() -> str:
    """The <style> and <script> elements that make a page draw the map with no network."""
    return (
        f"<style>{leaflet_css()}</style>\n<style>{posture_css()}</style>\n"
        f"<script>{leaflet_js()}</script>\n<script>{posture_js()}</script>"
    )


def _script_safe(text: str) -> str:
    if re.search(r"</script", text, re.IGNORECASE):
        raise ValueError("a bundled script holds '</script' and cannot be inlined")
    return text


def _style_safe(text: str) -> str:
    if re.search(r"</style", text, re.IGNORECASE):
        raise ValueError("a bundled stylesheet holds '</style' and cannot be inlined")
    return text
