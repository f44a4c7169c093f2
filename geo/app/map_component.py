"""The map as a Streamlit component: the render layer's page, fed with payloads.

Panning and zooming stay in the browser (no rerun); a click on a feature sends its id back.
A big layer's long text (names, descriptions, notes, source text) stays here and goes to the
browser one row at a time, for the selected feature (geo/render/details.py).

A payload goes to the browser once per change of data, as gzipped JSON bytes (which cross
into the map's frame as they are). The frame keeps the last :data:`HELD` payloads it was sent,
and this session remembers their keys: it sends ``payload=None`` for a payload the frame holds
(a rerun that only changes the selection, or a layer switched off and on again). The map page
itself (Leaflet, our scripts, the basemap: about 1 MB) goes once per session and tiles choice.
A new frame (after a page switch) that is handed a key it does not hold asks for it, and the
next run sends the page and the payload again.
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.components.v1 as components

from geo.catalog import Catalog, View
from geo.render import build_map, map_html
from geo.render.details import row_details, split_details
from geo.render.maps import packed_json
from geo.render.payload import build_payload

_FRONTEND = Path(__file__).resolve().parent / "map_frontend"
_component = components.declare_component("posture_map", path=str(_FRONTEND))
# Where the app opens when the URL names no view: the Levant and the Gulf.
APP_DEFAULT_VIEW = {"lat": 28.5, "lng": 44.5, "zoom": 5}
# Session state: the keys of the payloads the map holds (oldest first) and of the map page
# last sent to it, and the stamp of the last resend the map asked for.
SENT_KEY = "_posture_map_sent"
HELD = 2  # payloads the map's frame keeps (map_frontend/index.html HELD)
SHELL_SENT_KEY = "_posture_map_shell_sent"
ASKED_KEY = "_posture_map_asked"
# The payloads built last, by key, for every session of this server, with their packed bytes.
KEPT_PAYLOADS = 2
_BUILT: dict[str, dict[str, Any]] = {}
_PACKED: dict[str, bytes] = {}
_BUILT_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def map_shell(tiles: str) -> str:
    """The map page without data: Leaflet, our script, the basemap and the tiles choice."""
    return map_html(build_map(None, View(), tiles=tiles, embedded=False))


@lru_cache(maxsize=4)
def packed_shell(tiles: str) -> tuple[bytes, str]:
    """:func:`map_shell` as UTF-8 bytes, and a key that names it."""
    page = map_shell(tiles).encode("utf-8")
    return page, hashlib.sha256(page).hexdigest()[:16]


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
    """Draw ``payload`` (built for ``view``); return what the map last told, a dict stamped
    ``at`` when a click (``selected``), the label switch (``labels``) or the timeline
    (``window``, ``asof``) changed it, and carrying the frame on screen (``extent``).
    ``height`` 0 fits the map to the browser window.

    The payload is sent only when the frame does not hold it (its last :data:`HELD`, the
    most recently shown last, as the frame keeps them); a frame that asks for it (``missing``,
    stamped ``missingAt``) gets it on a rerun."""
    ss = st.session_state
    current = payload_key(catalog, view)
    held = ss.get(SENT_KEY, [])
    send = current not in held
    shell, shell_key = packed_shell(tiles)
    drawn, details = split_details(payload)  # cheap: it regroups columns, copies none
    value = _component(
        shell=shell if ss.get(SHELL_SENT_KEY) != shell_key else None,
        shell_key=shell_key,
        payload=_packed(current, drawn) if send else None,
        payload_key=current,
        selected=view.selected,
        detail=row_details(drawn, details, view.selected) if details else None,
        labels=labels,
        height=height,
        key=key,
        default=None,
    )
    ss[SENT_KEY] = [*(key for key in held if key != current), current][-HELD:]
    ss[SHELL_SENT_KEY] = shell_key
    if not isinstance(value, dict):
        return None
    asked_at = value.get("missingAt")
    if value.get("missing") == current and asked_at != ss.get(ASKED_KEY):
        ss[ASKED_KEY] = asked_at
        del ss[SENT_KEY]
        del ss[SHELL_SENT_KEY]  # a new frame lacks the page as well as the payload
        st.rerun()
    return value


def _packed(key: str, drawn: dict[str, Any]) -> bytes:
    """The payload's drawn part as the map is sent it (gzipped JSON), packed once per key."""
    with _BUILT_LOCK:
        packed = _PACKED.get(key)
    if packed is None:
        if drawn["view"] is None:
            drawn = {**drawn, "view": APP_DEFAULT_VIEW}
        packed = packed_json(drawn)
        with _BUILT_LOCK:
            _PACKED[key] = packed
            while len(_PACKED) > KEPT_PAYLOADS:
                _PACKED.pop(next(iter(_PACKED)))
    return packed


def view_payload(catalog: Catalog, view: View) -> dict[str, Any]:
    """``build_payload(catalog, view)``, built again only when :func:`payload_key` changes: a
    rerun that changes only the selection, and another session on the same view, reuse it.
    ``view.selected`` is ignored. The payload is shared: read it, never change it."""
    current = payload_key(catalog, view)
    with _BUILT_LOCK:
        built = _BUILT.get(current)
    if built is None:
        built = build_payload(catalog, view.with_(selected=None))
        with _BUILT_LOCK:
            _BUILT[current] = built
            while len(_BUILT) > KEPT_PAYLOADS:  # a payload of 100,000 events is big
                _BUILT.pop(next(iter(_BUILT)))
    return built


def payload_key(catalog: Catalog, view: View) -> str:
    """What identifies a payload without reading it: the view and the loaded layers.

    The catalog is cached, so its layers are the same objects until a file changes."""
    layers = [(layer.id, id(layer), len(layer.features)) for layer in catalog.layers]
    text = repr((view.with_(selected=None), layers))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
