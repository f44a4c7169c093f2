"""Distances and bearings against an independent geodesic implementation, geographiclib."""

from __future__ import annotations

import random

import numpy as np
import pytest
import shapely
from geographiclib.geodesic import Geodesic
from shapely.geometry import Point, box

from geo.analysis.distance import between, nearest_on
from geo.countries import country_shapes

WGS84 = Geodesic.WGS84
TOLERANCE = 1e-3  # 0.1%, as the issue asks


def brute_force_km(lon: float, lat: float, geom: shapely.Geometry, step: float) -> float:
    """The least geographiclib distance from the point to a dense sampling of the boundary."""
    dense = shapely.segmentize(geom.boundary, step)
    coords = np.concatenate([np.asarray(part.coords) for part in getattr(dense, "geoms", [dense])])
    return min(WGS84.Inverse(lat, lon, y, x)["s12"] for x, y in coords) / 1000.0


def test_point_to_point_distance_and_bearing_match_geographiclib():
    rng = random.Random(20261203)
    worst = 0.0
    for _ in range(300):
        lon1, lon2 = rng.uniform(-180, 180), rng.uniform(-180, 180)
        lat1, lat2 = rng.uniform(-89, 89), rng.uniform(-89, 89)
        ours = between(Point(lon1, lat1), Point(lon2, lat2))
        theirs = WGS84.Inverse(lat1, lon1, lat2, lon2)
        worst = max(worst, abs(ours.km - theirs["s12"] / 1000) / (theirs["s12"] / 1000))
        assert ours.bearing == pytest.approx(theirs["azi1"] % 360, abs=1e-6)
    assert worst < TOLERANCE


@pytest.mark.parametrize(
    ("name", "lon", "lat"),
    [("Al Udeid", 51.315, 25.1173), ("Erbil", 43.9632, 36.2376), ("Incirlik", 35.4259, 37.0021)],
)
def test_point_to_iran_is_the_nearest_point_of_its_boundary(name, lon, lat):
    iran = country_shapes()["IR"]
    ours = nearest_on(iran, lon, lat)
    expected = brute_force_km(lon, lat, iran, 0.01)
    # The search refines between samples, so it may only find a nearer point, never a farther.
    assert ours.km == pytest.approx(expected, rel=TOLERANCE), name
    back = WGS84.Inverse(lat, lon, ours.end[1], ours.end[0])
    assert ours.km == pytest.approx(back["s12"] / 1000, rel=1e-9)
    assert ours.bearing == pytest.approx(back["azi1"] % 360, abs=1e-6)


def test_point_near_the_middle_of_a_long_edge_is_measured_to_the_edge():
    # A 10-degree square: the nearest point lies mid-edge, far from any vertex.
    square = box(40.0, 20.0, 50.0, 30.0)
    ours = nearest_on(square, 45.013, 31.0)
    expected = WGS84.Inverse(31.0, 45.013, 30.0, 45.013)["s12"] / 1000
    assert ours.km == pytest.approx(expected, rel=1e-6)
    assert ours.end == pytest.approx((45.013, 30.0), abs=1e-4)


def test_a_point_inside_an_area_is_at_distance_zero():
    result = nearest_on(country_shapes()["IR"], 51.3890, 35.6892)  # Tehran
    assert result.km == 0 and result.bearing is None


def test_area_to_area_matches_a_brute_force_over_both_boundaries():
    first, second = box(40.0, 20.0, 41.0, 21.0), box(43.0, 22.5, 44.5, 23.0)
    ours = between(first, second)
    a = np.asarray(shapely.segmentize(first.exterior, 0.02).coords)
    b = np.asarray(shapely.segmentize(second.exterior, 0.02).coords)
    expected = min(WGS84.Inverse(y1, x1, y2, x2)["s12"] for x1, y1 in a for x2, y2 in b) / 1000
    assert ours.km == pytest.approx(expected, rel=TOLERANCE)
    assert ours.km <= expected + 1e-6
    assert first.distance(Point(ours.start)) < 1e-9
    assert second.distance(Point(ours.end)) < 1e-9


def test_touching_areas_are_at_distance_zero():
    assert between(box(0, 0, 1, 1), box(1, 0, 2, 1)).km == 0
