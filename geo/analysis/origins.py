"""The areas an actor holds on a date: the origins that rings and exposure measure from.

Actor areas come from the layers (regional actors, never events), filtered by the catalog's
own as-of rule, so an area counts on the dates its layer says it was held. Iran's territory is
not a layer: it is Iran's outline in the offline Natural Earth countries (``geo.countries``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape

from geo.catalog import Catalog, View, actor_parts, is_event, matches
from geo.countries import country_shapes

IRAN = "Iran"
COUNTRY_AREAS = {IRAN: "IR"}  # actors whose territory is a country outline, not a layer


@dataclass(frozen=True)
class Area:
    """One area (or point) an actor holds: its feature id and geometry."""

    id: str
    name: str
    actor: str
    geometry: shapely.Geometry


@dataclass(frozen=True)
class Origin:
    """A named origin for range rings: an actor's areas, or some of them."""

    key: str
    label: str
    actor: str
    feature_ids: tuple[str, ...] = ()  # empty: every area of the actor


ORIGINS = {
    origin.key: origin
    for origin in (
        Origin("iran", "Iran's territory", IRAN),
        Origin("houthis", "Houthi-held Yemen", "Houthis (Ansar Allah)"),
        Origin(
            "south-lebanon",
            "Southern Lebanon (Hezbollah, south of the Litani)",
            "Hezbollah",
            ("hezbollah-south-of-litani",),
        ),
        Origin("iraqi-militias", "Iraqi militia areas", "Kata'ib Hezbollah"),
    )
}


class OriginError(ValueError):
    """An origin that names nothing on the date asked."""


def actor_areas(catalog: Catalog, actor: str, as_of: dt.date | None) -> list[Area]:
    """The areas ``actor`` holds on ``as_of`` (every date when None)."""
    areas: list[Area] = []
    if actor in COUNTRY_AREAS:
        code = COUNTRY_AREAS[actor]
        areas.append(Area(f"country-{code.lower()}", f"{actor} (country)", actor, _country(code)))
    view = View(as_of=as_of.isoformat() if as_of else None)
    for layer in catalog.layers:
        if layer.group != "regional-actors":
            continue
        for feature in layer.features:
            props = feature["properties"]
            if is_event(feature, layer) or actor not in actor_parts(props.get("actor")):
                continue
            if matches(feature, layer, view):
                areas.append(Area(props["id"], props["name"], actor, shape(feature["geometry"])))
    return areas


def area_actors(catalog: Catalog) -> list[str]:
    """Every actor that holds an area on some date: Iran first, then by name."""
    found: set[str] = set()
    for layer in catalog.layers:
        if layer.group == "regional-actors":
            for feature in layer.features:
                if not is_event(feature, layer):
                    found.update(actor_parts(feature["properties"].get("actor")))
    return [IRAN, *sorted(found - {IRAN})]


def origin_areas(catalog: Catalog, key: str, as_of: dt.date | None) -> list[Area]:
    """The areas of the named origin on ``as_of``; OriginError if it names none."""
    origin = ORIGINS.get(key)
    if origin is None:
        raise OriginError(f"unknown origin {key!r}: use one of {', '.join(ORIGINS)}")
    areas = actor_areas(catalog, origin.actor, as_of)
    if origin.feature_ids:
        areas = [area for area in areas if area.id in origin.feature_ids]
    if not areas:
        when = as_of.isoformat() if as_of else "any date"
        raise OriginError(f"{origin.label}: no area is held on {when}: choose another date")
    return areas


def union(areas: list[Area]) -> shapely.Geometry:
    return shapely.union_all([area.geometry for area in areas])


def _country(code: str) -> shapely.Geometry:
    outline: Any = country_shapes().get(code)
    if outline is None:
        raise OriginError(f"no outline for country {code} in data/countries.geojson")
    return outline
