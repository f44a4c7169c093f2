"""The compact form of a view's data that the browser draws from (see static/posture.js).

Each cited work is stored once, in ``sources``, and features refer to it by index. Features use
short keys because the same path must carry layers of 100,000 events:

==== =====================================  ==== ===========================================
key  meaning                                key  meaning
==== =====================================  ==== ===========================================
i    id                                     n    name
k    kind                                   kl   kind as a label
dl   dates as a label ("Oct 2024")          dp   date precision, in words
dn   date note                              lp   location precision
ln   location note                          cn   country name
a    actor                                  an   actor note
t    target                                 op   operator
u    units                                  ri   relation to Iran
st   claim status                           o    outcome
de   description                            src  source indices
cl   claims: [topic, value, as_of, source]  q    quotes by source index
sn   source notes by source index
g    geometry                               or   origin: [lon, lat, name, precision, note]
ic   ICAO code                              fa   fatalities as a label ("9 (low 7)")
et   the dataset's own event type           sid  the dataset's own id of the row
s0   first day, ISO (for the timeline)      s1   last day, ISO; absent while it lasts
ch   its change, in a comparison (geo/compare.py)
==== =====================================  ==== ===========================================

``time`` holds the view's as-of date, event window and comparison (ISO) and the first and
last day of the visible layers' events (the timeline's axis); ``changes`` lists a comparison's
changes in order, each as ``{i, n, c (kind), cl (its label), d (date), no (note), l (layer)}``.

A cited work is the whole citation (title, publisher, url, archive_url, published, accessed),
not its url alone: two features citing one page under different titles or access dates each
keep their own. The quote and the note belong to the feature that cites the work (an imported
ACLED or UCDP row cites the dataset with the row's own source text as its note), so they stay
with the feature, in ``q`` and ``sn``, and 100,000 rows citing one dataset cite one work.
Every property the layer schema allows reaches the payload (tests/test_export_hardening.py
walks the schema to check it).

Each layer also says how many of its features are drawn (``shown``) and how many the view
holds (``total``); ``count`` and ``total`` at the top add them up. A view never sends more than
``MAX_DRAWN`` features: past that cap the rest are counted, not sent, and the caption and the
legend say "N of M shown". ``count`` is what is drawn.

A big layer, one with more than ``BIG_LAYER_POINTS`` points to draw, carries its plain points
(a Point with no origin line) as ``columns`` instead of as ``features``; its other features stay
in ``features``. ``columns`` holds ``rows`` (the number of points) and one array per feature key,
row by row: ``x`` and ``y`` (longitude and latitude rounded to 5 decimals) stand in for ``g``,
numbers stay plain arrays with ``null`` where a row has none, and any other value is
dictionary-encoded as ``{"dict": [values...], "codes": [index or -1 for none, ...]}`` unless most
rows differ, when it is a plain array too. The encoding knows no key by name, so a key added to
a feature reaches the browser without a change here; static/points.js rebuilds one row's feature
object on demand.

In the app, a big Parquet layer may instead be sent as a part held for every date
(geo/render/held.py): its entry then carries the part's key (``held``) and which of the
part's rows the view shows (``mask``), and no ``columns``; the map narrows the part itself.

Nothing here is HTML: the browser puts every value on the page as text.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson
import pycountry

from geo.catalog import Catalog, View, _span, is_event, is_stored, matches, stored_filter
from geo.compare import CHANGE_LABELS, view_changes
from geo.framing import Item, frame_for
from geo.model import Layer, PartialDate, date_range_label

if TYPE_CHECKING:
    from geo.render.held import HeldPart

PRECISION_WORDS = {
    "year": "known to the year",
    "month": "known to the month",
    "day": "known to the day",
}
DEFAULT_COLOR = "#555555"
# More points than this in one layer are drawn by one canvas layer (static/points.js) and sent
# as columns; fewer keep one Leaflet marker each.
BIG_LAYER_POINTS = 2_000
# The most features one view sends to the browser; past it the rest are counted, not sent.
MAX_DRAWN = 200_000
# Decimals kept of a big layer's coordinates: 1e-5 degrees is about a metre.
COORD_DECIMALS = 5
SORT_KEYS = orjson.OPT_SORT_KEYS


def build_payload(
    catalog: Catalog,
    view: View,
    title: str | None = None,
    *,
    max_drawn: int = MAX_DRAWN,
    big_layer_points: int = BIG_LAYER_POINTS,
    held: dict[str, HeldPart] | None = None,
) -> dict[str, Any]:
    """Everything the map needs to draw ``view``, as plain JSON-able data.

    At most ``max_drawn`` features are sent; a layer with more than ``big_layer_points`` plain
    points sends them as columns (see the module's docstring). A layer with a part in
    ``held`` (by layer id; geo/render/held.py) is sent as that part's key (``held``), the rows
    of it the view shows (``mask``) and those of its ``features`` it shows, while the view
    compares nothing; past the cap, the mask keeps the first rows in file order, the rows a
    layer built alone draws."""
    sources: list[dict[str, str]] = []
    source_index: dict[tuple[str, ...], int] = {}
    layers: list[dict[str, Any]] = []
    count = total = 0
    pairs: list[Item] = []
    changes = view_changes(catalog, view)
    change_of = {change.id: change.kind for change in changes}
    for layer in catalog.visible_layers(view):
        kept = (held or {}).get(layer.id)
        if kept is not None and not changes:
            from geo.render.held import narrow, pack_mask

            narrowed = narrow(kept, layer, view, max(max_drawn - count, 0))
            entry = _layer_entry(layer, narrowed.shown, narrowed.matched, narrowed.features)
            layers.append({**entry, "held": kept.key, "mask": pack_mask(narrowed.points)})
            pairs.append(narrowed.framed)
            count += narrowed.shown
            total += narrowed.matched
            continue
        if is_stored(layer) and not changes:  # a Parquet layer: its columns from Arrow
            from geo.render.stored_columns import stored_part

            budget = max(max_drawn - count, 0)
            spec = stored_filter(layer, view)
            part = stored_part(layer, spec, sources, source_index, budget, big_layer_points)
            if part is not None:
                entry = _layer_entry(layer, part.shown, part.total, part.features)
                layers.append({**entry, "columns": part.columns})
                pairs.append(part.framed)
                count += part.shown
                total += part.total
                continue
        matching = view_features(layer, view)
        if changes:  # what closed is drawn too, though it is gone at B
            ids = {f["properties"]["id"] for f in matching}
            matching += [c.feature for c in changes if c.layer is layer and c.id not in ids]
        shown = matching[: max(max_drawn - count, 0)]
        features = []
        for feature in shown:
            features.append(_feature(feature, layer, sources, source_index))
            if feature["properties"]["id"] in change_of:
                features[-1]["ch"] = change_of[feature["properties"]["id"]]
            pairs.append((layer, feature))
        points = [f for f in features if _is_plain_point(f)]
        entry = _layer_entry(layer, len(features), len(matching), features)
        if len(points) > big_layer_points:
            entry["features"] = [f for f in features if not _is_plain_point(f)]
            entry["columns"] = encode_columns(points)
        count += len(features)
        total += len(matching)
        layers.append(entry)
    payload: dict[str, Any] = {
        "title": title or "US force posture in the Middle East",
        "caption": caption(view) + (f"; {shown_label(count, total)}" if count < total else ""),
        "count": count,
        "total": total,
        "layers": layers,
        "sources": sources,
        **_framing(catalog, view, pairs),
        "view": (
            {"lat": view.center[0], "lng": view.center[1], "zoom": view.zoom}
            if view.center and view.zoom is not None
            else None
        ),
        "selected": view.selected,
        "reviewed": catalog.reviewed_to(),
        "footer": "",
        "time": _time(catalog, view),
        "changes": [
            {
                "i": c.id,
                "n": c.feature["properties"]["name"],
                "c": c.kind,
                "cl": CHANGE_LABELS[c.kind],
                "d": _label(c.date),
                "no": c.note,
                "l": c.layer.title,
            }
            for c in changes
        ],
    }
    return payload


def _time(catalog: Catalog, view: View) -> dict[str, Any]:
    """The view's dates for the timeline, and the span of the visible layers' events (of all
    their features if they hold no event), whatever the dates shown: the timeline's axis."""
    start, end = view.event_window()
    spans: dict[bool, list[dt.date]] = {True: [], False: []}
    for layer in catalog.visible_layers(view):
        if is_stored(layer):  # a big event layer: its span from the store, not row by row
            span = layer.features.table.date_span()
            spans[True] += list(span or ())
            continue
        for feature in layer.features:
            props = feature["properties"]
            day0, day1, _ = _span(props["start"], props.get("end"))
            spans[is_event(feature, layer)] += [day0, day1]
    days = spans[True] or spans[False]
    first, last = (min(days), max(days)) if days else (None, None)
    return {
        "asOf": view.as_of,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "compare": list(view.compare) if view.compare else None,
        "first": first.isoformat() if first else None,
        "last": last.isoformat() if last else None,
    }


def shown_label(count: int, total: int) -> str:
    """'150,000 of 1,000,000 shown'."""
    return f"{count:,} of {total:,} shown"


def _layer_entry(
    layer: Layer, shown: int, total: int, features: list[dict[str, Any]]
) -> dict[str, Any]:
    """A layer's entry in the payload: its title, group and style, counts and features."""
    style = layer.meta.get("style", {})
    return {
        "id": layer.id,
        "title": layer.title,
        "group": layer.group,
        "color": style.get("color", DEFAULT_COLOR),
        "marker": style.get("marker", "circle"),
        "fillOpacity": style.get("fill_opacity", 0.3),
        "shown": shown,
        "total": total,
        "features": features,
    }


def view_features(layer: Layer, view: View) -> list[dict[str, Any]]:
    """The layer's features that ``view`` shows, in file order; a Parquet layer asks DuckDB."""
    if is_stored(layer):
        return layer.features.table.select(stored_filter(layer, view))
    return [f for f in layer.features if matches(f, layer, view)]


def encode_columns(features: list[dict[str, Any]]) -> dict[str, Any]:
    """Payload features (all plain points) as columns; see the module's docstring."""
    rows = len(features)
    columns: dict[str, Any] = {
        "rows": rows,
        "x": [round(f["g"]["coordinates"][0], COORD_DECIMALS) for f in features],
        "y": [round(f["g"]["coordinates"][1], COORD_DECIMALS) for f in features],
    }
    keys: dict[str, None] = {}
    for feature in features:
        keys.update(dict.fromkeys(feature))
    for key in keys:
        if key in ("g", "x", "y", "rows"):
            continue
        values = [f.get(key) for f in features]
        columns[key] = _encode_column(values)
    return columns


def decode_columns(columns: dict[str, Any]) -> list[dict[str, Any]]:
    """The features :func:`encode_columns` was given (coordinates rounded): the round trip
    static/points.js makes for one row, here for every row (for tests and checks)."""
    rows = columns["rows"]
    out: list[dict[str, Any]] = [
        {"g": {"type": "Point", "coordinates": [columns["x"][n], columns["y"][n]]}}
        for n in range(rows)
    ]
    for key, column in columns.items():
        if key in ("rows", "x", "y"):
            continue
        if isinstance(column, dict):
            values = [None if code < 0 else column["dict"][code] for code in column["codes"]]
        else:
            values = column
        for feature, value in zip(out, values, strict=True):
            if value is not None:
                feature[key] = value
    return out


def _encode_column(values: list[Any]) -> list[Any] | dict[str, list[Any]]:
    present = [v for v in values if v is not None]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return values
    index: dict[Any, int] = {}
    table: list[Any] = []
    codes: list[int] = []
    # Past half as many entries as values the dictionary only adds (ids, notes); a column that
    # is mostly distinct in its first rows is taken for one such.
    limit = len(present) // 2
    for value in values:
        if value is None:
            codes.append(-1)
            continue
        # Text is its own key; any other JSON value is keyed by its canonical text, marked so
        # that 1 and "1", or [1] and "[1]", stay two entries.
        key = value if isinstance(value, str) else (0, orjson.dumps(value, option=SORT_KEYS))
        code = index.get(key)
        if code is None:
            if len(table) >= limit or (len(codes) >= 20_000 and len(table) * 2 > len(codes)):
                return values
            code = index[key] = len(table)
            table.append(value)
        codes.append(code)
    return {"dict": table, "codes": codes}


def _is_plain_point(feature: dict[str, Any]) -> bool:
    return feature["g"]["type"] == "Point" and "or" not in feature


def reviewed_sentence(catalog: Catalog) -> str:
    """'Data reviewed to 22 Nov 2026.' (the oldest layer review date), for attributions."""
    reviewed = catalog.reviewed_to()
    if not reviewed:
        return "No review date recorded for the data."
    return f"Data reviewed to {_label(reviewed)}."


def caption(view: View) -> str:
    """The as-of date and event window in words, e.g. 'Posture as of 1 Jan 2024; events ...'."""
    start, end = view.event_window()
    posture = f"Posture as of {_label(view.as_of)}" if view.as_of else "Posture on every date"
    if start and end:
        events = f"events {_date_label(start)} – {_date_label(end)}"
    elif end:
        events = f"events up to {_date_label(end)}"
    elif start:
        events = f"events from {_date_label(start)}"
    else:
        events = "events of every date"
    return f"{posture}; {events}"


# A feature's optional text, by payload key: sent when the feature has it.
OPTIONAL_TEXT = {
    "dn": "date_note",
    "ln": "location_note",
    "a": "actor",
    "an": "actor_note",
    "t": "target",
    "op": "operator",
    "ri": "relation_to_iran",
    "st": "claim_status",
    "o": "outcome",
    "et": "event_type",
    "sid": "source_id",
    "ic": "icao",
}

# The fields that make a cited work; a quote and a note are the citing feature's own.
WORK_FIELDS = ("title", "publisher", "url", "archive_url", "published", "accessed")


def fatalities_label(value: int | dict[str, int]) -> str:
    """Deaths as the source counts them: '5', or a dataset's best estimate with its range."""
    if not isinstance(value, dict):
        return f"{value:,}"
    low, high = value.get("low"), value.get("high")
    bounds = ", ".join(
        f"{word} {number:,}"
        for word, number in (("low", low), ("high", high))
        if number is not None
    )
    return f"{value['best']:,}" + (f" ({bounds})" if bounds else "")


def register_work(
    source: dict[str, Any], sources: list[dict[str, str]], source_index: dict[tuple[str, ...], int]
) -> int:
    """The cited work's number in ``sources``, added there if new: a work is its
    ``WORK_FIELDS``, an empty one the same as a missing one."""
    key = tuple([source.get(field) or "" for field in WORK_FIELDS])
    number = source_index.get(key)
    if number is None:
        number = source_index[key] = len(sources)
        work = {
            "title": source["title"],
            "publisher": source["publisher"],
            "url": source["url"],
            "published": _label(source.get("published")),
            "accessed": _label(source["accessed"]),
        }
        if source.get("archive_url"):
            work["archive_url"] = source["archive_url"]
        sources.append(work)
    return number


def _feature(
    feature: dict[str, Any],
    layer: Layer,
    sources: list[dict[str, str]],
    source_index: dict[tuple[str, ...], int],
) -> dict[str, Any]:
    props = feature["properties"]
    refs: list[int] = []
    quotes: dict[str, str] = {}
    notes: dict[str, str] = {}
    by_url: dict[str, int] = {}
    for source in props["sources"]:
        number = register_work(source, sources, source_index)
        by_url.setdefault(source["url"], number)
        if number not in refs:
            refs.append(number)
        if source.get("quote"):
            quotes[str(number)] = source["quote"]
        if source.get("note"):  # one work cited twice with two notes keeps both
            key = str(number)
            notes[key] = f"{notes[key]}; {source['note']}" if key in notes else source["note"]
    out: dict[str, Any] = {
        "i": props["id"],
        "n": props["name"],
        "k": props["kind"],
        "kl": props["kind"].replace("-", " ").capitalize(),
        "dl": dates_label(props, is_event(feature, layer)),
        "dp": date_precision_words(props),
        "lp": props["location_precision"],
        "de": props["description"],
        "src": refs,
        "g": feature["geometry"],
    }
    first, last, end = _span(props["start"], props.get("end"))
    out["s0"] = first.isoformat()
    if end or is_event(feature, layer):
        out["s1"] = last.isoformat()
    for key, prop in OPTIONAL_TEXT.items():
        if props.get(prop):
            out[key] = props[prop]
    if props.get("fatalities") is not None:
        out["fa"] = fatalities_label(props["fatalities"])
    if props.get("units"):
        out["u"] = props["units"]
    if props.get("country"):
        out["cn"] = country_name(props["country"])
    if quotes:
        out["q"] = quotes
    if notes:
        out["sn"] = notes
    if props.get("claims"):
        out["cl"] = [
            [c["topic"], c["value"], _label(c.get("as_of")), by_url[c["source"]]]
            for c in props["claims"]
        ]
    origin = props.get("origin")
    if origin:
        out["or"] = [
            origin["coordinates"][0],
            origin["coordinates"][1],
            origin["name"],
            origin.get("location_precision"),
            origin.get("location_note"),
        ]
    return out


def dates_label(props: dict[str, Any], event: bool) -> str:
    """'3 Jan 2020', '13 Apr 2024 – 14 Apr 2024', 'since Jun 2019', '2016 – 11 Feb 2026'."""
    if event or props.get("end"):
        return date_range_label(props["start"], props.get("end"))
    return f"since {PartialDate.parse(props['start']).label()}"


def date_precision_words(props: dict[str, Any]) -> str:
    return _precision_words(props["start"], props.get("end"))


@lru_cache(maxsize=4096)
def _precision_words(start_text: str, end_text: str | None) -> str:
    start = PartialDate.parse(start_text).precision
    words = f"start {PRECISION_WORDS[start]}"
    if end_text:
        end = PartialDate.parse(end_text).precision
        if end == start:
            return f"dates {PRECISION_WORDS[start]}"
        words += f", end {PRECISION_WORDS[end]}"
    return words


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or (country.name if country else code)


def _label(text: str | None) -> str:
    return PartialDate.parse(text).label() if text else ""


def _date_label(date: dt.date) -> str:
    return PartialDate(date.year, date.month, date.day).label()


def _framing(catalog: Catalog, view: View, pairs: list[Item]) -> dict[str, Any]:
    """``bounds`` ([[south, west], [north, east]], as Leaflet takes them) from
    :mod:`geo.framing`, and ``edges``: what lies beyond them, as
    [name, lon, lat, kind, layer id, feature id, km from the frame's centre]."""
    frame = frame_for(pairs, view.extent, catalog)
    if frame is None:
        return {"bounds": None, "edges": []}
    west, south, east, north = frame.extent
    edges = [
        [m.name, m.lon, m.lat, m.kind, m.layer_id, m.feature_id, round(m.distance_km)]
        for m in frame.offstage
    ]
    return {"bounds": [[south, west], [north, east]], "edges": edges}
