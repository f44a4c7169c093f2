"""The exposure of each US site on a date: how far each actor's nearest area is, which weapon
classes reach the site, and the sourced strikes it has already taken.

A class reaches a site when the geodesic distance from the site to the nearest area its actor
holds on the date is at most the class's range. Where sources disagree on a range, the table
says both: ``classes_in_range`` counts a class that at least one source's figure carries to the
site, ``classes_in_range_every_source`` only those that every source's figure carries. A class
counts from its first use; a class whose first use no source gives counts on every date and is
also listed in ``classes_first_use_unknown``.

A strike counts when an event of an attack kind (not by the United States) lies within
``STRIKE_RADIUS_KM`` of the site and began on or before the date.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any

from geo.analysis.distance import nearest_on
from geo.analysis.origins import Area, actor_areas, area_actors
from geo.analysis.ranges import WeaponClass, classes, read_table
from geo.catalog import Catalog, View, actor_parts, is_event, matches
from geo.model import PartialDate

STRIKE_KINDS = frozenset(
    {"airstrike", "missile-attack", "drone-attack", "ground-attack", "sabotage"}
)
STRIKE_RADIUS_KM = 5.0
SITE_GROUP = "us-posture"


@dataclass(frozen=True)
class Exposure:
    """One site's row, with the site's feature for the map layer."""

    site: dict[str, Any]
    row: dict[str, Any]
    reaching: tuple[WeaponClass, ...]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def distance_column(actor: str) -> str:
    return "km_to_" + slug(actor).replace("-", "_")


def exposure(
    catalog: Catalog, as_of: dt.date, weapon_classes: list[WeaponClass] | None = None
) -> list[Exposure]:
    """One Exposure per US site active on ``as_of``, in layer order."""
    weapon_classes = classes(read_table()) if weapon_classes is None else weapon_classes
    actors = area_actors(catalog)
    for weapon in weapon_classes:
        if weapon.actor not in actors:
            actors.append(weapon.actor)
    areas = {actor: actor_areas(catalog, actor, as_of) for actor in actors}
    in_use = [weapon for weapon in weapon_classes if weapon.in_use_on(as_of)]
    strikes = _strikes(catalog, as_of)
    view = View(as_of=as_of.isoformat())
    result: list[Exposure] = []
    for layer in catalog.layers:
        if layer.group != SITE_GROUP:
            continue
        for feature in layer.features:
            if is_event(feature, layer) or not matches(feature, layer, view):
                continue
            result.append(_site_row(feature, actors, areas, in_use, strikes))
    return result


def _site_row(
    feature: dict[str, Any],
    actors: list[str],
    areas: dict[str, list[Area]],
    in_use: list[WeaponClass],
    strikes: list[dict[str, Any]],
) -> Exposure:
    props = feature["properties"]
    lon, lat = _point(feature["geometry"])
    km: dict[str, float | None] = {}
    for actor in actors:
        found = [nearest_on(area.geometry, lon, lat).km for area in areas[actor]]
        km[actor] = min(found) if found else None
    reach_some = [w for w in in_use if km.get(w.actor) is not None and km[w.actor] <= w.longest_km]
    reach_all = [w for w in reach_some if km[w.actor] <= w.shortest_km]
    undated = [w for w in reach_some if w.first_day() is None]
    taken = [event for event in strikes if _near(event, lon, lat)]
    held = {actor: value for actor, value in km.items() if value is not None}
    nearest = min(held, key=held.__getitem__) if held else ""
    row: dict[str, Any] = {
        "site_id": props["id"],
        "site_name": props["name"],
        "kind": props["kind"],
        "country": props.get("country", ""),
        "longitude": lon,
        "latitude": lat,
    }
    for actor in actors:
        row[distance_column(actor)] = None if km[actor] is None else round(km[actor], 1)
    row.update(
        {
            "nearest_actor": nearest,
            "classes_in_range_count": len(reach_some),
            "classes_in_range": "; ".join(_label(w) for w in reach_some),
            "classes_in_range_every_source": "; ".join(_label(w) for w in reach_all),
            "classes_first_use_unknown": "; ".join(_label(w) for w in undated),
            "strikes_count": len(taken),
            "strikes": "; ".join(
                f"{e['properties']['id']} ({e['properties']['start']})" for e in taken
            ),
            "strike_sources": " ".join(e["properties"]["sources"][0]["url"] for e in taken),
        }
    )
    return Exposure(feature, row, tuple(reach_some))


def _label(weapon: WeaponClass) -> str:
    return f"{weapon.name} ({weapon.actor})"


def _point(geometry: dict[str, Any]) -> tuple[float, float]:
    if geometry["type"] == "Point":
        lon, lat = geometry["coordinates"][:2]
        return float(lon), float(lat)
    from shapely.geometry import shape

    point = shape(geometry).representative_point()
    return point.x, point.y


def _strikes(catalog: Catalog, as_of: dt.date) -> list[dict[str, Any]]:
    found = []
    for layer in catalog.layers:
        for feature in layer.features:
            props = feature["properties"]
            if not is_event(feature, layer) or props.get("kind") not in STRIKE_KINDS:
                continue
            if "United States" in actor_parts(props.get("actor")):
                continue
            if PartialDate.parse(props["start"]).first_day() <= as_of:
                found.append(feature)
    found.sort(key=lambda f: PartialDate.parse(f["properties"]["start"]).first_day())
    return found


def _near(event: dict[str, Any], lon: float, lat: float) -> bool:
    from shapely.geometry import shape

    return nearest_on(shape(event["geometry"]), lon, lat).km <= STRIKE_RADIUS_KM


def csv_text(rows: list[Exposure]) -> str:
    """The rows as CSV; cells that a spreadsheet would run as a formula are defused."""
    if not rows:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0].row), lineterminator="\n")
    writer.writeheader()
    for item in rows:
        writer.writerow({key: _cell(value) for key, value in item.row.items()})
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
