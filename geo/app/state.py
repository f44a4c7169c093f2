"""The view in the URL: read a View from query parameters and write one back.

Pure functions of plain values, so the round trip is tested without a browser.

========  =============================================  ==========================
key       value                                          example
========  =============================================  ==========================
layers    layer ids, comma-separated (absent: defaults)  ``us-sites,events``
asof      the as-of date, or ``all``                     ``2024-01-01``
window    event window: upto, 30d, 1y or custom          ``1y``
from, to  the custom window's ends                       ``2024-01-01``
country   repeated, ISO codes                            ``country=IQ&country=SY``
actor     repeated                                       ``actor=Hezbollah``
kind      repeated                                       ``kind=airstrike``
status    repeated                                       ``status=confirmed``
q         full-text search                               ``q=udeid``
sel       the selected feature's id                      ``sel=al-udeid-air-base``
view      map centre and zoom, written by the map        ``view=26.1,50.5,7``
tiles     basemap tiles                                  ``tiles=openstreetmap``
compare   two dates A..B to compare (see geo/compare.py)  ``compare=2024-01-01..2025-06-30``
========  =============================================  ==========================

With ``compare`` the map shows the posture at B and the events in (A, B], whatever the as-of
date and the window say (they stay in the URL for when the comparison is switched off).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from geo.catalog import View
from geo.compare import CompareError, compare_view, parse_span, span_text
from geo.model import DateError, PartialDate

WINDOWS = {
    "upto": "Every event up to the as-of date",
    "30d": "30 days up to the as-of date",
    "1y": "One year up to the as-of date",
    "custom": "A chosen window",
}
MULTI_KEYS = {"country": "countries", "actor": "actors", "kind": "kinds", "status": "statuses"}


@dataclass(frozen=True)
class UrlState:
    """What the URL says, before it is turned into a View."""

    layers: tuple[str, ...] | None = None
    as_of: dt.date | None = None
    all_dates: bool = False
    window: str = "upto"
    window_from: dt.date | None = None
    window_to: dt.date | None = None
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    query: str = ""
    selected: str | None = None
    center: tuple[float, float] | None = None
    zoom: int | None = None
    tiles: str = "none"
    compare: tuple[dt.date, dt.date] | None = None


def parse_params(
    params: Mapping[str, Sequence[str]], known_layers: Sequence[str], tiles: Sequence[str]
) -> UrlState:
    """Read the URL; anything malformed or unknown is dropped, never an error."""

    def first(key: str) -> str | None:
        values = params.get(key) or []
        return values[0] if values else None

    layers = None
    if first("layers") is not None:
        layers = tuple(i for i in first("layers").split(",") if i in known_layers)
    as_of_text = first("asof")
    window = first("window") if first("window") in WINDOWS else "upto"
    center, zoom = _parse_view(first("view"))
    tile = first("tiles") if first("tiles") in tiles else "none"
    return UrlState(
        layers=layers,
        as_of=_parse_date(as_of_text, last=True),
        all_dates=as_of_text == "all",
        window=window,
        window_from=_parse_date(first("from"), last=False),
        window_to=_parse_date(first("to"), last=True),
        filters={key: tuple(params.get(key) or ()) for key in MULTI_KEYS if params.get(key)},
        query=(first("q") or "")[:200],
        selected=first("sel"),
        center=center,
        zoom=zoom,
        tiles=tile,
        compare=_parse_compare(first("compare")),
    )


def to_params(state: UrlState, default_layers: Sequence[str]) -> dict[str, str | list[str]]:
    """The URL for a state; defaults are left out so that links stay short."""
    params: dict[str, str | list[str]] = {}
    if state.layers is not None and list(state.layers) != list(default_layers):
        params["layers"] = ",".join(state.layers)
    if state.all_dates:
        params["asof"] = "all"
    elif state.as_of:
        params["asof"] = state.as_of.isoformat()
    if state.window != "upto":
        params["window"] = state.window
    if state.window == "custom":
        if state.window_from:
            params["from"] = state.window_from.isoformat()
        if state.window_to:
            params["to"] = state.window_to.isoformat()
    for key in MULTI_KEYS:
        if state.filters.get(key):
            params[key] = list(state.filters[key])
    if state.query:
        params["q"] = state.query
    if state.selected:
        params["sel"] = state.selected
    if state.center and state.zoom is not None:
        params["view"] = f"{state.center[0]:.4f},{state.center[1]:.4f},{state.zoom}"
    if state.tiles != "none":
        params["tiles"] = state.tiles
    if state.compare:
        params["compare"] = span_text(*state.compare)
    return params


def to_view(state: UrlState, default_layers: Sequence[str], today: dt.date) -> View:
    """The View a state shows."""
    as_of = None if state.all_dates else (state.as_of or today)
    window_from = window_to = None
    if state.window == "30d" and as_of:
        window_from = as_of - dt.timedelta(days=29)  # 30 days, the as-of day included
    elif state.window == "1y" and as_of:
        window_from = step_date(as_of, "year", -1) + dt.timedelta(days=1)
    elif state.window == "custom":
        window_from, window_to = state.window_from, state.window_to
    view = View(
        layers=tuple(state.layers if state.layers is not None else default_layers),
        as_of=as_of.isoformat() if as_of else None,
        window_from=window_from.isoformat() if window_from else None,
        window_to=window_to.isoformat() if window_to else None,
        **{MULTI_KEYS[key]: values for key, values in state.filters.items()},
        query=state.query,
        selected=state.selected,
        center=state.center,
        zoom=state.zoom,
    )
    return compare_view(view, *state.compare) if state.compare else view


def step_date(date: dt.date, unit: str, steps: int) -> dt.date:
    """Move ``date`` by whole days, months or years, clamping to the month's last day."""
    if unit == "day":
        return date + dt.timedelta(days=steps)
    months = steps * (12 if unit == "year" else 1)
    total = date.year * 12 + date.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    last = PartialDate(year, month).last_day().day
    return dt.date(year, month, min(date.day, last))


def _parse_date(text: str | None, last: bool) -> dt.date | None:
    """A day from the URL. A partial date means its last day for the as-of date and a window's
    end, its first day for a window's start, as on the command line (``--as-of 2019``)."""
    if not text or text == "all":
        return None
    try:
        date = PartialDate.parse(text)
    except DateError:
        return None
    return date.last_day() if last else date.first_day()


def _parse_compare(text: str | None) -> tuple[dt.date, dt.date] | None:
    if not text:
        return None
    try:
        return parse_span(text[:40])
    except CompareError:
        return None


def _parse_view(text: str | None) -> tuple[tuple[float, float] | None, int | None]:
    if not text:
        return None, None
    try:
        lat, lng, zoom = text.split(",")
        lat_f, lng_f, zoom_i = float(lat), float(lng), int(zoom)
    except ValueError:
        return None, None
    if not (-90 <= lat_f <= 90 and -180 <= lng_f <= 180 and 1 <= zoom_i <= 18):
        return None, None
    return (lat_f, lng_f), zoom_i
