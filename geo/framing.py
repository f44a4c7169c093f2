"""Where a map of a view is framed, and what lies beyond the frame.

A map framed on every feature of a view can run from Missouri to China, because one bomber
flew from Missouri and one event happened in the Baltic, and the Gulf becomes a small patch.
So the default frame fits the posture and actor layers (the features that last: sites and areas,
not events), and each feature or origin outside it is reported as an :class:`Offstage` mark,
which a renderer draws as an arrow at the frame's edge pointing toward it.

Extents are ``(west, south, east, north)`` in degrees, as ``--extent`` takes them. Nothing here
draws: the HTML map (``geo/render``) and the images (``geo/export/images.py``) both ask this
module, so every export frames a view the same way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from typing import TYPE_CHECKING, Any, Protocol

from geo.catalog import Catalog, View, is_event
from geo.model import Layer

if TYPE_CHECKING:  # numpy is not loaded for `python -m geo --help`, which reads this module
    import numpy as np

Extent = tuple[float, float, float, float]
Pair = tuple[Layer, dict[str, Any]]

PAD_FRACTION = 0.06
MIN_PAD_DEG = 1.0
EVENT_GROUP = "events"
_NUMBER = r"\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+))\s*"


class ExtentError(ValueError):
    """An ``--extent`` that is not four numbers west, south, east, north on the globe."""


@dataclass(frozen=True)
class Offstage:
    """A feature, or a feature's origin, that lies outside the frame.

    ``lon``/``lat`` is where it is; ``edge`` is where a straight line from the frame's centre
    toward it leaves the frame (lon, lat); ``distance_km`` is the geodesic distance from the
    frame's centre. ``kind`` is ``"feature"`` or ``"origin"``.
    """

    name: str
    lon: float
    lat: float
    kind: str
    layer_id: str
    feature_id: str
    edge: tuple[float, float]
    distance_km: float

    def label(self) -> str:
        """'Nord Stream pipelines sabotage (4,018 km)', or for an origin 'Whiteman Air Force
        Base, Missouri, launch point (11,633 km)', as an arrow's caption."""
        kind = ", launch point" if self.kind == "origin" else ""
        return f"{self.name}{kind} ({self.distance_km:,.0f} km)"


class NamesOnDemand(Protocol):
    """Points' names read when a mark needs them (a lean held part's, geo/render/held.py):
    :meth:`read` gives those of some points, :meth:`pick` the names of a subset."""

    def read(self, points: list[int]) -> list[str | None]: ...

    def pick(self, keep: np.ndarray) -> NamesOnDemand: ...


@dataclass(frozen=True, eq=False)
class PointRows:
    """A big layer's rows for framing, without a dict per plain point.

    The plain points (``plain`` marks them among the rows) are arrays: ``xs``, ``ys``,
    ``event`` (whether each is an event, as :func:`geo.catalog.is_event` says), ``ids`` and
    ``names``; ``others`` are the other rows' features, in row order. Framing treats the rows
    exactly as the (layer, feature) pairs they stand for, in row order (:meth:`pairs`), and
    makes pairs only of the few points that lie outside a frame.
    """

    layer: Layer
    plain: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    event: np.ndarray
    ids: list[str]
    names: list[str | None] | NamesOnDemand
    others: list[dict[str, Any]]

    def pairs(self, points: np.ndarray | None = None) -> Iterator[Pair]:
        """The rows as pairs, in row order: every other row, and the plain points ``points``
        (a mask over them) marks, all when None. A point's feature carries what an offstage
        mark reads of it: its point, id and name."""
        keep_list = [True] * len(self.xs) if points is None else points.tolist()
        wanted = [point for point, kept in enumerate(keep_list) if kept]
        if isinstance(self.names, list):
            names = dict(zip(wanted, [self.names[n] for n in wanted], strict=True))
        else:  # read at once, and only for the points asked for
            names = dict(zip(wanted, self.names.read(wanted), strict=True))
        others = iter(self.others)
        point = 0
        for is_plain in self.plain.tolist():
            if not is_plain:
                yield self.layer, next(others)
                continue
            if keep_list[point]:
                yield self.layer, self._feature(point, names[point])
            point += 1

    def pick_names(self, keep: np.ndarray) -> list[str | None] | NamesOnDemand:
        """The names of the points ``keep`` (a mask over them) marks."""
        if isinstance(self.names, list):
            return list(compress(self.names, keep.tolist()))
        return self.names.pick(keep)

    def _feature(self, point: int, name: str | None) -> dict[str, Any]:
        props = {"id": self.ids[point], "name": name}
        geometry = {"type": "Point", "coordinates": [float(self.xs[point]), float(self.ys[point])]}
        return {"type": "Feature", "geometry": geometry, "properties": props}

    def inside(self, extent: Extent) -> np.ndarray:
        """Which plain points lie in ``extent`` (its edges included)."""
        west, south, east, north = extent
        return (self.xs >= west) & (self.xs <= east) & (self.ys >= south) & (self.ys <= north)

    def box(self, lasting: bool) -> Extent | None:
        """The box of every row, or with ``lasting`` of those that are not events."""
        xs, ys = (self.xs[~self.event], self.ys[~self.event]) if lasting else (self.xs, self.ys)
        others = [(self.layer, f) for f in self.others]
        if lasting:
            others = [(layer, f) for layer, f in others if not is_event(f, layer)]
        boxes = [_geometry_bbox(f["geometry"]) for _layer, f in others]
        if len(xs):
            boxes.append((float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())))
        return _union(boxes)


Item = Pair | PointRows


@dataclass(frozen=True)
class Frame:
    """A frame (``extent``) and the marks for what lies beyond it."""

    extent: Extent
    offstage: tuple[Offstage, ...]


def parse_extent(text: str) -> Extent:
    """``'25,10,65,42'`` -> ``(25.0, 10.0, 65.0, 42.0)``.

    Raises
    ------
    ExtentError
        Unless the text is four numbers, west < east, south < north, longitudes within ±180 and
        latitudes within ±90; the message says which rule failed and gives an example.
    """
    example = "e.g. --extent 25,10,65,42 (west,south,east,north in degrees)"
    match = re.fullmatch(",".join([_NUMBER] * 4), text or "")
    if not match:
        raise ExtentError(f"--extent {text!r}: write four numbers WEST,SOUTH,EAST,NORTH, {example}")
    west, south, east, north = (float(value) for value in match.groups())
    for name, value, limit in (
        ("west", west, 180),
        ("east", east, 180),
        ("south", south, 90),
        ("north", north, 90),
    ):
        if not -limit <= value <= limit:
            raise ExtentError(f"--extent {text!r}: {name} {value:g} is beyond ±{limit}; {example}")
    if not west < east:
        raise ExtentError(
            f"--extent {text!r}: west {west:g} must be less than east {east:g}; {example}"
        )
    if not south < north:
        raise ExtentError(
            f"--extent {text!r}: south {south:g} must be less than north {north:g}; {example}"
        )
    return west, south, east, north


def default_frame(pairs: Iterable[Item], catalog: Catalog | None = None) -> Frame | None:
    """The frame for a view's ``pairs``: the region of its lasting features, with marks for
    what lies outside. None when there is nothing to frame.

    The region is the bounding box of the shown features that are not events (sites and areas
    of the posture and actor layers), padded. With none shown (an events-only view), it is that
    of the catalog's posture and actor layers. Should no shown feature fall inside the region
    (a view of far-off features only), the frame fits the shown features instead.

    A big layer's rows may come as one :class:`PointRows` among the pairs.
    """
    pairs = [item for item in pairs if not isinstance(item, PointRows) or len(item.plain)]
    if not pairs:
        return None
    box = _items_box(pairs, lasting=True)
    if box is None and catalog is not None:
        ids = tuple(layer.id for layer in catalog.layers if layer.group != EVENT_GROUP)
        if ids:
            box = _bbox(
                (layer, f)
                for layer, f in catalog.features(View(layers=ids))
                if not is_event(f, layer)
            )
    if box is not None:
        extent = pad(box)
        if any(_item_meets(item, extent) for item in pairs):
            return Frame(extent, tuple(offstage(pairs, extent)))
    box = _items_box(pairs, lasting=False)
    if box is None:
        return None
    extent = pad(box)
    return Frame(extent, tuple(offstage(pairs, extent)))


def frame_for(
    pairs: Iterable[Item], extent: Extent | None, catalog: Catalog | None = None
) -> Frame | None:
    """The frame an export uses: ``extent`` when one is given, else :func:`default_frame`."""
    if extent is None:
        return default_frame(pairs, catalog)
    return Frame(extent, tuple(offstage(pairs, extent)))


def pad(box: Extent) -> Extent:
    """``box`` grown by a margin (6% of its size, at least 1°) and kept on the globe."""
    west, south, east, north = box
    pad_x = max((east - west) * PAD_FRACTION, MIN_PAD_DEG)
    pad_y = max((north - south) * PAD_FRACTION, MIN_PAD_DEG)
    return (
        max(-180.0, west - pad_x),
        max(-85.0, south - pad_y),
        min(180.0, east + pad_x),
        min(85.0, north + pad_y),
    )


def offstage(pairs: Iterable[Item], extent: Extent) -> list[Offstage]:
    """Each feature wholly outside ``extent``, and each origin outside it, once per name and
    place, nearest first."""
    marks: dict[tuple[str, float, float], Offstage] = {}
    for layer, feature in _candidates(pairs, extent):
        props = feature["properties"]
        geometry = feature["geometry"]
        if not _meets(_geometry_bbox(geometry), extent):
            lon, lat = _anchor(geometry)
            _add(
                marks,
                props.get("name") or props.get("id") or "",
                lon,
                lat,
                "feature",
                layer,
                props,
                extent,
            )
        origin = props.get("origin")
        if isinstance(origin, dict) and origin.get("coordinates"):
            lon, lat = (float(v) for v in origin["coordinates"][:2])
            if not _inside(lon, lat, extent):
                _add(
                    marks, origin.get("name") or "origin", lon, lat, "origin", layer, props, extent
                )
    return sorted(marks.values(), key=lambda mark: (mark.distance_km, mark.name))


def edge_point(extent: Extent, lon: float, lat: float) -> tuple[float, float]:
    """Where the straight line (on the map, x scaled by the cosine of the middle latitude) from
    the centre of ``extent`` toward (lon, lat) crosses the frame's edge."""
    west, south, east, north = extent
    cx, cy = (west + east) / 2, (south + north) / 2
    shrink = math.cos(math.radians(max(-80.0, min(80.0, cy))))
    dx, dy = (lon - cx) * shrink, lat - cy
    half_w, half_h = (east - west) / 2 * shrink, (north - south) / 2
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min(half_w / abs(dx) if dx else math.inf, half_h / abs(dy) if dy else math.inf)
    scale = min(scale, 1.0)
    return cx + dx * scale / shrink, cy + dy * scale


def _add(
    marks: dict[tuple[str, float, float], Offstage],
    name: str,
    lon: float,
    lat: float,
    kind: str,
    layer: Layer,
    props: dict[str, Any],
    extent: Extent,
) -> None:
    key = (name, round(lon, 3), round(lat, 3))
    if key in marks:
        return
    west, south, east, north = extent
    cx, cy = (west + east) / 2, (south + north) / 2
    _az, _back, metres = _geod().inv(cx, cy, lon, lat)
    marks[key] = Offstage(
        name=name,
        lon=lon,
        lat=lat,
        kind=kind,
        layer_id=layer.id,
        feature_id=str(props.get("id") or ""),
        edge=edge_point(extent, lon, lat),
        distance_km=metres / 1000.0,
    )


@lru_cache(maxsize=1)
def _geod() -> Any:
    # Loaded on use: `python -m geo --help` reads this module and must answer at once.
    from pyproj import Geod

    return Geod(ellps="WGS84")


def _coordinates(value: Any) -> Iterator[tuple[float, float]]:
    if value and isinstance(value[0], int | float):
        yield float(value[0]), float(value[1])
    else:
        for item in value:
            yield from _coordinates(item)


def _geometry_bbox(geometry: dict[str, Any]) -> Extent:
    if geometry["type"] == "Point":  # most features of a big layer: no walk, no zip
        x, y = geometry["coordinates"][:2]
        return float(x), float(y), float(x), float(y)
    xs, ys = zip(*_coordinates(geometry["coordinates"]), strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def _candidates(items: Iterable[Item], extent: Extent) -> Iterator[Pair]:
    """The pairs that may lie outside ``extent`` (or hold an origin), in order: every pair,
    and of a :class:`PointRows` its other rows and the plain points outside."""
    for item in items:
        if isinstance(item, PointRows):
            yield from item.pairs(~item.inside(extent))
        else:
            yield item


def _items_box(items: list[Item], lasting: bool) -> Extent | None:
    """The box of the items' features, or with ``lasting`` of those that are not events."""
    pairs = [item for item in items if not isinstance(item, PointRows)]
    if lasting:
        pairs = [(layer, f) for layer, f in pairs if not is_event(f, layer)]
    boxes = [box for box in [_bbox(pairs)] if box is not None]
    boxes += [
        box
        for item in items
        if isinstance(item, PointRows)
        for box in [item.box(lasting)]
        if box is not None
    ]
    return _union(boxes)


def _item_meets(item: Item, extent: Extent) -> bool:
    if isinstance(item, PointRows):
        return bool(item.inside(extent).any()) or any(
            _meets(_geometry_bbox(f["geometry"]), extent) for f in item.others
        )
    return _meets(_geometry_bbox(item[1]["geometry"]), extent)


def _bbox(pairs: Iterable[Pair]) -> Extent | None:
    return _union([_geometry_bbox(feature["geometry"]) for _layer, feature in pairs])


def _union(boxes: list[Extent]) -> Extent | None:
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _meets(box: Extent, extent: Extent) -> bool:
    return (
        box[0] <= extent[2] and box[2] >= extent[0] and box[1] <= extent[3] and box[3] >= extent[1]
    )


def _inside(lon: float, lat: float, extent: Extent) -> bool:
    return extent[0] <= lon <= extent[2] and extent[1] <= lat <= extent[3]


def _anchor(geometry: dict[str, Any]) -> tuple[float, float]:
    """A point of the geometry to point at: the point itself, or the middle of its box."""
    if geometry["type"] == "Point":
        x, y = geometry["coordinates"][:2]
        return float(x), float(y)
    west, south, east, north = _geometry_bbox(geometry)
    return (west + east) / 2, (south + north) / 2


@dataclass(frozen=True)
class EdgeGroup:
    """Offstage marks at one place (three events in Islamabad), drawn as one arrow."""

    marks: tuple[Offstage, ...]

    @property
    def first(self) -> Offstage:
        return self.marks[0]

    def label(self) -> str:
        """'Nord Stream pipelines sabotage (4,018 km)' or '... (3,061 km) and 2 more there'."""
        more = len(self.marks) - 1
        return self.first.label() + (f" and {more} more there" if more else "")


def grouped(marks: Iterable[Offstage], decimals: int = 1) -> list[EdgeGroup]:
    """``marks`` gathered by place (rounded to ``decimals`` degrees), nearest place first."""
    places: dict[tuple[float, float], list[Offstage]] = {}
    for mark in marks:
        places.setdefault((round(mark.lon, decimals), round(mark.lat, decimals)), []).append(mark)
    groups = [EdgeGroup(tuple(items)) for items in places.values()]
    return sorted(groups, key=lambda group: (group.first.distance_km, group.first.name))
