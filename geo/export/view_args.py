"""Build a :class:`geo.catalog.View` from command-line options, and describe a view in words.

The options are the same for every export format:

``--layers ID,...``
    layer ids, comma-separated and/or repeated; an unknown id is an error that lists the known ones.
``--as-of DATE``
    show what existed on that day. A partial date (``2019`` or ``2019-06``) means its last day:
    "as of 2019" is the state at the end of 2019.
``--from DATE`` / ``--to DATE``
    the event window; a partial ``--from`` means its first day, a partial ``--to`` its last day.
``--filter KEY=VALUE``
    repeatable; KEY is one of ``country``, ``actor``, ``kind``, ``status`` or ``q`` (free text).
    Several values for one key widen the filter (country=IQ and country=SY shows both); values of
    different keys narrow it. Values are matched without regard to case.
``--compare A..B``
    compare two dates (geo/compare.py): the posture at B, the events in (A, B], and what closed,
    each feature marked with its change (opened, closed, changed-hands, struck, event). It sets
    the dates itself, so it does not go with ``--as-of``, ``--from`` or ``--to``.

``--extent WEST,SOUTH,EAST,NORTH``
    the frame in degrees, e.g. ``25,10,65,42``; without it the map fits the posture and actor
    layers, and what lies beyond appears as arrows at the edge (see :mod:`geo.framing`).

With none of these, the view shows every layer and every date.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Sequence
from typing import Any

from geo.catalog import Catalog, View
from geo.compare import CompareError, compare_view, parse_span
from geo.framing import ExtentError, parse_extent
from geo.model import DateError, PartialDate

FILTER_KEYS = {
    "country": ("countries", "countries"),
    "actor": ("actors", "actors"),
    "kind": ("kinds", "kinds"),
    "status": ("statuses", "statuses"),
}
FILTER_HELP = "country=IQ, actor=Hezbollah, kind=airstrike, status=confirmed or q=free text"
MAP_TITLE = "US force posture in the Middle East"


class ViewError(ValueError):
    """Options that do not make a view; the text says what is wrong and how to fix it."""


def add_view_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that choose what the export shows."""
    parser.add_argument(
        "--layers",
        action="append",
        metavar="ID,...",
        help="layer ids to show, comma-separated (default: every layer); see python -m geo layers",
    )
    parser.add_argument(
        "--as-of",
        dest="as_of",
        metavar="DATE",
        help="show what existed on this date: YYYY, YYYY-MM or YYYY-MM-DD (default: every date)",
    )
    parser.add_argument(
        "--from",
        dest="window_from",
        metavar="DATE",
        help="show events from this date (YYYY, YYYY-MM or YYYY-MM-DD)",
    )
    parser.add_argument(
        "--to",
        dest="window_to",
        metavar="DATE",
        help="show events up to this date (YYYY, YYYY-MM or YYYY-MM-DD)",
    )
    parser.add_argument(
        "--filter",
        dest="filters",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"repeatable: {FILTER_HELP}",
    )
    parser.add_argument(
        "--compare",
        metavar="A..B",
        help="compare two dates: what opened, closed, changed hands or was struck between A "
        "and B (e.g. 2024-01-01..2025-06-30); not with --as-of, --from or --to",
    )
    parser.add_argument(
        "--extent",
        metavar="W,S,E,N",
        help="the map's frame in degrees west,south,east,north, e.g. 25,10,65,42 (default: the "
        "posture and actor layers, with arrows at the edge toward what lies beyond)",
    )


def view_from_args(args: argparse.Namespace, catalog: Catalog) -> View:
    """The view the options describe.

    Raises
    ------
    ViewError
        For an unknown layer id, an impossible or malformed date, a window that ends before it
        starts, or a filter with an unknown key or a value no feature has.
    """
    layers = _layers(getattr(args, "layers", None), catalog)
    as_of = _date_option("--as-of", getattr(args, "as_of", None), last=True)
    window_from = _date_option("--from", getattr(args, "window_from", None), last=False)
    window_to = _date_option("--to", getattr(args, "window_to", None), last=True)
    if window_from and window_to and window_from > window_to:
        raise ViewError(
            f"--from {args.window_from} is after --to {args.window_to}: "
            "swap them or widen the window"
        )
    changes = _filters(getattr(args, "filters", None) or [], catalog)
    extent_text = getattr(args, "extent", None)
    try:
        extent = parse_extent(extent_text) if extent_text is not None else None
    except ExtentError as exc:
        raise ViewError(str(exc)) from None
    view = View(
        layers=layers,
        as_of=as_of,
        window_from=window_from,
        window_to=window_to,
        extent=extent,
        **changes,
    )
    span = getattr(args, "compare", None)
    if span is None:
        return view
    if as_of or window_from or window_to:
        raise ViewError(
            f"--compare {span} sets the dates itself (the posture at B, the events after A): "
            "drop --as-of, --from and --to"
        )
    try:
        a, b = parse_span(span)
    except CompareError as exc:
        raise ViewError(f"--compare {exc}") from None
    return compare_view(view, a, b)


def _layers(options: Sequence[str] | str | None, catalog: Catalog) -> tuple[str, ...] | None:
    if options is None:
        return None
    if isinstance(options, str):
        options = [options]
    wanted: list[str] = []
    for option in options:
        for item in option.split(","):
            item = item.strip()
            if item and item not in wanted:
                wanted.append(item)
    known = catalog.layer_ids()
    unknown = [item for item in wanted if item not in known]
    if unknown:
        names = ", ".join(repr(item) for item in unknown)
        raise ViewError(
            f"unknown layer {names}: use one or more of {', '.join(known)} (comma-separated)"
        )
    if not wanted:
        raise ViewError(f"--layers is empty: give one or more of {', '.join(known)}")
    return tuple(wanted)


def _date_option(option: str, text: str | None, last: bool) -> str | None:
    if text is None:
        return None
    text = text.strip()
    try:
        date = PartialDate.parse(text)
    except DateError as exc:
        raise ViewError(
            f"{option} {text!r}: {_date_problem(exc)}; write an existing date as YYYY, YYYY-MM or "
            "YYYY-MM-DD, e.g. 2024-02-29"
        ) from None
    day = date.last_day() if last else date.first_day()
    return day.isoformat()


def _date_problem(exc: DateError) -> str:
    text = str(exc)
    # DateError messages quote the text first; keep what follows.
    return text.split(" ", 1)[1] if text.startswith("'") and " " in text else text


def _filters(options: Iterable[str], catalog: Catalog) -> dict[str, Any]:
    facets = catalog.facets()
    values: dict[str, list[str]] = {field: [] for field, _ in FILTER_KEYS.values()}
    words: list[str] = []
    for option in options:
        key, sep, value = option.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or (key != "q" and key not in FILTER_KEYS):
            raise ViewError(
                f"--filter {option!r}: unknown filter; write KEY=VALUE with KEY one of "
                f"country, actor, kind, status, q (e.g. {FILTER_HELP})"
            )
        if not value:
            raise ViewError(f"--filter {option!r} has no value: write {key}=VALUE")
        if key == "q":
            words.append(value)
            continue
        field, facet = FILTER_KEYS[key]
        known = facets[facet]
        match = next((item for item in known if item.casefold() == value.casefold()), None)
        if match is None:
            raise ViewError(
                f"--filter {key}={value}: no feature has {key} {value!r}; "
                f"use one of {', '.join(known)}"
            )
        if match not in values[field]:
            values[field].append(match)
    changes: dict[str, Any] = {field: tuple(found) for field, found in values.items()}
    changes["query"] = " ".join(words)
    return changes


def parse_size(text: str, lower: int = 200, upper: int = 8000) -> tuple[int, int]:
    """``'1920x1080'`` -> ``(1920, 1080)``; a ViewError for anything else or out of range."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text or "")
    if not match:
        raise ViewError(f"--size {text!r}: write WIDTHxHEIGHT in pixels, e.g. 1920x1080")
    width, height = int(match.group(1)), int(match.group(2))
    if not (lower <= width <= upper and lower <= height <= upper):
        raise ViewError(
            f"--size {text}: each side must be {lower} to {upper} pixels, e.g. 1920x1080"
        )
    return width, height


# ---------------------------------------------------------------------------------------------
# The view in words, for titles, descriptions and file or table names.


def _label(iso: str) -> str:
    return PartialDate.parse(iso).label()


def time_label(view: View) -> str:
    """'as of 1 Jan 2019', 'events 1 Jan 2024 – 31 Dec 2024', or 'all dates'."""
    if view.compare:
        return f"changes from {_label(view.compare[0])} to {_label(view.compare[1])}"
    parts = []
    if view.as_of:
        parts.append(f"as of {_label(view.as_of)}")
    if view.window_from and view.window_to:
        parts.append(f"events {_label(view.window_from)} – {_label(view.window_to)}")
    elif view.window_from:
        parts.append(f"events from {_label(view.window_from)}")
    elif view.window_to:
        parts.append(f"events up to {_label(view.window_to)}")
    return ", ".join(parts) if parts else "all dates"


def filter_label(view: View) -> str:
    """'country IQ; kind airstrike; search "port"', or '' without filters."""
    parts = []
    for key, (field, _) in FILTER_KEYS.items():
        chosen = getattr(view, field)
        if chosen:
            parts.append(f"{key} {' or '.join(chosen)}")
    if view.query:
        parts.append(f'search "{view.query}"')
    return "; ".join(parts)


def default_title(view: View) -> str:
    """The title an export gets when none is given: the map's name and its date."""
    return f"{MAP_TITLE}, {time_label(view)}"


def describe_view(view: View, catalog: Catalog) -> str:
    """One plain-text sentence that says what the view shows."""
    if view.layers is None:
        layers = "every layer"
    else:
        titles = [layer.title for layer in catalog.visible_layers(view)]
        layers = "the layers " + ", ".join(titles)
    text = f"Features of {layers}, {time_label(view)}"
    filters = filter_label(view)
    if filters:
        text += f", filtered by {filters}"
    return text + "."


def view_slug(view: View, prefix: str = "posture") -> str:
    """A short name for the view made of [a-z0-9_], e.g. 'posture_all_as_of_2019_01_01'."""
    if view.layers is None:
        layers = "all"
    elif len(view.layers) <= 3:
        layers = "_".join(view.layers)
    else:
        layers = f"{len(view.layers)}_layers"
    parts = [prefix, layers]
    if view.compare:
        parts.append(f"compare_{view.compare[0]}_{view.compare[1]}")
    else:
        for word, day in (("as_of", view.as_of), ("from", view.window_from)):
            if day:
                parts.append(f"{word}_{day}")
        if view.window_to:
            parts.append(f"to_{view.window_to}")
    if filter_label(view):
        parts.append("filtered")
    slug = re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_")
    return slug[:60].rstrip("_")
