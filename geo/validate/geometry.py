"""Geometry: what the schema cannot say about positions, rings, boxes and countries.

Only geometries the schema found well formed reach these rules, so every position here is a list
of two or three numbers at the depth its type requires.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from geo.fmt import ring_is_clockwise
from geo.validate.context import Context, Path_
from geo.validate.structure import POSITION_DEPTH

# Mercator metres are the usual reason for numbers far outside degrees.
OUT_OF_RANGE_FIX = "write WGS84 degrees; reproject the data if it is in metres"


def positions(coords: Any, depth: int, path: Path_) -> Iterator[tuple[Path_, list]]:
    """Every position of a well-formed coordinates value, with its path."""
    if depth == 0:
        yield path, coords
        return
    for number, item in enumerate(coords):
        yield from positions(item, depth - 1, (*path, number))


def check_geometry(ctx: Context, index: int) -> bool:
    """Rules for the geometry of feature ``index``; True when it is sound enough to be drawn
    and placed in a country."""
    gpath: Path_ = ("features", index, "geometry")
    geometry = ctx.doc["features"][index]["geometry"]
    kind = geometry["type"]
    cpath = (*gpath, "coordinates")
    found = list(positions(geometry["coordinates"], POSITION_DEPTH[kind], cpath))
    if not all(check_position(ctx, path, pos) for path, pos in found):
        return False
    if len({len(pos) for _, pos in found}) > 1:
        ctx.add(
            "mixed-dimensions",
            cpath,
            f"{kind} mixes positions of 2 and 3 numbers",
            "give every position the same number of values: drop the heights, or add them to "
            "every position",
        )
        return False
    if kind in ("Polygon", "MultiPolygon"):
        polygons = geometry["coordinates"] if kind == "MultiPolygon" else [geometry["coordinates"]]
        if not _check_polygons(ctx, polygons, kind, cpath):
            return False
    for key_path, box in (((*gpath, "bbox"), geometry.get("bbox")),):
        if box is not None:
            check_bbox(ctx, key_path, box, [pos for _, pos in found])
    return True


def check_position(ctx: Context, path: Path_, pos: list) -> bool:
    lon, lat = pos[0], pos[1]
    if not -90 <= lat <= 90:
        swapped = -90 <= lon <= 90 and -180 <= lat <= 180
        ctx.add(
            "out-of-range",
            path,
            f"latitude {lat} is outside -90..90",
            "the numbers look swapped: GeoJSON is [longitude, latitude]"
            if swapped
            else "write longitude first, then latitude, in WGS84 degrees",
        )
        return False
    if not -180 <= lon <= 180:
        ctx.add("out-of-range", path, f"longitude {lon} is outside -180..180", OUT_OF_RANGE_FIX)
        return False
    return True


def _check_polygons(ctx: Context, polygons: list, kind: str, path: Path_) -> bool:
    ok = True
    for p_number, rings in enumerate(polygons):
        ppath = (*path, p_number) if kind == "MultiPolygon" else path
        for r_number, ring in enumerate(rings):
            rpath = (*ppath, r_number)
            which = "outer ring" if r_number == 0 else f"hole {r_number}"
            if ring[0][:2] != ring[-1][:2]:
                ctx.add(
                    "unclosed-ring",
                    rpath,
                    f"the {which} is not closed: it starts at {ring[0]} and ends at {ring[-1]}",
                    "repeat the first position at the end of the ring",
                )
                ok = False
            elif ring_is_clockwise(ring) != (r_number > 0):
                ctx.add(
                    "winding",
                    rpath,
                    f"the {which} runs {'clockwise' if r_number == 0 else 'anticlockwise'}; "
                    "RFC 7946 wants outer rings anticlockwise and holes clockwise",
                    "run python -m geo fmt on the file",
                    level="warning",
                )
    if not ok:
        return False
    from shapely.geometry import shape
    from shapely.validation import explain_validity

    geom = shape({"type": kind, "coordinates": polygons if kind == "MultiPolygon" else polygons[0]})
    if not geom.is_valid:
        ctx.add(
            "invalid-polygon",
            path[:-1],
            f"invalid polygon: {explain_validity(geom)}",
            "fix the ring there (shapely.make_valid or QGIS 'Fix geometries' can help)",
            field_name="geometry",
        )
        return False
    return True


def check_bbox(ctx: Context, path: Path_, box: list, points: list[list]) -> None:
    """An RFC 7946 bounding box: 2 x dimensions numbers, in range, south below north, and
    holding every position it claims to bound."""
    dims = 3 if points and all(len(p) == 3 for p in points) else 2
    if len(box) != 2 * dims:
        ctx.add(
            "bbox",
            path,
            f"bbox has {len(box)} numbers; with {dims}-number positions it needs {2 * dims}",
            "write [west, south, east, north]"
            + (" with the lowest and highest heights" if dims == 3 else ""),
        )
        return
    west, south, east, north = box[0], box[1], box[dims], box[dims + 1]
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        ctx.add(
            "bbox",
            path,
            f"bbox {box} is not west, south, east, north in WGS84 degrees",
            "write [west, south, east, north] with south at most north",
        )
        return
    if west > east:  # it crosses the antimeridian: RFC 7946 allows it
        return
    tolerance = 1e-9
    outside = [
        p
        for p in points
        if not (west - tolerance <= p[0] <= east + tolerance)
        or not (south - tolerance <= p[1] <= north + tolerance)
    ]
    if outside:
        ctx.add(
            "bbox",
            path,
            f"bbox {box} leaves out {len(outside)} position(s), e.g. {outside[0]}",
            "recompute the bbox from the coordinates, or remove it",
        )


def check_country(ctx: Context, index: int) -> None:
    """Every point of a point or line geometry, and a point inside each polygon, must lie in
    the feature's country (with the slack that coastlines need)."""
    from geo import countries  # shapely and pyproj: loaded when a point is first placed

    feature = ctx.doc["features"][index]
    code = feature["properties"].get("country")
    if not isinstance(code, str) or countries.country_shapes().get(code) is None:
        return
    outside = []
    checked = 0
    for lon, lat in _points_to_place(feature["geometry"]):
        checked += 1
        distance = countries.distance_km(code, lon, lat)
        if distance is not None and distance > countries.SLACK_KM:
            outside.append((lon, lat, distance))
    if not outside:
        return
    text, fix = outside_country(code, outside, checked)
    ctx.add("outside-country", ("features", index, "geometry"), text, fix, field_name="country")


def outside_country(
    code: str, outside: list[tuple[float, float, float]], checked: int
) -> tuple[str, str]:
    """The message and fix for points (lon, lat, km away) outside ``code``, of ``checked``:
    the first is named, with the swapped pair when that lies inside, or where it does lie."""
    from geo import countries

    lon, lat, distance = outside[0]
    swapped = countries.distance_km(code, lat, lon) if -90 <= lon <= 90 else None
    if swapped is not None and swapped <= countries.SLACK_KM:
        fix = (
            "latitude and longitude look swapped: GeoJSON is [longitude, latitude], so write "
            f"[{lat}, {lon}]"
        )
    else:
        found = countries.countries_at(lon, lat)
        where = f"it lies in {', '.join(found)}" if found else "it lies in no country (at sea?)"
        fix = f"{where}; check the coordinates and the country code"
    more = f" ({len(outside)} of {checked} points are outside)" if checked > 1 else ""
    return f"the point ({lon:.4f}, {lat:.4f}) is {distance:,.0f} km outside {code}{more}", fix


def _points_to_place(geometry: dict) -> Iterator[tuple[float, float]]:
    kind = geometry["type"]
    coords = geometry["coordinates"]
    if kind in ("Polygon", "MultiPolygon"):
        from shapely.geometry import shape

        parts = coords if kind == "MultiPolygon" else [coords]
        for part in parts:
            point = shape({"type": "Polygon", "coordinates": part}).representative_point()
            yield point.x, point.y
        return
    for _, pos in positions(coords, POSITION_DEPTH[kind], ()):
        yield pos[0], pos[1]


def check_country_code(ctx: Context, index: int) -> None:
    code = ctx.doc["features"][index]["properties"].get("country")
    if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{2}", code) or code == "XK":
        return
    import pycountry

    if pycountry.countries.get(alpha_2=code) is None:
        ctx.add(
            "unknown-country",
            ("features", index, "properties", "country"),
            f"{code!r} is not an ISO 3166-1 alpha-2 code",
            "use the two-letter code, e.g. QA for Qatar",
        )


def check_origin(ctx: Context, index: int) -> None:
    origin = ctx.doc["features"][index]["properties"].get("origin")
    coords = origin.get("coordinates") if isinstance(origin, dict) else None
    numbers = isinstance(coords, list) and 2 <= len(coords) <= 3
    if numbers and all(isinstance(n, int | float) and not isinstance(n, bool) for n in coords):
        check_position(ctx, ("features", index, "properties", "origin", "coordinates"), coords)
