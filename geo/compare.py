"""Compare two dates: what opened, closed, changed hands or was struck between A and B.

Pure functions of the catalog; the app, the map payload and the exports all call them.

The rules follow the map's own (:func:`geo.catalog.matches`): a site or area is on the map on
day D when its start's first day is on or before D and its end's last day, if any, is on or
after D. A is the "before" picture and B the "after" one:

==============  ==============================================================================
change          rule
==============  ==============================================================================
opened          a site or area whose start (first day) is in (A, B]: A excluded, B included
closed          a site or area whose end (last day) is in [A, B): on the map on its end day,
                gone on the next, so one ending on A is gone by A+1 and one ending on B is
                still there on B; one that both opened and closed in between is "closed"
changed-hands   an area that opened in (A, B] over ground (at least a fifth of the smaller
                area) that another holder's area left when it opened (its end's last day
                is the day before or on the new start, its end's first day not after it);
                replaces "opened" for the new area, the old one stays "closed"
struck          an event of an attack kind dated in (A, B] (any day of its span in it)
event           any other event in (A, B] (talks, a handover)
==============  ==============================================================================

The view's layers, filters and search apply; its as-of date and event window do not.

How the actor layers model a change of hands, and so what can be found: a feature has one actor
for its whole life, so a new holder is a new feature that starts when the old one ends, over
the same ground (Assad's Syria ending on 8 Dec 2024 and the transitional government's area
starting that day; the SDF's Raqqa and Deir ez-Zor ending on 18 Jan 2026 and Damascus's
starting). What is not found: a site handed over is recorded as the site's end plus a
``handover`` event (Ain al-Asad, 17 Jan 2026), so it lists as closed and an event, not as
changed hands; lines (a buffer zone, five points) enclose no ground to compare; a redrawn
area of the same holder is "opened", not a change of hands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from geo.catalog import Catalog, View, _span, actor_parts, is_event
from geo.model import DateError, Layer, PartialDate

CHANGE_KINDS = ("opened", "closed", "changed-hands", "struck", "event")
CHANGE_LABELS = {
    "opened": "Opened",
    "closed": "Closed",
    "changed-hands": "Changed hands",
    "struck": "Struck",
    "event": "Event",
}
NOT_STRIKES = frozenset({"diplomacy", "handover"})
OVERLAP_SHARE = 0.2  # of the smaller area, for two areas to be "the same place"
AREA_TYPES = ("Polygon", "MultiPolygon")


class CompareError(ValueError):
    """A comparison that cannot be made; the text says how to write it."""


@dataclass(frozen=True)
class Change:
    """One thing that changed between A and B."""

    kind: str
    layer: Layer
    feature: dict[str, Any]
    date: str  # the day it happened, as the data gives it (start, or end for "closed")
    note: str = ""

    @property
    def id(self) -> str:
        return self.feature["properties"]["id"]


def parse_span(text: str) -> tuple[dt.date, dt.date]:
    """``'2024-01-01..2025-06-30'`` -> (A, B). A partial A means its first day and a partial
    B its last (``2024..2025`` is the whole of both years' span).

    Raises
    ------
    CompareError
        For anything but two dates joined by ``..`` with A before B.
    """
    first, sep, second = (text or "").strip().partition("..")
    if not sep:
        raise CompareError(f"{text!r}: write two dates as A..B, e.g. 2024-01-01..2025-06-30")
    try:
        a = PartialDate.parse(first.strip()).first_day()
        b = PartialDate.parse(second.strip()).last_day()
    except DateError as exc:
        raise CompareError(
            f"{text!r}: {exc}; write two dates as A..B (YYYY, YYYY-MM or YYYY-MM-DD)"
        ) from None
    if a >= b:
        raise CompareError(f"{text!r}: A must be before B, e.g. 2024-01-01..2025-06-30")
    return a, b


def span_text(a: dt.date, b: dt.date) -> str:
    """The inverse of :func:`parse_span` for whole days."""
    return f"{a.isoformat()}..{b.isoformat()}"


def compare_view(view: View, a: dt.date, b: dt.date) -> View:
    """The view of a comparison: the posture at B, the events in (A, B]."""
    return view.with_(
        as_of=b.isoformat(),
        window_from=(a + dt.timedelta(days=1)).isoformat(),
        window_to=b.isoformat(),
        compare=(a.isoformat(), b.isoformat()),
    )


def compare(catalog: Catalog, view: View, a: dt.date, b: dt.date) -> list[Change]:
    """What changed between A and B among the features the view's layers and filters keep,
    by date, then kind, then name."""
    base = view.with_(as_of=None, window_from=None, window_to=None, compare=None)
    changes: list[Change] = []
    left: list[tuple[Layer, dict[str, Any]]] = []  # closed in [A, B)
    came: list[tuple[Layer, dict[str, Any]]] = []  # opened in (A, B] and not closed
    for layer, feature in catalog.features(base):
        props = feature["properties"]
        first, last, end = _span(props["start"], props.get("end"))
        if is_event(feature, layer):
            if last > a and first <= b:
                kind = "event" if props.get("kind") in NOT_STRIKES else "struck"
                changes.append(Change(kind, layer, feature, props["start"]))
            continue
        opened = a < first <= b
        closed = end is not None and a <= end < b
        if closed:
            note = f"opened {_words(props['start'])}" if opened else ""
            changes.append(Change("closed", layer, feature, props["end"], note))
            left.append((layer, feature))
        elif opened:
            came.append((layer, feature))
    for layer, feature in came:
        props = feature["properties"]
        before = _previous_holders(feature, left)
        if before:
            note = "from " + "; ".join(before)
            changes.append(Change("changed-hands", layer, feature, props["start"], note))
        else:
            changes.append(Change("opened", layer, feature, props["start"]))
    order = {kind: number for number, kind in enumerate(CHANGE_KINDS)}
    changes.sort(
        key=lambda c: (_span(c.date, None)[0], order[c.kind], c.feature["properties"]["name"])
    )
    return changes


def view_changes(catalog: Catalog, view: View) -> list[Change]:
    """The changes of a comparison view (:func:`compare_view`); none for any other view."""
    if not view.compare:
        return []
    a, b = (dt.date.fromisoformat(day) for day in view.compare)
    return compare(catalog, view, a, b)


def compare_pairs(catalog: Catalog, view: View) -> list[tuple[Layer, dict[str, Any], str | None]]:
    """What the map of a comparison view draws: the features the view shows (the posture at
    B, the events in (A, B]) and the ones that closed, each with its change or None."""
    changes = view_changes(catalog, view)
    by_id = {change.id: change.kind for change in changes}
    pairs = [
        (layer, feature, by_id.get(feature["properties"]["id"]))
        for layer, feature in catalog.features(view)
    ]
    shown = {feature["properties"]["id"] for _layer, feature, _kind in pairs}
    pairs += [(c.layer, c.feature, c.kind) for c in changes if c.id not in shown]
    order = {layer.id: number for number, layer in enumerate(catalog.layers)}
    pairs.sort(key=lambda item: order.get(item[0].id, len(order)))  # stable: layer order
    return pairs


def _previous_holders(feature: dict[str, Any], left: Iterable[tuple[Layer, dict[str, Any]]]):
    """'Syrian Democratic Forces (SDF-held Raqqa)' for each area that another holder left
    over the same ground."""
    if feature["geometry"]["type"] not in AREA_TYPES:
        return []
    actors = set(actor_parts(feature["properties"].get("actor")))
    start = PartialDate.parse(feature["properties"]["start"]).first_day()
    shape = _area(feature)
    found = []
    for _layer, old in left:
        props = old["properties"]
        if old["geometry"]["type"] not in AREA_TYPES or not actors:
            continue
        end = PartialDate.parse(props["end"])
        if not end.first_day() <= start <= end.last_day() + dt.timedelta(days=1):
            continue  # not a handover: the old holder left at another time
        before = set(actor_parts(props.get("actor")))
        if not before or before == actors:
            continue
        other = _area(old)
        smaller = min(shape.area, other.area)
        if smaller > 0 and shape.intersection(other).area >= OVERLAP_SHARE * smaller:
            found.append(f"{props.get('actor')} ({props['name']})")
    return found


def _area(feature: dict[str, Any]) -> Any:
    import shapely.geometry

    geom = shapely.geometry.shape(feature["geometry"])
    return geom if geom.is_valid else geom.buffer(0)


def _words(text: str) -> str:
    return PartialDate.parse(text).label()
