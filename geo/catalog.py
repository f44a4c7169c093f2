"""Discover and load the layers, and answer the questions the map asks of them.

A ``View`` is the one small value that says what is on the map: which layers, which date, which
event window, which filters, which feature is selected and where the map looks. The app, the URL
state and the exports all build the same ``View``, so an export shows what the screen showed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.io import ReadError, read_json_file
from geo.model import Layer, Message, PartialDate
from geo.validate import check_document, layer_files, locate
from geo.validate.read import PARQUET_SUFFIX

if TYPE_CHECKING:
    from geo.store import Filter

EVENT_KINDS = frozenset(
    {
        "airstrike",
        "missile-attack",
        "drone-attack",
        "ground-attack",
        "sabotage",
        "targeted-killing",
        "diplomacy",
        "handover",
    }
)
# Fields the data dictionary gives to events only: a feature that carries one is an event.
EVENT_FIELDS = ("claim_status", "fatalities", "event_type")
GROUP_ORDER = ("us-posture", "regional-actors", "events", "user")
GROUP_TITLES = {
    "us-posture": "US posture",
    "regional-actors": "Regional actors",
    "events": "Events",
    "user": "Your layers",
}
Extent = tuple[float, float, float, float]
SEARCH_FIELDS = ("name", "description", "actor", "actor_note", "target", "operator", "outcome")


@dataclass(frozen=True)
class View:
    """What the map shows. Dates are ISO ``YYYY-MM-DD`` strings; None means no limit."""

    layers: tuple[str, ...] | None = None
    as_of: str | None = None
    window_from: str | None = None
    window_to: str | None = None
    countries: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    query: str = ""
    selected: str | None = None
    center: tuple[float, float] | None = None
    zoom: int | None = None
    # Compare two dates (A, B), ISO; see geo/compare.py. The dates above then show B.
    compare: tuple[str, str] | None = None
    # (west, south, east, north) in degrees: the frame an export shows (--extent).
    extent: tuple[float, float, float, float] | None = None

    def with_(self, **changes: Any) -> View:
        return replace(self, **changes)

    def event_window(self) -> tuple[dt.date | None, dt.date | None]:
        """The event window: explicit, or every event up to the as-of date."""
        start = _date(self.window_from)
        end = _date(self.window_to) or _date(self.as_of)
        return start, end


@dataclass
class Catalog:
    """The loaded layers, and the files that could not be loaded with why."""

    layers: list[Layer]
    messages: list[Message] = field(default_factory=list)

    def layer(self, layer_id: str) -> Layer:
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise KeyError(layer_id)

    def layer_ids(self) -> list[str]:
        return [layer.id for layer in self.layers]

    def with_layer(self, layer: Layer) -> Catalog:
        """A catalog with ``layer`` added (or replacing the layer of the same id)."""
        layers = [item for item in self.layers if item.id != layer.id] + [layer]
        return Catalog(layers, list(self.messages))

    def visible_layers(self, view: View) -> list[Layer]:
        if view.layers is None:
            return list(self.layers)
        wanted = set(view.layers)
        return [layer for layer in self.layers if layer.id in wanted]

    def features(
        self, view: View, extent: Extent | None = None
    ) -> Iterator[tuple[Layer, dict[str, Any]]]:
        """The (layer, feature) pairs the view shows, in layer order; with an ``extent``
        (west, south, east, north), only those whose bounding box meets it."""
        for layer in self.visible_layers(view):
            if is_stored(layer):
                spec = replace(stored_filter(layer, view), bbox=extent)
                for feature in layer.features.table.select(spec):
                    yield layer, feature
                continue
            for feature in layer.features:
                if matches(feature, layer, view) and (
                    extent is None or _meets(feature["geometry"], extent)
                ):
                    yield layer, feature

    def shows_any(self, view: View) -> bool:
        """Whether the view shows at least one feature; a Parquet layer is counted by DuckDB,
        not read."""
        for layer in self.visible_layers(view):
            if is_stored(layer):
                if layer.features.table.count(stored_filter(layer, view)):
                    return True
            elif any(matches(feature, layer, view) for feature in layer.features):
                return True
        return False

    def find(self, feature_id: str) -> tuple[Layer, dict[str, Any]] | None:
        for layer in self.layers:
            if is_stored(layer):
                found = layer.features.table.find(feature_id)
                if found is not None:
                    return layer, found
                continue
            for feature in layer.features:
                if feature["properties"].get("id") == feature_id:
                    return layer, feature
        return None

    def facets(self) -> dict[str, list[str]]:
        """The distinct values of each filter, sorted, over every layer."""
        values: dict[str, set[str]] = {
            "countries": set(),
            "actors": set(),
            "kinds": set(),
            "statuses": set(),
        }
        for layer in self.layers:
            if is_stored(layer):
                table = layer.features.table
                for key, prop in (
                    ("countries", "country"),
                    ("kinds", "kind"),
                    ("statuses", "claim_status"),
                ):
                    values[key].update(table.distinct(prop))
                for actor in table.distinct("actor"):
                    values["actors"].update(actor_parts(actor))
                continue
            for feature in layer.features:
                props = feature["properties"]
                for key, prop in (
                    ("countries", "country"),
                    ("kinds", "kind"),
                    ("statuses", "claim_status"),
                ):
                    if isinstance(props.get(prop), str):
                        values[key].add(props[prop])
                values["actors"].update(actor_parts(props.get("actor")))
        return {key: sorted(found) for key, found in values.items()}

    def reviewed_to(self) -> str | None:
        """The oldest review date among the layers that carry one: the whole map has been
        checked against its sources at least up to that day."""
        dates = [layer.reviewed for layer in self.layers if layer.reviewed]
        return min(dates) if dates else None

    def data_version(self) -> str:
        """A short hash of the layers' data: the same data, the same version, on any machine.

        A GeoJSON file (20 MB at most) is hashed whole; a Parquet file by its size and its
        footer, which holds the row count, every column chunk's offsets and statistics and
        the layer metadata, so a 200 MB layer costs a few kilobytes of reading, not 200 MB.
        Each file's digest is kept while its size and modification time stay the same.
        """
        digest = hashlib.sha256()
        for layer in sorted(self.layers, key=lambda item: item.id):
            digest.update(layer.id.encode())
            if layer.path.is_file():
                stat = layer.path.stat()
                digest.update(_file_digest(layer.path.resolve(), stat.st_size, stat.st_mtime_ns))
            else:  # an upload, held only in memory
                digest.update(json.dumps(layer.features, sort_keys=True).encode())
        return digest.hexdigest()[:12]


@lru_cache(maxsize=256)
def _file_digest(path: Path, size: int, mtime_ns: int) -> bytes:
    """The digest of one layer file's data (``size`` and ``mtime_ns`` only key the cache)."""
    if path.suffix.lower() != PARQUET_SUFFIX:
        return hashlib.sha256(path.read_bytes()).digest()
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        if end < 12:
            return hashlib.sha256(handle.read()).digest()
        handle.seek(end - 8)
        tail = handle.read(8)
        length = int.from_bytes(tail[:4], "little")
        handle.seek(max(0, end - 8 - length))
        footer = handle.read(length)
    return hashlib.sha256(f"{end}\0".encode() + footer + tail).digest()


def load_catalog(folder: Path, today: dt.date | None = None) -> Catalog:
    """Load every layer file under ``folder``. A file with errors is left out, with its messages.

    Warnings do not keep a layer out.
    """
    today = today or dt.date.today()
    layers: list[Layer] = []
    messages: list[Message] = []
    first_file: dict[str, str] = {}  # feature id -> the file that used it first
    for path in layer_files([folder]):
        layer, file_messages = load_layer(path, today)
        messages += [m for m in file_messages if m.level == "error"]
        clash = _reused_id(layer, first_file) if layer is not None else None
        if clash is not None:
            messages.append(
                Message(
                    "error",
                    "duplicate-id",
                    str(path),
                    f"id {clash!r} is already used by {first_file[clash]}",
                    "give this feature its own id; ids are unique across all layer files",
                    feature=clash,
                    field="id",
                )
            )
        elif layer is not None and layer.id in {known.id for known in layers}:
            messages.append(
                Message(
                    "error",
                    "duplicate-layer-id",
                    str(path),
                    f"layer id {layer.id!r} is already used by another file",
                    "give each layer file its own layer.id",
                )
            )
        elif layer is not None:
            layers.append(layer)
            first_file.update(dict.fromkeys(_feature_ids(layer), str(path)))
    order = {group: number for number, group in enumerate(GROUP_ORDER)}
    layers.sort(key=lambda layer: (order.get(layer.group, 99), layer.title))
    return Catalog(layers, messages)


def _feature_ids(layer: Layer) -> list[str]:
    if is_stored(layer):
        return [str(fid) for fid in layer.features.table.distinct("id")]
    return [feature["properties"]["id"] for feature in layer.features]


def _reused_id(layer: Layer, first_file: dict[str, str]) -> str | None:
    """The first of the layer's feature ids that an earlier file already uses, if any."""
    return next((fid for fid in _feature_ids(layer) if fid in first_file), None)


def load_layer(path: Path, today: dt.date) -> tuple[Layer | None, list[Message]]:
    if path.suffix.lower() == PARQUET_SUFFIX:
        from pyarrow import ArrowException

        from geo.store import open_layer
        from geo.validate.table import check_table

        messages = check_table(path, today)
        if any(m.level == "error" for m in messages):
            return None, messages
        try:
            return open_layer(path), messages
        except (OSError, ValueError, KeyError, ArrowException) as exc:  # changed since checked
            reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else "unreadable"
            fix = "write it again with geo.store.write_parquet"
            return None, [Message("error", "not-parquet", str(path), reason, fix)]
    try:
        doc, text = read_json_file(path)
    except ReadError as exc:
        return None, exc.messages
    messages = check_document(doc, str(path), today)
    if any(m.level == "error" for m in messages):
        return None, locate(messages, text)
    return layer_from_document(doc, path), messages


def layer_from_document(doc: dict[str, Any], path: Path) -> Layer:
    """A Layer from a document that passed validation."""
    return Layer(path=path, meta=doc["layer"], features=list(doc["features"]))


def is_event(feature: dict[str, Any], layer: Layer) -> bool:
    """Whether the feature happened (an event, shown in the event window and dated as a day or
    a span) rather than lasts (shown from its start on, "since ...").

    An event by its layer's group, by its kind, or by the fields only events carry: an imported
    dataset row is of kind ``other`` and keeps being an event when a user uploads it, whatever
    group its layer lands in.
    """
    if layer.group == "events":
        return True
    props = feature["properties"]
    return props.get("kind") in EVENT_KINDS or any(key in props for key in EVENT_FIELDS)


def matches(feature: dict[str, Any], layer: Layer, view: View) -> bool:
    """Whether the view shows this feature: time first, then filters, then the search."""
    props = feature["properties"]
    first, last, end = _span(props["start"], props.get("end"))
    if is_event(feature, layer):
        window_from, window_to = view.event_window()
        if window_from and last < window_from:
            return False
        if window_to and first > window_to:
            return False
    elif view.as_of:
        as_of = _date(view.as_of)
        if as_of and (first > as_of or (end and end < as_of)):
            return False
    if view.countries and props.get("country") not in view.countries:
        return False
    if view.actors and not set(view.actors) & set(actor_parts(props.get("actor"))):
        return False
    if view.kinds and props.get("kind") not in view.kinds:
        return False
    if view.statuses and props.get("claim_status") not in view.statuses:
        return False
    return not view.query or _matches_query(props, view.query)


def is_stored(layer: Layer) -> bool:
    """Whether the layer's features stay in a Parquet file. Asked without importing the store
    (pyarrow and DuckDB): such features exist only once it has been imported."""
    store = sys.modules.get("geo.store")
    return store is not None and isinstance(layer.features, store.StoredFeatures)


def stored_filter(layer: Layer, view: View) -> Filter:
    """What :func:`matches` asks, put to a Parquet layer's table: the same time rule (an
    event as :func:`is_event` says, by the layer's group, the feature's kind or the fields only
    events carry), the same filters, and the same search."""
    assert is_stored(layer)
    window_from, window_to = view.event_window()
    actors = None
    if view.actors:
        wanted = set(view.actors)
        written = layer.features.table.distinct("actor")
        actors = tuple(actor for actor in written if wanted & set(actor_parts(actor)))
    from geo.store import Filter

    return Filter(
        all_events=layer.group == "events",
        event_kinds=tuple(sorted(EVENT_KINDS)),
        event_fields=EVENT_FIELDS,
        window_from=window_from,
        window_to=window_to,
        as_of=_date(view.as_of) if view.as_of else None,
        countries=tuple(view.countries) or None,
        actors=actors,
        kinds=tuple(view.kinds) or None,
        statuses=tuple(view.statuses) or None,
        words=tuple(view.query.casefold().split()),
    )


@lru_cache(maxsize=65536)
def _span(start: str, end: str | None) -> tuple[dt.date, dt.date, dt.date | None]:
    """First day, last day (of the end, or else of the start) and the end's last day, if any.

    Cached: a layer of many events repeats few dates, and every rerun asks again."""
    first = PartialDate.parse(start)
    last = PartialDate.parse(end) if end else None
    return first.first_day(), (last or first).last_day(), last.last_day() if last else None


def _meets(geometry: dict[str, Any], extent: Extent) -> bool:
    """Whether a geometry's bounding box meets the extent (edges count), as the Parquet
    layers' ``bbox`` columns are compared."""
    import shapely
    import shapely.geometry

    xmin, ymin, xmax, ymax = shapely.bounds(shapely.geometry.shape(geometry))
    west, south, east, north = extent
    return xmax >= west and xmin <= east and ymax >= south and ymin <= north


def actor_parts(actor: str | None) -> list[str]:
    """The actors named in a joint actor: 'United States and Israel' -> both."""
    if not actor:
        return []
    return [part.strip() for part in re.split(r"\s+and\s+", actor) if part.strip()]


def _matches_query(props: dict[str, Any], query: str) -> bool:
    words = query.casefold().split()
    haystack = " ".join(_search_texts(props)).casefold()
    return all(word in haystack for word in words)


def _search_texts(props: dict[str, Any]) -> Iterable[str]:
    for key in SEARCH_FIELDS:
        if isinstance(props.get(key), str):
            yield props[key]
    for source in props.get("sources", []):
        if isinstance(source, dict):
            for key in ("title", "publisher"):
                if isinstance(source.get(key), str):
                    yield source[key]


def bibliography(pairs: Iterable[tuple[Layer, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each cited work once (by url), with the ids of the features that cite it, in order of
    first citation."""
    works: dict[str, dict[str, Any]] = {}
    for _layer, feature in pairs:
        props = feature["properties"]
        for source in props.get("sources", []):
            work = works.setdefault(source["url"], {**source, "cited_by": []})
            if props["id"] not in work["cited_by"]:
                work["cited_by"].append(props["id"])
    return list(works.values())


@lru_cache(maxsize=1024)
def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    return PartialDate.parse(text).first_day() if len(text) < 10 else dt.date.fromisoformat(text)
