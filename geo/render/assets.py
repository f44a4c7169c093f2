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


def _static_files(suffix: str) -> list[str]:
    """Our files of one kind, in the order a page needs them: vendored libraries first, then
    the core (``posture.*``), then the plugins that extend it, by name."""
    vendor = STATIC / "vendor"
    names = (
        [f"vendor/{f.name}" for f in vendor.iterdir() if f.name.endswith(suffix)]
        if (vendor.is_dir())
        else []
    )
    core = f"posture{suffix}"
    plugins = [f.name for f in STATIC.iterdir() if f.name.endswith(suffix) and f.name != core]
    return [*sorted(names), core, *sorted(plugins)]


@lru_cache(maxsize=1)
def posture_js() -> str:
    """Our scripts (vendored libraries, core, plugins), joined in load order."""
    parts = [(STATIC / name).read_text(encoding="utf-8") for name in _static_files(".js")]
    return _script_safe("\n;\n".join(parts))


@lru_cache(maxsize=1)
def posture_css() -> str:
    parts = [(STATIC / name).read_text(encoding="utf-8") for name in _static_files(".css")]
    return _style_safe("\n".join(parts))


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
