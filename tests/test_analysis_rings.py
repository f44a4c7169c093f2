"""Range rings: every vertex at the radius (to 0.1%), valid across the antimeridian and round
the poles, and true around an area."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from geographiclib.geodesic import Geodesic
from pyproj import Geod
from shapely.geometry import Point, box

from geo.analysis.rings import RingError, ring
from geo.countries import country_shapes

WGS84 = Geodesic.WGS84
TOLERANCE = 1e-3


def vertices(geom: shapely.Geometry) -> np.ndarray:
    parts = []
    for polygon in getattr(geom, "geoms", [geom]):
        for linear in (polygon.exterior, *polygon.interiors):
            parts.append(np.asarray(linear.coords))
    return np.concatenate(parts)


def on_ring(geom: shapely.Geometry) -> np.ndarray:
    """The vertices that draw the ring: all but those closing a polar cap at latitude ±90."""
    found = vertices(geom)
    return found[np.abs(found[:, 1]) < 90.0]


def at(lon: float, lat: float, azimuth: float, km: float) -> Point:
    direct = WGS84.Direct(lat, lon, azimuth, km * 1000)
    return Point(direct["lon2"], direct["lat2"])


@pytest.mark.parametrize(
    ("lon", "lat", "km"),
    [(51.315, 25.1173, 300), (51.315, 25.1173, 2000), (44.2, 15.5, 3000), (0.0, 0.0, 9000)],
)
def test_every_vertex_of_a_point_ring_lies_at_the_radius(lon, lat, km):
    result = ring(Point(lon, lat), km)
    assert result.is_valid
    for x, y in on_ring(result):
        distance = WGS84.Inverse(lat, lon, y, x)["s12"] / 1000
        assert distance == pytest.approx(km, rel=TOLERANCE)


def test_a_ring_across_the_antimeridian_is_split_and_valid():
    lon, lat, km = 179.5, -17.0, 500.0
    result = ring(Point(lon, lat), km)
    assert result.geom_type == "MultiPolygon" and result.is_valid
    xs = vertices(result)[:, 0]
    assert xs.max() <= 180 and xs.min() >= -180
    assert any(p.bounds[2] <= -170 for p in result.geoms)  # a piece east of the antimeridian
    for x, y in on_ring(result):
        assert WGS84.Inverse(lat, lon, y, x)["s12"] / 1000 == pytest.approx(km, rel=TOLERANCE)
    for azimuth in (45, 90, 135, 225, 270, 315):
        assert result.covers(at(lon, lat, azimuth, km * 0.99)), azimuth
        assert not result.covers(at(lon, lat, azimuth, km * 1.01)), azimuth


@pytest.mark.parametrize(("lon", "lat", "pole"), [(10.0, 85.0, 90.0), (-170.0, -82.0, -90.0)])
def test_a_ring_enclosing_a_pole_is_a_valid_cap(lon, lat, pole):
    km = 1000.0
    result = ring(Point(lon, lat), km)
    assert result.is_valid
    for pole_lon in (-179.0, -90.0, 0.0, 90.0, 179.0):
        assert result.covers(Point(pole_lon, pole * 0.999)), pole_lon
    points = on_ring(result)
    assert len(points) > 200
    for x, y in points:
        assert WGS84.Inverse(lat, lon, y, x)["s12"] / 1000 == pytest.approx(km, rel=TOLERANCE)
    assert not result.covers(at(lon, lat, 180.0, km * 1.01))


@pytest.mark.parametrize("km", [150.0, 1300.0])
def test_every_vertex_of_a_ring_round_iran_lies_at_the_radius_from_iran(km):
    iran = country_shapes()["IR"]
    result = ring(iran, km)
    assert result.is_valid and result.covers(iran)
    # The distance from the area: the least over a boundary sampled every 0.01 degree (about
    # 1 km), computed here with pyproj's vectorised geodesic, not with the module's search.
    dense = shapely.segmentize(iran.boundary, 0.01)
    boundary = np.concatenate([np.asarray(p.coords) for p in getattr(dense, "geoms", [dense])])
    geod = Geod(ellps="WGS84")
    worst = 0.0
    reach = 1.5 * km / 110.0  # degrees: generously more than the radius spans anywhere here
    for x, y in vertices(result):
        near = boundary[
            (np.abs(boundary[:, 1] - y) < reach)
            & (np.abs(boundary[:, 0] - x) * np.cos(np.radians(y)) < reach)
        ]
        _, _, metres = geod.inv(
            np.full(len(near), x), np.full(len(near), y), near[:, 0], near[:, 1]
        )
        worst = max(worst, abs(metres.min() / 1000 - km) / km)
    assert worst < TOLERANCE


def test_a_ring_round_an_area_reaches_out_from_its_edge_not_its_centre():
    square = box(40.0, 20.0, 50.0, 30.0)
    result = ring(square, 100.0)
    # 100 km due north of the middle of the top edge is on the ring; 110 km is outside.
    assert result.covers(at(45.0, 30.0, 0.0, 99.0))
    assert not result.covers(at(45.0, 30.0, 0.0, 101.0))
    assert result.covers(at(50.0, 30.0, 45.0, 99.0))  # round the corner


@pytest.mark.parametrize("km", [0.0, -5.0, float("nan"), 25_000.0])
def test_radius_out_of_range_is_refused(km):
    with pytest.raises(RingError):
        ring(Point(0, 0), km)
