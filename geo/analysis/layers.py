"""Range rings and exposure as ordinary ``geo.model.Layer`` objects in the ``user`` group, so
the map, the app's downloads and ``python -m geo export`` carry them like any other layer.

Each feature is dated to the one as-of day it describes (start and end), cites the sources of
the figures it draws, and says in ``location_note`` how it was made.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from shapely.geometry import mapping

from geo.analysis.exposure import Exposure, slug
from geo.analysis.origins import ORIGINS, origin_areas, union
from geo.analysis.ranges import WeaponClass
from geo.analysis.rings import AZIMUTHS, ring
from geo.catalog import Catalog
from geo.model import Layer

GROUP = "user"
RING_COLOR = "#b2182b"
# How many classes reach a site, in bands from none to fifteen or more, cool to hot. The table
# holds dozens of classes, so single counts would give most sites a colour of their own.
EXPOSURE_BANDS = ((0, 0), (1, 4), (5, 9), (10, 14), (15, None))
EXPOSURE_COLORS = ("#4575b4", "#91bfdb", "#fee090", "#f46d43", "#a50026")
ANALYSIS_DIR = Path("analysis")  # a layer made here has no file; the path only names it


def ring_layer(catalog: Catalog, origin_key: str, weapon: WeaponClass, as_of: dt.date) -> Layer:
    """Rings for every sourced range of ``weapon`` around the origin's areas on ``as_of``."""
    origin = ORIGINS[origin_key]
    areas = origin_areas(catalog, origin_key, as_of)
    shape = union(areas)
    names = ", ".join(area.name for area in areas)
    day = as_of.isoformat()
    features = []
    seen: set[float] = set()
    for figure in sorted(weapon.figures, key=lambda f: f.range_km):
        if figure.range_km in seen:
            continue
        seen.add(figure.range_km)
        same = [f for f in weapon.figures if f.range_km == figure.range_km]
        geometry = ring(shape, figure.range_km)
        km = f"{figure.range_km:,.0f} km"
        features.append(
            {
                "type": "Feature",
                "geometry": _rounded(mapping(geometry)),
                "properties": {
                    "id": f"ring-{slug(weapon.name)}-{origin_key}-{figure.range_km:.0f}km-{day}",
                    "name": f"{weapon.name} from {origin.label}: {km}",
                    "kind": "other",
                    "start": day,
                    "end": day,
                    "location_precision": "region",
                    "location_note": (
                        f"Geodesic range ring: every point within {km} of any point of "
                        f"{names} as held on {day} ({AZIMUTHS} geodesic circles per boundary "
                        "sample, within 0.1% of the radius)."
                    ),
                    "description": (
                        f"Where a {weapon.name} launched from {origin.label} could reach, by "
                        f"the range {', '.join(f.source['publisher'] for f in same)} gives "
                        f"({figure.as_printed}). Not a statement that it was launched."
                    ),
                    "actor": weapon.actor,
                    "claims": [
                        {"topic": "range", "value": f.as_printed, "source": f.source["url"]}
                        for f in same
                    ],
                    "sources": _unique_sources([f.source for f in same]),
                },
            }
        )
    meta = {
        "id": f"rings-{slug(weapon.name)}-{origin_key}",
        "title": f"Range: {weapon.name} from {origin.label}",
        "group": GROUP,
        "description": (
            f"Geodesic range rings of {weapon.name} ({weapon.actor}) from {origin.label} on "
            f"{day}, one per sourced range."
        ),
        "visible": True,
        "style": {"color": RING_COLOR, "fill_opacity": 0.05},
    }
    return Layer(path=ANALYSIS_DIR / f"{meta['id']}.geojson", meta=meta, features=features)


def exposure_layers(rows: list[Exposure], as_of: dt.date) -> list[Layer]:
    """The sites as layers by how many classes reach them, in :data:`EXPOSURE_BANDS`: one
    colour per layer, since a layer has one style."""
    day = as_of.isoformat()
    buckets: dict[int, list[dict[str, Any]]] = {}
    for item in rows:
        band = _band(item.row["classes_in_range_count"])
        buckets.setdefault(band, []).append(_exposure_feature(item, day))
    layers = []
    for band in sorted(buckets):
        low, high = EXPOSURE_BANDS[band]
        if high is None:
            words, key = f"{low} or more classes", f"{low}-plus"
        elif low == high:
            words, key = f"{low} class" + ("" if low == 1 else "es"), f"{low}"
        else:
            words, key = f"{low} to {high} classes", f"{low}-{high}"
        meta = {
            "id": f"exposure-{key}",
            "title": f"Exposure on {day}: in range of {words}",
            "group": GROUP,
            "description": (
                f"US sites active on {day} that {words} in the missile table can reach from "
                "their actors' areas held that day."
            ),
            "visible": True,
            "style": {"color": EXPOSURE_COLORS[band], "marker": "circle"},
        }
        layers.append(
            Layer(path=ANALYSIS_DIR / f"{meta['id']}.geojson", meta=meta, features=buckets[band])
        )
    return layers


def _band(count: int) -> int:
    for number, (low, high) in enumerate(EXPOSURE_BANDS):
        if count >= low and (high is None or count <= high):
            return number
    raise ValueError(f"no band for {count}")


def _exposure_feature(item: Exposure, day: str) -> dict[str, Any]:
    site = item.site["properties"]
    row = item.row
    reach = row["classes_in_range"] or "none"
    props: dict[str, Any] = {
        "id": f"exposure-{site['id']}",
        "name": site["name"],
        "kind": site["kind"],
        "start": day,
        "end": day,
        "location_precision": site["location_precision"],
    }
    if site.get("location_note"):
        props["location_note"] = site["location_note"]
    if site.get("country"):
        props["country"] = site["country"]
    props["description"] = (
        f"On {day}: in range of {row['classes_in_range_count']} class(es) ({reach}); "
        f"nearest actor area: {row['nearest_actor'] or 'none'}; "
        f"strikes taken: {row['strikes'] or 'none recorded'}."
    )
    props["actor"] = site.get("actor", "United States")
    sources = list(site["sources"])
    for weapon in item.reaching:
        sources += [figure.source for figure in weapon.figures]
    props["sources"] = _unique_sources(sources)
    return {"type": "Feature", "geometry": item.site["geometry"], "properties": props}


def _unique_sources(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for source in sources:
        seen.setdefault(source["url"], dict(source))
    return list(seen.values())


def layer_document(layer: Layer) -> dict[str, Any]:
    """The layer as a layer file (a GeoJSON FeatureCollection with its ``layer`` member)."""
    return {"type": "FeatureCollection", "layer": layer.meta, "features": layer.features}


def _rounded(geometry: dict[str, Any], places: int = 6) -> dict[str, Any]:
    def walk(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            if value and isinstance(value[0], (int, float)):
                return [round(float(v), places) for v in value]
            return [walk(v) for v in value]
        return value

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}
