"""Find a feature's geometry by id: any layer feature, or a country outline as ``country-xx``."""

from __future__ import annotations

import shapely
from shapely.geometry import shape

from geo.catalog import Catalog
from geo.countries import country_shapes

COUNTRY_PREFIX = "country-"


def geometry_of(catalog: Catalog, feature_id: str) -> shapely.Geometry | None:
    """The geometry of the feature with this id, or None if there is none."""
    if feature_id.startswith(COUNTRY_PREFIX):
        return country_shapes().get(feature_id[len(COUNTRY_PREFIX) :].upper())
    found = catalog.find(feature_id)
    return shape(found[1]["geometry"]) if found else None


def country_ids() -> list[str]:
    return sorted(COUNTRY_PREFIX + code.lower() for code in country_shapes())
