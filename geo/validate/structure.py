"""Structure: the JSON Schema is its one statement; this module only tells its errors as a
contributor would want to hear them, one message per problem.

The whole document is checked in one pass by a validator compiled once. Where one mistake makes
the schema report several (a member that is not a Feature fails every Feature rule), only the
message that names the mistake is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from geo.schema import layer_schema
from geo.validate.context import (
    KEBAB_EXAMPLE,
    Context,
    Path_,
    did_you_mean,
    kind_of,
    short,
    type_name,
    value_at,
)

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
# How many list levels lie above a position in each geometry type's coordinates.
POSITION_DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}

REQUIRED_HINTS = {
    "type": "add it",
    "layer": "add a layer object with id, title, group, description, visible and style "
    "(see layers/README.md)",
    "features": "add a features list (it may be empty)",
    "id": f"add a kebab-case id that is unique across all layers, e.g. '{KEBAB_EXAMPLE}'",
    "name": "add the name readers know it by",
    "title": "add the title as printed",
    "kind": "add what it is, e.g. 'air-base' (see layers/README.md for the list)",
    "start": "add when it began or happened, as YYYY, YYYY-MM or YYYY-MM-DD",
    "location_precision": "add exact, approximate, stand-in or region",
    "description": "add a plain-text description in your own words",
    "sources": "add at least one source with title, publisher, url and accessed",
    "publisher": "add who published the page",
    "url": "add the address of the original page",
    "accessed": "add the day you read the page, as YYYY-MM-DD",
    "group": "add one of us-posture, regional-actors, events, user",
    "visible": "add true or false: is the layer shown when the app opens",
    "style": 'add a style, at least {"color": "#rrggbb"}',
    "color": 'add a colour as "#rrggbb"',
    "topic": "add what the claim is about, e.g. 'US personnel'",
    "value": "add the figure or fact as the source gives it",
    "source": "add the url of the feature's source that makes the claim",
    "coordinates": "add [longitude, latitude]",
    "properties": "add the properties object (see layers/README.md)",
    "actor": "add who acted or holds the area",
    "claim_status": "add confirmed, claimed or disputed",
}
PATTERN_HINTS = {
    "kebabId": (
        "is not kebab-case",
        f"use lowercase letters, digits and single hyphens, e.g. '{KEBAB_EXAMPLE}'",
    ),
    "partialDate": ("is not a partial date", "write YYYY, YYYY-MM or YYYY-MM-DD"),
    "fullDate": ("is not a full date", "write the day as YYYY-MM-DD"),
    "httpUrl": ("is not an http(s) link", "cite the page's own http:// or https:// address"),
}
NULL_GEOMETRY_FIX = (
    "give the feature a geometry; every feature must be on the map (use a stand-in point with "
    "location_precision 'stand-in' if the place is not known exactly)"
)
NESTING_FIX = "see RFC 7946 section 3.1 for the nesting of each geometry type"


@dataclass
class Structure:
    """What the structure check found that the other rules need to know."""

    sound: bool = True  # the top level is an object with a features list
    broken_features: set[int] = field(default_factory=set)  # not a Feature: no further rules
    broken_geometries: set[int] = field(default_factory=set)  # no geometry rules for these


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(layer_schema())


@lru_cache(maxsize=1)
def _pattern_names() -> dict[str, str]:
    return {
        schema["pattern"]: name
        for name, schema in layer_schema()["$defs"].items()
        if isinstance(schema, dict) and "pattern" in schema
    }


def check_structure(ctx: Context) -> Structure:
    """Check ``ctx.doc`` against the schema; add a message per problem."""
    doc = ctx.doc
    found = Structure()
    if not isinstance(doc, dict):
        ctx.add(
            "not-feature-collection",
            (),
            f"the top level is {kind_of(doc)}, not a GeoJSON FeatureCollection object",
            'write {"type": "FeatureCollection", "layer": {...}, "features": [...]}',
        )
        found.sound = False
        return found
    meta = doc.get("layer")
    ctx.group = meta.get("group") if isinstance(meta, dict) else None
    if not isinstance(ctx.group, str):
        ctx.group = None
    found.sound = isinstance(doc.get("features"), list)
    errors = sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.path])
    _mark_broken(doc, errors, found)
    seen: set[tuple[str, Path_]] = set()
    for error in errors:
        path = tuple(error.path)
        if _suppressed(path, found):
            continue
        for code, where, text, fix in _describe(error, path, doc, found):
            if (code, where) in seen:
                continue
            seen.add((code, where))
            ctx.add(code, where, text, fix)
    return found


def _mark_broken(doc: dict, errors: list[ValidationError], found: Structure) -> None:
    features = doc.get("features") if isinstance(doc.get("features"), list) else []
    for index, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            found.broken_features.add(index)
    for error in errors:
        path = tuple(error.path)
        if len(path) >= 3 and path[0] == "features" and path[2] == "geometry":
            found.broken_geometries.add(path[1])


def _suppressed(path: Path_, found: Structure) -> bool:
    """Errors that only repeat one already told: a member that is not a Feature fails every
    Feature rule, and only its type is worth a message."""
    if len(path) >= 2 and path[0] == "features" and path[1] in found.broken_features:
        return len(path) > 2 and path[2:] != ("type",)
    return False


def _describe(
    error: ValidationError, path: Path_, doc: dict, found: Structure
) -> Iterator[tuple[str, Path_, str, str]]:
    """(code, path, text, fix) for one schema error."""
    keyword = str(error.validator)
    value = error.instance
    code = f"schema-{keyword}"
    where = _where(path)
    if where == "feature" and not isinstance(value, dict):
        kind = f"member is {kind_of(value)}, not a Feature object"
        yield "not-feature", path, kind, '"features" holds only {"type": "Feature", ...} objects'
        return
    if where == "feature" and path[1] in found.broken_features and "type" in value:
        return  # its wrong type is the message
    if where == "feature-type":
        yield (
            "not-feature",
            path,
            f"member has type {value!r}, not 'Feature'",
            "only Feature objects belong in 'features'; put geometries inside a Feature",
        )
        return
    if where.startswith("geometry"):
        yield from _describe_geometry(error, path, doc)
        return
    if keyword == "required":
        for name in error.validator_value:
            if isinstance(value, dict) and name not in value:
                yield from _describe_missing(error, path, name, where)
    elif keyword == "additionalProperties":
        allowed = error.schema.get("properties", {})
        for name in value:
            if name not in allowed:
                yield _describe_unknown(path, name, where, allowed)
    elif keyword == "const" and path == ("type",):
        fix = (
            "wrap the feature in a FeatureCollection: "
            '{"type": "FeatureCollection", "layer": {...}, "features": [<your feature>]}'
            if value == "Feature"
            else 'set "type": "FeatureCollection"'
        )
        yield (
            "not-feature-collection",
            path,
            f"the top level is a {value!r} object, not a FeatureCollection",
            fix,
        )
    elif keyword == "type" and path in (("features",), ("layer",)):
        what = "a list" if path == ("features",) else "an object"
        fix = (
            'write "features": [ ... ] with one Feature object per item'
            if path == ("features",)
            else REQUIRED_HINTS["layer"]
        )
        yield f"{path[0]}-type", path, f"'{path[0]}' is {kind_of(value)}, not {what}", fix
    elif keyword == "type" and where == "properties":
        yield (
            "required",
            path,
            f"properties is {kind_of(value)}, not an object",
            REQUIRED_HINTS["properties"],
        )
    else:
        for text, fix in _describe_value(error):
            yield code, path, text, fix


def _where(path: Path_) -> str:
    """What part of a layer document a path points at."""
    if len(path) >= 2 and path[0] == "features":
        rest = path[2:]
        if not rest:
            return "feature"
        if rest == ("type",):
            return "feature-type"
        if rest[0] == "geometry":
            return "geometry"
        if rest == ("properties",):
            return "properties"
        return "feature-member" if len(rest) == 1 else "property"
    if not path:
        return "top"
    return "layer" if path[0] == "layer" else "top-member"


def _describe_missing(
    error: ValidationError, path: Path_, name: str, where: str
) -> Iterator[tuple[str, Path_, str, str]]:
    comment = error.schema.get("$comment", "")
    if comment.startswith("group:"):
        group = comment.split(":", 1)[1]
        yield (
            "required",
            (*path, name),
            f"missing {name!r}, required in a {group} layer",
            REQUIRED_HINTS[name],
        )
    elif comment == "location-note":
        precision = error.instance.get("location_precision")
        yield (
            "location-note",
            (*path, "location_precision"),
            f"location_precision is {precision!r} but there is no location_note",
            "add location_note: what the geometry stands for and where it comes from",
        )
    elif where == "top":
        yield "required", (), f"missing the {name!r} member", REQUIRED_HINTS[name]
    elif where == "feature" and name == "geometry":
        yield "null-geometry", (*path, name), "geometry is null or missing", NULL_GEOMETRY_FIX
    elif where == "feature" and name == "properties":
        yield "required", (*path, name), "properties is missing", REQUIRED_HINTS[name]
    else:
        yield (
            "schema-required",
            (*path, name),
            f"missing required {name!r}",
            REQUIRED_HINTS.get(name, "add it"),
        )


def _describe_unknown(
    path: Path_, name: str, where: str, allowed: dict
) -> tuple[str, Path_, str, str]:
    member = (*path, name)
    if where == "top" and name == "crs":
        return (
            "crs",
            member,
            "RFC 7946 GeoJSON has no 'crs' member",
            "remove it; coordinates must be WGS84 longitude, latitude (reproject first if they "
            "are not)",
        )
    if where == "top":
        fix = did_you_mean(name, allowed, "remove it; layer metadata goes in 'layer'")
        return "unknown-member", member, f"unknown top-level member {name!r}", fix
    if where == "feature":
        fix = (
            "move the id into properties.id"
            if name == "id"
            else did_you_mean(name, allowed, "remove it, or move it into properties")
        )
        return "unknown-member", member, f"unknown member {name!r} on the Feature", fix
    return (
        "schema-additionalProperties",
        member,
        f"unknown property {name!r}",
        did_you_mean(name, allowed, "remove it or rename it (see layers/README.md)"),
    )


def _describe_value(error: ValidationError) -> Iterator[tuple[str, str]]:
    keyword = error.validator
    value = error.instance
    if keyword == "enum":
        options = [str(o) for o in error.validator_value]
        yield (
            f"{short(value)} is not allowed",
            did_you_mean(str(value), options, f"use one of: {', '.join(options)}"),
        )
    elif keyword == "const":
        expected = error.validator_value
        yield f"is {short(value)}, must be {expected!r}", f"set it to {expected!r}"
    elif keyword == "type":
        yield (
            f"is {kind_of(value)}, must be {type_name(error.validator_value)}",
            "change the value's type",
        )
    elif keyword == "pattern":
        ref = _pattern_names().get(error.validator_value, "")
        what, fix = PATTERN_HINTS.get(
            ref, ("does not match the expected form", "see layers/README.md")
        )
        if ref == "httpUrl" and isinstance(value, str):
            scheme = value.split(":", 1)[0].lower() if ":" in value else ""
            if scheme and scheme not in ("http", "https"):
                what = f"is a {short(scheme)[1:-1]}: link; only http(s) links are allowed"
        yield f"{short(value)} {what}", fix
    elif keyword == "minItems":
        yield (
            "needs at least one item"
            if error.validator_value == 1
            else f"needs at least {error.validator_value} items",
            REQUIRED_HINTS.get(str(error.path[-1]) if error.path else "", "add the items"),
        )
    elif keyword == "maxItems":
        yield f"has more than {error.validator_value} items", "remove the extra items"
    elif keyword == "minLength":
        yield "is empty", "write the text, or remove the property if it has no value"
    elif keyword == "maxLength":
        yield f"is longer than {error.validator_value} characters", "shorten it"
    elif keyword in ("minimum", "maximum"):
        yield f"{value} is out of range", f"the {keyword} is {error.validator_value}"
    else:
        yield short(error.message), "see layers/README.md"


def _describe_geometry(
    error: ValidationError, path: Path_, doc: dict
) -> Iterator[tuple[str, Path_, str, str]]:
    gpath = path[:3]
    geometry = value_at(doc, gpath)
    rest = path[3:]
    keyword = error.validator
    if geometry is None or not isinstance(geometry, dict):
        if geometry is None:
            yield "null-geometry", gpath, "geometry is null or missing", NULL_GEOMETRY_FIX
        else:
            yield (
                "geometry-type",
                gpath,
                f"geometry is {kind_of(geometry)}, not an object",
                'write {"type": "Point", "coordinates": [lon, lat]}',
            )
        return
    kind = geometry.get("type")
    if kind not in GEOMETRY_TYPES:
        if "type" in geometry:
            yield (
                "geometry-type",
                (*gpath, "type"),
                f"geometry type {short(kind)} is not supported",
                f"use one of {', '.join(GEOMETRY_TYPES)} (split a GeometryCollection into "
                "features)",
            )
        else:
            yield "geometry-type", gpath, "geometry has no type", "add the geometry's type"
        return
    if not rest:
        if keyword == "required":
            yield (
                "empty-geometry",
                (*gpath, "coordinates"),
                f"{kind} has no coordinates",
                "add the coordinates as [longitude, latitude] positions",
            )
        elif keyword == "additionalProperties":
            for name in error.instance:
                if name not in error.schema.get("properties", {}):
                    yield (
                        "unknown-member",
                        (*gpath, name),
                        f"unknown member {name!r} on the geometry",
                        "remove it",
                    )
        return
    if rest[0] != "coordinates":  # the geometry's bbox
        for text, fix in _describe_value(error):
            yield f"schema-{keyword}", path, text, fix
        return
    yield from _describe_coordinates(error, path, gpath, kind, geometry["coordinates"])


def _describe_coordinates(
    error: ValidationError, path: Path_, gpath: Path_, kind: str, coords: Any
) -> Iterator[tuple[str, Path_, str, str]]:
    level = len(path) - len(gpath) - 1  # list levels below "coordinates"
    depth = POSITION_DEPTH[kind]
    keyword = error.validator
    value = error.instance
    if level == 0 and value == []:
        yield (
            "empty-geometry",
            path,
            f"{kind} has no coordinates",
            "add the coordinates as [longitude, latitude] positions",
        )
    elif level >= depth:
        position_path = path[: len(gpath) + 1 + depth]
        position = value_at(coords, position_path[len(gpath) + 1 :])
        yield (
            "bad-position",
            position_path,
            f"position {short(position)} is not [longitude, latitude]",
            "write two numbers: longitude first, then latitude",
        )
    elif keyword == "minItems" and _is_ring_level(kind, level):
        which = "outer ring" if path[-1] == 0 else f"hole {path[-1]}"
        yield (
            "too-few-points",
            path,
            f"the {which} has {len(value)} positions; a ring needs at least 4",
            "a triangle is 3 corners plus the first corner again at the end",
        )
    elif keyword == "minItems" and kind in ("LineString", "MultiLineString"):
        yield (
            "too-few-points",
            path,
            f"a line needs two or more positions, this one has {len(value)}",
            "add the missing position",
        )
    else:
        yield (
            "bad-coordinates",
            path,
            f"{kind} coordinates are nested wrongly here: expected a non-empty list",
            NESTING_FIX,
        )


def _is_ring_level(kind: str, level: int) -> bool:
    return (kind == "Polygon" and level == 1) or (kind == "MultiPolygon" and level == 2)
