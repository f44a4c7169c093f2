"""Which country a point lies in, from the Natural Earth outlines in data/countries.geojson,
and the offline basemap (data/basemap.geojson: the same outlines in the region, the rest of
the world coarser, so that no frame shows the basemap's edge)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import shapely
from pyproj import Geod
from shapely.geometry import Point, shape
from shapely.ops import nearest_points

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
COUNTRIES_FILE = DATA_DIR / "countries.geojson"
BASEMAP_FILE = DATA_DIR / "basemap.geojson"
SLACK_KM = 5.0
_GEOD = Geod(ellps="WGS84")


@lru_cache(maxsize=1)
def country_shapes() -> dict[str, shapely.Geometry]:
    """ISO 3166-1 alpha-2 code -> prepared outline, for the countries of the map's region."""
    doc = json.loads(COUNTRIES_FILE.read_text(encoding="utf-8"))
    shapes: dict[str, shapely.Geometry] = {}
    for feature in doc["features"]:
        code = feature["properties"]["iso_a2"]
        if code:
            geom = shape(feature["geometry"])
            shapely.prepare(geom)
            shapes[code] = geom
    return shapes


def basemap_geojson() -> str:
    """The offline basemap, the whole world, as GeoJSON text (made by data/make_basemap.py)."""
    return BASEMAP_FILE.read_text(encoding="utf-8")


def distance_km(code: str, lon: float, lat: float) -> float | None:
    """Geodesic distance in km from the point to the country's outline (0 inside).

    None when the country is not among the outlines of the map's region.
    """
    outline = country_shapes().get(code)
    if outline is None:
        return None
    point = Point(lon, lat)
    if outline.covers(point):
        return 0.0
    nearest = nearest_points(outline, point)[0]
    _, _, metres = _GEOD.inv(lon, lat, nearest.x, nearest.y)
    return metres / 1000.0


def countries_at(lon: float, lat: float) -> list[str]:
    """The codes of the countries whose outline covers the point."""
    point = Point(lon, lat)
    return [code for code, outline in country_shapes().items() if outline.covers(point)]
