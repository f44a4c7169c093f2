"""A big Parquet layer's rows for every date, held by the app's map and narrowed there.

A date step used to rebuild and resend a big layer's rows: at 100,000 events about 1.3 s to
build them and 0.6 s for the browser to open and draw them. Two views that differ only in
their dates show rows of one set: those the view's other filters (country, actor, kind, claim
status, search) leave. So the app builds that set once (a :class:`HeldPart`, named by its
``key``), sends it to the map once, and then sends with each view only which of its rows the
view shows: one bit a row (``mask``). The rows a view shows come from the same SQL that
selects them for an export (geo/store/query.py ``where_clause``), so the date rule is written
once.

A part holds up to :data:`HELD_ROWS` rows, more than the map draws (``MAX_DRAWN``): a view
that shows more is drawn capped, its first rows in file order, as a view built alone is. So a
million events, every date of them, are one part, and any date step narrows it. A part is
*lean*: it leaves each row's long text (names, descriptions, notes, quotes) in the file and
reads it for the row a user opens (:func:`held_row_details`); at a million rows that text is
most of what DuckDB reads and about a gigabyte of Python strings.

A layer whose rows for every date are more than :data:`HELD_ROWS` gets a part for a *span* of
dates instead: the rows any view whose dates lie in the span could show, the span as wide
around the view's dates as the cap allows. A step within the span is narrowed like any other;
a step out of it builds the part of a new span.

A part's sources are its own, numbered from 0: a view's payload lists only the works of its
other layers. The app uses parts while it compares nothing; an export, built once for one
view, does not use them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import compress
from typing import Any

import numpy as np

from geo.catalog import View, _date, stored_filter
from geo.framing import PointRows
from geo.model import Layer
from geo.render.details import row_of, split_columns
from geo.render.payload import _feature
from geo.render.stored_columns import stored_part
from geo.store.columns import rows_to_features
from geo.store.query import Filter

# The most rows a part holds: a million events for every date, about 6 s to build on two cores.
HELD_ROWS = 1_000_000


@dataclass(frozen=True, eq=False)
class HeldPart:
    """One layer's rows for every date of its ``span``: ``columns`` the map draws from (the
    long text left in the file, and other text too varied to share, in ``details``), the
    ``sources`` they cite (numbered as ``source_index`` says), ``features`` of the rows that
    are not plain points, the rows for framing, and each row's number in the file
    (``framed.plain``'s order)."""

    key: str
    base: str  # the key of the layer's part for every date (held_key without a span)
    span: Span
    columns: dict[str, Any]
    details: dict[str, Any]
    sources: list[dict[str, str]]
    source_index: dict[tuple[str, ...], int]
    features: list[dict[str, Any]]
    framed: PointRows
    file_rows: np.ndarray

    def message(self) -> dict[str, Any]:
        """What the map is sent of it (static/posture.js ``narrowHeld``): the long text is
        always apart."""
        return {"columns": self.columns, "sources": self.sources, "apart": True}


@dataclass(frozen=True, eq=False)
class Narrowed:
    """A part narrowed to a view: its features and points shown, the rows for framing, and
    how many rows the view matched (more than are shown where the cap cut)."""

    features: list[dict[str, Any]]
    points: np.ndarray
    framed: PointRows
    matched: int

    @property
    def shown(self) -> int:
        return len(self.features) + int(self.points.sum())


# The first and last day of a span of dates; None for every date.
Span = tuple[dt.date, dt.date] | None
# The furthest a span reaches beyond the view's dates on a side, in days (a century).
LONGEST_REACH = 36_525


def _dateless(view: View) -> View:
    return view.with_(as_of=None, window_from=None, window_to=None)


def _filter(layer: Layer, view: View, span: Span) -> Filter:
    """The rows any view with ``view``'s filters and dates in ``span`` could show."""
    spec = stored_filter(layer, _dateless(view))
    if span is None:
        return spec
    first, last = span
    return replace(spec, window_from=first, window_to=last, as_of=last, as_of_from=first)


def view_days(view: View) -> Span:
    """The first and last day the view asks about (its event window and its as-of date), or
    None when it is open at either end (every event up to a date, or every date)."""
    window_from, window_to = view.event_window()
    as_of = _date(view.as_of)  # as stored_filter reads it: a partial date is its first day
    if window_from is None or window_to is None or as_of is None:
        return None
    return min(window_from, as_of), max(window_to, as_of)


def covers(span: Span, view: View) -> bool:
    """Whether a part of ``span`` holds every row ``view`` could show."""
    if span is None:
        return True
    days = view_days(view)
    return days is not None and span[0] <= days[0] and days[1] <= span[1]


def choose_span(layer: Layer, view: View, max_drawn: int) -> Span | bool:
    """The span of the part for ``view``: every date (None) when all the rows fit under
    ``max_drawn``, else the view's dates widened as far as the cap allows, on both sides and
    then on each (past the last event, later days hold none); False when not even the view's
    own dates fit, or the view is open-ended.

    The rows are counted in numpy from each row's days, read once: a count in SQL took a
    quarter of a second at a million rows, and the search asks for dozens. The part's own
    rows still come from SQL (:func:`held_part`)."""
    days = layer.features.table.days(_filter(layer, view, None))
    if len(days["first"]) <= max_drawn:
        return None
    wanted = view_days(view)
    if wanted is None:
        return False
    low, high = (np.datetime64(day, "D") for day in wanted)

    def count(before: int, after: int) -> int:
        return count_in_span(days, (low - before, high + after))

    if count(0, 0) > max_drawn:
        return False
    before = after = _widest(lambda reach: count(reach, reach) <= max_drawn)
    before = _widest(lambda reach: count(reach, after) <= max_drawn, before)
    after = _widest(lambda reach: count(before, reach) <= max_drawn, after)
    return wanted[0] - dt.timedelta(days=before), wanted[1] + dt.timedelta(days=after)


def count_in_span(days: dict[str, np.ndarray], span: tuple[Any, Any]) -> int:
    """How many of the rows (``Table.days``) a part of ``span`` (numpy or Python days) holds:
    the events that meet it and what is in place on one of its days, as the SQL of
    :func:`_filter` asks."""
    first_day, last_day = (np.datetime64(day, "D") for day in span)
    shown = np.where(
        days["event"],
        (days["last"] >= first_day) & (days["first"] <= last_day),
        (days["first"] <= last_day) & (days["end"] >= first_day),
    )
    return int(np.count_nonzero(shown))


def _widest(fits: Callable[[int], bool], known: int = 0) -> int:
    """The most days, from ``known`` (which fits) up to :data:`LONGEST_REACH`, that fit."""
    if fits(LONGEST_REACH):
        return LONGEST_REACH
    low, high = known, LONGEST_REACH  # fits(low), not fits(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def held_key(
    layer: Layer, view: View, max_held: int, big_layer_points: int, span: Span = None
) -> str:
    """What names a layer's part without building it: the loaded layer, the view's filters
    but its dates, and the span."""
    spec = _filter(layer, view, span)
    text = repr((layer.id, id(layer), len(layer.features), spec, max_held, big_layer_points))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def held_part(
    layer: Layer, view: View, *, max_held: int, big_layer_points: int, span: Span = None
) -> HeldPart | None:
    """``layer``'s rows for every date of ``span`` with ``view``'s other filters, lean (see
    the module's docstring); None when they are more than ``max_held`` (a part must hold
    every row a date of it could show) or too few to be drawn as columns."""
    spec = _filter(layer, view, span)
    if layer.features.table.count(spec) > max_held:
        return None
    sources: list[dict[str, str]] = []
    source_index: dict[tuple[str, ...], int] = {}
    part = stored_part(layer, spec, sources, source_index, max_held, big_layer_points, lean=True)
    if part is None:
        return None
    columns, details = split_columns(part.columns)
    return HeldPart(
        key=held_key(layer, view, max_held, big_layer_points, span),
        base=held_key(layer, view, max_held, big_layer_points),
        span=span,
        columns=columns,
        details=details,
        sources=sources,
        source_index=source_index,
        features=part.features,
        framed=part.framed,
        file_rows=part.file_rows,
    )


def narrow(part: HeldPart, layer: Layer, view: View, budget: int) -> Narrowed:
    """The rows of ``part`` that ``view`` shows, at most ``budget`` of them: the first in the
    file's order, those a view built alone draws."""
    shown = np.isin(part.file_rows, layer.features.table.row_numbers(stored_filter(layer, view)))
    matched = int(np.count_nonzero(shown))
    if matched > budget:
        shown[np.flatnonzero(shown)[max(budget, 0) :]] = False
    framed = part.framed
    plain = framed.plain
    points = shown[plain]
    others = shown[~plain].tolist()
    return Narrowed(
        features=list(compress(part.features, others)),
        points=points,
        framed=PointRows(
            layer=framed.layer,
            plain=plain[shown],
            xs=framed.xs[points],
            ys=framed.ys[points],
            event=framed.event[points],
            ids=list(compress(framed.ids, points.tolist())),
            names=framed.pick_names(points),
            others=list(compress(framed.others, others)),
        ),
        matched=matched,
    )


def pack_mask(points: np.ndarray) -> str:
    """One bit a row, the first row in the lowest bit of the first byte, base64."""
    return base64.b64encode(np.packbits(points, bitorder="little").tobytes()).decode("ascii")


def unpack_mask(text: str, rows: int) -> np.ndarray:
    bits = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
    return np.unpackbits(bits, count=rows, bitorder="little").astype(bool)


def held_row_details(
    payload: dict[str, Any], parts: dict[str, HeldPart], feature_id: str | None
) -> dict[str, Any] | None:
    """The long text of the held row ``feature_id``, as geo/render/details.py
    ``row_details`` gives it, its ``row`` counted among the rows the view shows (the map's
    narrowed columns); None when no shown row of a part has that id."""
    if not feature_id:
        return None
    for index, entry in enumerate(payload["layers"]):
        part = parts.get(entry.get("held", ""))
        if part is None:
            continue
        row = row_of(part.columns.get("i"), feature_id)
        if row is None:
            continue
        shown = unpack_mask(entry["mask"], part.columns["rows"])
        if not shown[row]:
            continue
        [values] = rows_text(part, [row])
        return {"layer": index, "row": int(shown[:row].sum()), "id": feature_id, "values": values}
    return None


def rows_text(part: HeldPart, rows: list[int]) -> list[dict[str, Any]]:
    """The text of the part's plain points ``rows`` (numbered as its columns are) that its
    columns lack (the long text, and ``details``): read from the file for each, as the row
    path gives it, with its works numbered as the part's."""
    layer = part.framed.layer
    in_file = part.file_rows[np.flatnonzero(part.framed.plain)[rows]].tolist()
    found = []
    for feature in rows_to_features(layer.features.table.at_rows(in_file)):
        # Copies: a row's works are all the part's already, and the part stays as it is.
        drawn = _feature(feature, layer, list(part.sources), dict(part.source_index))
        found.append({k: v for k, v in drawn.items() if k not in part.columns and k != "g"})
    return found
