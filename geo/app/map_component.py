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

A big Parquet layer goes as a part held for every date (geo/render/held.py): the frame keeps
the last :data:`HELD_PARTS` parts used (more when one view names more), sent once each, and a
view's payload says which rows of them it shows. So a date step sends a payload of a few
kilobytes, not the layer again. The frame holds a payload under a key that names its parts
too (:func:`frame_key`): the same view built again may narrow another part.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.components.v1 as components

from geo.catalog import Catalog, View, is_stored
from geo.model import Layer
from geo.render import build_map, map_html
from geo.render.details import row_details, split_details
from geo.render.held import (
    HELD_ROWS,
    HeldPart,
    choose_span,
    covers,
    held_key,
    held_part,
    held_row_details,
    view_days,
)
from geo.render.maps import packed_json
from geo.render.payload import BIG_LAYER_POINTS, build_payload

_FRONTEND = Path(__file__).resolve().parent / "map_frontend"
_component = components.declare_component("posture_map", path=str(_FRONTEND))
# Where the app opens when the URL names no view: the Levant and the Gulf.
APP_DEFAULT_VIEW = {"lat": 28.5, "lng": 44.5, "zoom": 5}
# Session state: the keys of the payloads the map holds (oldest first) and of the map page
# last sent to it, and the stamp of the last resend the map asked for.
SENT_KEY = "_posture_map_sent"
HELD = 2  # payloads the map's frame keeps (map_frontend/index.html HELD)
SHELL_SENT_KEY = "_posture_map_shell_sent"
PARTS_SENT_KEY = "_posture_map_parts_sent"
HELD_PARTS = 4  # parts the frame keeps at least (map_frontend/index.html HELD_PARTS)
ASKED_KEY = "_posture_map_asked"
# The payloads built last, by key, for every session of this server, with their packed bytes.
KEPT_PAYLOADS = 2
_BUILT: dict[str, Built] = {}
_PACKED: dict[str, bytes] = {}
# Big layers' parts by key (None: the layer has no part for those filters), and their bytes.
KEPT_PARTS = 2  # each holds its rows as Python lists: about 450 MB at 1,000,000 rows
_PARTS: dict[str, HeldPart | None] = {}
_PACKED_PARTS: dict[str, bytes] = {}
# The span chosen for a layer's filters and a view's dates (geo/render/held.py choose_span).
KEPT_SPANS = 64
_SPANS: dict[str, Any] = {}
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


@dataclass(frozen=True)
class Built:
    """A view's payload and the parts it names, by part key: kept together, so that a part a
    payload names is there as long as the payload is."""

    payload: dict[str, Any]
    parts: dict[str, HeldPart]


def posture_map(
    catalog: Catalog,
    view: View,
    *,
    tiles: str,
    labels: bool = True,
    height: int = 0,
    key: str = "posture-map",
) -> dict[str, Any] | None:
    """Draw ``view`` (:func:`view_payload`); return what the map last told, a dict stamped
    ``at`` when a click (``selected``), the label switch (``labels``) or the timeline
    (``window``, ``asof``) changed it, and carrying the frame on screen (``extent``).
    ``height`` 0 fits the map to the browser window.

    The payload is sent only when the frame does not hold it (its last :data:`HELD`, the
    most recently shown last, as the frame keeps them); a frame that asks for it (``missing``,
    stamped ``missingAt``) gets it on a rerun."""
    ss = st.session_state
    built = _built(catalog, view)
    current = frame_key(payload_key(catalog, view), built.parts)
    held = ss.get(SENT_KEY, [])
    send = current not in held
    shell, shell_key = packed_shell(tiles)
    drawn, details = split_details(built.payload)  # cheap: it regroups columns, copies none
    parts = built.parts
    parts_held = ss.get(PARTS_SENT_KEY, [])
    parts_sent = [part_key for part_key in parts if part_key not in parts_held]
    packed_parts = [_packed_part(parts[part_key]) for part_key in parts_sent]
    detail = row_details(drawn, details, view.selected) if details else None
    value = _component(
        shell=shell if ss.get(SHELL_SENT_KEY) != shell_key else None,
        shell_key=shell_key,
        payload=_packed(current, drawn) if send else None,
        payload_key=current,
        payload_parts=list(parts),
        parts=b"".join(packed_parts) if parts_sent else None,
        part_keys=parts_sent,
        part_sizes=[len(packed) for packed in packed_parts],
        selected=view.selected,
        detail=detail or held_row_details(drawn, parts, view.selected),
        labels=labels,
        height=height,
        key=key,
        default=None,
    )
    ss[SENT_KEY] = [*(key for key in held if key != current), current][-HELD:]
    ss[SHELL_SENT_KEY] = shell_key
    # As the frame keeps them: never fewer than the parts the shown payload names.
    kept = max(HELD_PARTS, len(parts))
    ss[PARTS_SENT_KEY] = [*(k for k in parts_held if k not in parts), *parts][-kept:]
    if not isinstance(value, dict):
        return None
    asked_at = value.get("missingAt")
    if value.get("missing") == current and asked_at != ss.get(ASKED_KEY):
        ss[ASKED_KEY] = asked_at
        del ss[SENT_KEY]
        del ss[SHELL_SENT_KEY]  # a new frame lacks the page and the parts as well
        del ss[PARTS_SENT_KEY]
        st.rerun()
    return value


def _kept(cache: dict[str, Any], key: str, make: Callable[[], Any], limit: int) -> Any:
    """``cache[key]``, made with ``make()`` when absent; past ``limit`` entries the least
    recently used go. Two sessions may make one value at once: both get an equal one."""
    with _BUILT_LOCK:
        if key in cache:
            cache[key] = cache.pop(key)  # now the most recently used
            return cache[key]
    value = make()
    with _BUILT_LOCK:
        cache[key] = value
        while len(cache) > limit:
            cache.pop(next(iter(cache)))
    return value


def _packed(key: str, drawn: dict[str, Any]) -> bytes:
    """The payload's drawn part as the map is sent it (gzipped JSON), packed once per key."""
    if drawn["view"] is None:
        drawn = {**drawn, "view": APP_DEFAULT_VIEW}
    return _kept(_PACKED, key, lambda: packed_json(drawn), KEPT_PAYLOADS)


def _packed_part(part: HeldPart) -> bytes:
    """A part as the map is sent it (gzipped JSON), packed once per key."""
    return _kept(_PACKED_PARTS, part.key, lambda: packed_json(part.message()), KEPT_PARTS)


def view_parts(catalog: Catalog, view: View) -> dict[str, HeldPart]:
    """The parts of the view's big Parquet layers, by layer id, each built once per key
    (geo/render/held.py): while it compares nothing, a date step reuses them."""
    if view.compare:
        return {}
    found = {}
    for layer in catalog.visible_layers(view):
        part = _part_for(layer, view) if is_stored(layer) else None
        if part is not None:
            found[layer.id] = part
    return found


def _part_for(layer: Layer, view: View) -> HeldPart | None:
    """A kept part of ``layer`` that holds every row ``view`` could show, or a new one (for
    every date, or for a span around the view's dates; None when neither fits the cap)."""
    base = held_key(layer, view, HELD_ROWS, BIG_LAYER_POINTS)
    with _BUILT_LOCK:
        found = next(
            (
                key
                for key, part in _PARTS.items()
                if part is not None and part.base == base and covers(part.span, view)
            ),
            None,
        )
        if found is not None:
            _PARTS[found] = _PARTS.pop(found)  # now the most recently used
            return _PARTS[found]
    span = _kept(
        _SPANS,
        f"{base} {view_days(view)}",
        lambda: choose_span(layer, view, HELD_ROWS),
        KEPT_SPANS,
    )
    if span is False:
        return None
    return _kept(
        _PARTS,
        held_key(layer, view, HELD_ROWS, BIG_LAYER_POINTS, span),
        lambda: held_part(
            layer, view, max_held=HELD_ROWS, big_layer_points=BIG_LAYER_POINTS, span=span
        ),
        KEPT_PARTS,
    )


def view_payload(catalog: Catalog, view: View) -> dict[str, Any]:
    """``build_payload(catalog, view)``, built again only when :func:`payload_key` changes: a
    rerun that changes only the selection, and another session on the same view, reuse it.
    ``view.selected`` is ignored. The payload is shared: read it, never change it. A big
    Parquet layer is sent as a part held for every date (:func:`view_parts`)."""
    return _built(catalog, view).payload


def _built(catalog: Catalog, view: View) -> Built:
    def build() -> Built:
        parts = view_parts(catalog, view)
        payload = build_payload(catalog, view.with_(selected=None), held=parts)
        named = {entry["held"] for entry in payload["layers"] if "held" in entry}
        return Built(payload, {part.key: part for part in parts.values() if part.key in named})

    return _kept(_BUILT, payload_key(catalog, view), build, KEPT_PAYLOADS)


def frame_key(key: str, parts: dict[str, HeldPart]) -> str:
    """The key the frame holds a payload under: its :func:`payload_key` and, when it narrows
    parts, theirs. The same view built again (its payload gone from the cache) may narrow
    another part that covers it, and its masks are of that part's rows."""
    if not parts:
        return key
    return hashlib.sha256(repr((key, *parts)).encode()).hexdigest()[:16]


def payload_key(catalog: Catalog, view: View) -> str:
    """What identifies a payload without reading it: the view and the loaded layers.

    The catalog is cached, so its layers are the same objects until a file changes."""
    layers = [(layer.id, id(layer), len(layer.features)) for layer in catalog.layers]
    text = repr((view.with_(selected=None), layers))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
