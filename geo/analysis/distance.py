"""Geodesic distances and initial bearings between features, on the WGS84 ellipsoid.

A point is measured as it is; an area (or a line) is measured to the nearest point of its
boundary, and a point inside an area is at distance 0 from it.

Method: the boundary is sampled every ``SAMPLE_DEG`` degrees (about 5 km), the sample nearest
to the other feature is found with pyproj's vectorised ``Geod.inv``, and the two boundary
segments on either side of it are then searched by golden section for the true nearest point.
The boundary between two vertices is the straight line in longitude and latitude, as GeoJSON
draws it. Distances between two given points are pyproj's (Karney's) geodesic, exact to
nanometres; the nearest-point search adds an error far below a metre for features more than a
few kilometres apart. Features that cross the antimeridian are not supported here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import Point, shape

GEOD = Geod(ellps="WGS84")
SAMPLE_DEG = 0.05
COARSE_DEG = 0.1
MAX_PAIRS = 2_000_000  # area-to-area: how many sample pairs one coarse pass may compare
GOLDEN = (math.sqrt(5) - 1) / 2
SEARCH_STEPS = 40


@dataclass(frozen=True)
class Measurement:
    """The shortest geodesic from ``start`` (on the first feature) to ``end`` (on the second).

    ``bearing`` is the initial bearing at ``start`` in degrees clockwise from true north,
    0 to 360; None when the features touch (distance 0).
    """

    km: float
    bearing: float | None
    start: tuple[float, float]
    end: tuple[float, float]


def inverse(lon1: float, lat1: float, lon2: float, lat2: float) -> tuple[float, float]:
    """Distance in km and initial bearing in degrees (0 to 360) from the first point."""
    azimuth, _, metres = GEOD.inv(lon1, lat1, lon2, lat2)
    return metres / 1000.0, azimuth % 360.0


def feature_geometry(feature: dict[str, Any]) -> shapely.Geometry:
    return shape(feature["geometry"])


def is_pointlike(geom: shapely.Geometry) -> bool:
    return geom.geom_type in ("Point", "MultiPoint")


def points_of(geom: shapely.Geometry) -> list[tuple[float, float]]:
    return [(p.x, p.y) for p in getattr(geom, "geoms", [geom])]


def boundary_paths(geom: shapely.Geometry, step_deg: float) -> list[np.ndarray]:
    """The geometry's boundary as arrays of (lon, lat) vertices, no edge longer than
    ``step_deg`` degrees; points come back as one-vertex paths."""
    if is_pointlike(geom):
        return [np.array([xy]) for xy in points_of(geom)]
    dense = shapely.segmentize(geom, step_deg)
    paths: list[np.ndarray] = []
    for part in getattr(dense, "geoms", [dense]):
        if part.geom_type == "Polygon":
            rings = [part.exterior, *part.interiors]
            paths += [np.asarray(ring.coords)[:, :2] for ring in rings]
        elif part.geom_type == "LineString":
            paths.append(np.asarray(part.coords)[:, :2])
        else:  # a nested collection
            paths += boundary_paths(part, step_deg)
    return paths


def nearest_on(geom: shapely.Geometry, lon: float, lat: float) -> Measurement:
    """From the point (lon, lat) to the nearest point of ``geom`` (0 inside an area)."""
    if geom.geom_type in ("Polygon", "MultiPolygon") and geom.covers(Point(lon, lat)):
        return Measurement(0.0, None, (lon, lat), (lon, lat))
    paths = boundary_paths(geom, SAMPLE_DEG)
    best: tuple[float, float, float] | None = None
    for path in paths:
        _, _, metres = GEOD.inv(
            np.full(len(path), lon), np.full(len(path), lat), path[:, 0], path[:, 1]
        )
        index = int(np.argmin(metres))
        candidate = _refine(path, index, lon, lat, float(metres[index]))
        if best is None or candidate[0] < best[0]:
            best = candidate
    assert best is not None
    metres, end_lon, end_lat = best
    if metres == 0.0:
        return Measurement(0.0, None, (lon, lat), (end_lon, end_lat))
    km, bearing = inverse(lon, lat, end_lon, end_lat)
    return Measurement(km, bearing, (lon, lat), (end_lon, end_lat))


def _refine(
    path: np.ndarray, index: int, lon: float, lat: float, metres: float
) -> tuple[float, float, float]:
    """Search the segments either side of vertex ``index`` for the nearest point."""
    best = (metres, float(path[index, 0]), float(path[index, 1]))
    for other in (index - 1, index + 1):
        if 0 <= other < len(path):
            found = _golden(path[index], path[other], lon, lat)
            if found[0] < best[0]:
                best = found
    return best


def _golden(a: np.ndarray, b: np.ndarray, lon: float, lat: float) -> tuple[float, float, float]:
    def at(t: float) -> tuple[float, float, float]:
        x, y = a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])
        return GEOD.inv(lon, lat, x, y)[2], float(x), float(y)

    low, high = 0.0, 1.0
    left, right = high - GOLDEN * (high - low), low + GOLDEN * (high - low)
    f_left, f_right = at(left), at(right)
    for _ in range(SEARCH_STEPS):
        if f_left[0] <= f_right[0]:
            high, right, f_right = right, left, f_left
            left = high - GOLDEN * (high - low)
            f_left = at(left)
        else:
            low, left, f_left = left, right, f_right
            right = low + GOLDEN * (high - low)
            f_right = at(right)
    return min(f_left, f_right, at(0.0), key=lambda item: item[0])


def between(first: shapely.Geometry, second: shapely.Geometry) -> Measurement:
    """The shortest geodesic from ``first`` to ``second``, each a point, line or area."""
    if first.intersects(second):
        touch = first.intersection(second).representative_point()
        return Measurement(0.0, None, (touch.x, touch.y), (touch.x, touch.y))
    if is_pointlike(first):
        return min(
            (nearest_on(second, lon, lat) for lon, lat in points_of(first)),
            key=lambda m: m.km,
        )
    if is_pointlike(second):
        back = min(
            (nearest_on(first, lon, lat) for lon, lat in points_of(second)),
            key=lambda m: m.km,
        )
        return _measure(back.end, back.start)
    start = _coarse_nearest(first, second)
    end = nearest_on(second, *start).end
    for _ in range(4):  # alternate: nearest on the second, then back on the first
        start = nearest_on(first, *end).end
        end = nearest_on(second, *start).end
    return _measure(start, end)


def _measure(start: tuple[float, float], end: tuple[float, float]) -> Measurement:
    km, bearing = inverse(*start, *end)
    return Measurement(km, bearing if km > 0 else None, start, end)


def _coarse_nearest(first: shapely.Geometry, second: shapely.Geometry) -> tuple[float, float]:
    """The sample of ``first``'s boundary nearest to any sample of ``second``'s."""
    step = COARSE_DEG
    while True:
        a = np.concatenate(boundary_paths(first, step))
        b = np.concatenate(boundary_paths(second, step))
        if len(a) * len(b) <= MAX_PAIRS:
            break
        step *= 2
    best_index, best_metres = 0, math.inf
    chunk = max(1, MAX_PAIRS // (4 * len(b)))
    for offset in range(0, len(a), chunk):
        part = a[offset : offset + chunk]
        lon1 = np.repeat(part[:, 0], len(b))
        lat1 = np.repeat(part[:, 1], len(b))
        _, _, metres = GEOD.inv(
            lon1, lat1, np.tile(b[:, 0], len(part)), np.tile(b[:, 1], len(part))
        )
        index = int(np.argmin(metres))
        if metres[index] < best_metres:
            best_index, best_metres = offset + index // len(b), float(metres[index])
    return float(a[best_index, 0]), float(a[best_index, 1])
