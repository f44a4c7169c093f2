"""Geodesic range rings: the set of points within R km of a point or of any point of an area.

Method (true on the WGS84 ellipsoid, not a planar buffer):

1. The area's boundary is sampled so that no two neighbouring samples are more than R/20
   apart (a point is its own one sample).
2. Around every sample, ``AZIMUTHS`` points are placed at exactly R km with pyproj's
   ``Geod.fwd`` (Karney's geodesic): geodesic circles.
3. The circles and the area itself are projected to an azimuthal equidistant projection
   centred on the area, where neither the antimeridian nor a pole is a seam, and united with
   shapely. Every vertex of the union comes back to longitude and latitude exactly (pyproj).
4. Each ring of the result is unwrapped in longitude and cut into pieces inside -180..180
   (a MultiPolygon when it crosses the antimeridian); a ring that winds once around a pole is
   closed along that pole's parallel (latitude ±90).

Error: a vertex of the result lies on one of the circles (exactly R from its sample) or where
two circles or chords cross. Its distance from the area is then at most R and at least
R·cos(π/AZIMUTHS) (a chord's sag, 0.008% with 256 azimuths) less the gap left between two
samples s apart, about s²/(8R) (0.03% with s = R/20): every vertex lies within 0.05% of R.
The only vertices that are not on the ring are those that close a polar cap at latitude ±90.
Radii up to ``MAX_KM`` are supported: beyond it the projection nears its antipodal seam.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.affinity import translate
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.polygon import orient

from geo.analysis.distance import GEOD, boundary_paths, is_pointlike

AZIMUTHS = 256
SPACING_FRACTION = 1 / 20
MAX_KM = 10_000.0
KM_PER_DEGREE = 111.7  # the most a degree of latitude or longitude spans, anywhere


class RingError(ValueError):
    """A ring that cannot be drawn as asked (a radius out of range, an empty origin)."""


def ring(origin: shapely.Geometry, radius_km: float) -> Polygon | MultiPolygon:
    """The area within ``radius_km`` of any point of ``origin``, in longitude and latitude."""
    if not math.isfinite(radius_km) or not 0 < radius_km <= MAX_KM:
        raise RingError(f"a ring's radius must be above 0 and at most {MAX_KM:,.0f} km")
    if origin.is_empty:
        raise RingError("the origin has no geometry")
    lon0, lat0 = _centre(origin)
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +ellps=WGS84 +units=m")
    forward = Transformer.from_crs("EPSG:4326", aeqd, always_xy=True)
    back = Transformer.from_crs(aeqd, "EPSG:4326", always_xy=True)

    samples = _samples(origin, radius_km)
    azimuths = np.linspace(0.0, 360.0, AZIMUTHS, endpoint=False)
    lons = np.repeat(samples[:, 0], AZIMUTHS)
    lats = np.repeat(samples[:, 1], AZIMUTHS)
    ring_lon, ring_lat, _ = GEOD.fwd(
        lons, lats, np.tile(azimuths, len(samples)), np.full(lons.shape, radius_km * 1000.0)
    )
    x, y = forward.transform(ring_lon, ring_lat)
    circles = [
        Polygon(np.column_stack([xs, ys]))
        for xs, ys in zip(
            np.split(np.asarray(x), len(samples)),
            np.split(np.asarray(y), len(samples)),
            strict=True,
        )
    ]
    parts = circles
    if not is_pointlike(origin) and origin.geom_type not in ("LineString", "MultiLineString"):
        parts = [*circles, shapely.transform(origin, lambda xy: _apply(forward, xy))]
    united = shapely.union_all(parts)
    north = Point(forward.transform(0.0, 90.0))
    south = Point(forward.transform(0.0, -90.0))
    pieces = []
    for polygon in getattr(united, "geoms", [united]):
        pieces.append(_to_lonlat(polygon, back, north, south))
    result = shapely.union_all(pieces)
    return _oriented(result)


def _centre(origin: shapely.Geometry) -> tuple[float, float]:
    """The mean direction of the origin's points: a centre that ignores the antimeridian."""
    coords = np.concatenate(boundary_paths(origin, 1.0))
    lon, lat = np.radians(coords[:, 0]), np.radians(coords[:, 1])
    vx, vy, vz = (
        (np.cos(lat) * np.cos(lon)).mean(),
        (np.cos(lat) * np.sin(lon)).mean(),
        np.sin(lat).mean(),
    )
    return math.degrees(math.atan2(vy, vx)), math.degrees(math.atan2(vz, math.hypot(vx, vy)))


def _samples(origin: shapely.Geometry, radius_km: float) -> np.ndarray:
    step_deg = radius_km * SPACING_FRACTION / KM_PER_DEGREE
    paths = boundary_paths(origin, step_deg)
    return np.unique(np.round(np.concatenate(paths), 9), axis=0)


def _apply(transformer: Transformer, xy: np.ndarray) -> np.ndarray:
    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _to_lonlat(polygon: Polygon, back: Transformer, north: Point, south: Point) -> shapely.Geometry:
    """A projected polygon as a valid geometry in longitude and latitude."""
    pole = 90.0 if polygon.contains(north) else -90.0 if polygon.contains(south) else None
    shell = _ring_pieces(np.asarray(polygon.exterior.coords), back, pole)
    holes = [_ring_pieces(np.asarray(hole.coords), back, None) for hole in polygon.interiors]
    return shell.difference(shapely.union_all(holes)) if holes else shell


def _ring_pieces(coords: np.ndarray, back: Transformer, pole: float | None) -> shapely.Geometry:
    lon, lat = back.transform(coords[:, 0], coords[:, 1])
    lon = np.degrees(np.unwrap(np.radians(np.asarray(lon))))
    lat = np.asarray(lat)
    turns = round((lon[-1] - lon[0]) / 360.0)
    points = list(zip(lon, lat, strict=True))
    if turns and pole is not None:
        # Winds once around the pole: close along the pole itself.
        points += [(lon[-1], pole), (lon[0], pole)]
    elif turns:
        raise RingError("a ring winds around a pole it does not contain; use a smaller radius")
    unwrapped = shapely.make_valid(Polygon(points))
    low = math.floor((min(lon) + 180.0) / 360.0)
    high = math.floor((max(lon) + 180.0) / 360.0)
    pieces = []
    for k in range(low, high + 1):
        window = box(-180.0 + 360.0 * k, -90.0, 180.0 + 360.0 * k, 90.0)
        piece = unwrapped.intersection(window)
        if not piece.is_empty:
            pieces.append(translate(piece, xoff=-360.0 * k))
    return shapely.union_all(pieces)


def _oriented(geom: shapely.Geometry) -> Polygon | MultiPolygon:
    """Polygons only, anticlockwise shells and clockwise holes (RFC 7946)."""
    polygons = [
        orient(part, 1.0)
        for part in getattr(geom, "geoms", [geom])
        if part.geom_type == "Polygon" and not part.is_empty
    ]
    if not polygons:
        raise RingError("the ring came out empty")
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)
