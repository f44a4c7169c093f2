"""Validate layer files: the JSON Schema plus the rules a schema cannot say.

Everything here is pure: functions take documents or paths and return ``Message`` lists, in the
order the problems appear. Nothing prints, nothing stops at the first problem.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pycountry
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from shapely.geometry import shape
from shapely.validation import explain_validity

from geo import countries
from geo.fmt import ring_is_clockwise
from geo.io import ReadError, parse_json_bytes, read_json_file
from geo.jsonpos import index_positions
from geo.model import DateError, Message, PartialDate
from geo.schema import definition, layer_schema

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
# Possessive quantifiers (*+) never give back what they took, so a "<" followed by megabytes of
# spaces costs one pass instead of one pass per space: the check stays linear in the text.
MARKUP = re.compile(r"<\s*+/?\s*+[A-Za-z!?][^<>]*+>|<\s*+[A-Za-z][\w-]*+\s*+/?\s*+$")
KEBAB_EXAMPLE = "al-udeid-air-base"
ARCHIVE_HOSTS = ("web.archive.org", "archive.org", "archive.ph", "archive.today", "archive.is")
# Hosts that copy other sites' pages. A citation must name the original page.
MIRROR_HOSTS = (
    "wikimili.com",
    "wikizero.com",
    "wikizero.net",
    "wikiwand.com",
    "wikiclassic.com",
    "owiki.org",
    "kiddle.co",
    "wikibrief.org",
    "zxc.wiki",
    "the-uncensored-wiki.com",
    "wikipedia-on-ipfs.org",
    "ipfs.io",
    "studentb.eu",
    "clateway.com",
    "paperai.life",
    "workers.dev",
    "netlify.app",
    "pages.dev",
    "translate.goog",
    "webcache.googleusercontent.com",
    "kiwix.org",
    "moltypedia.com",
    "azureedge.net",
    "haohe.fun",
)
MIRROR_PATTERN = re.compile(r"(^|\.)kiwix\.")

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
    "geometry": "add a geometry; every feature must be on the map",
    "properties": "add the properties object (see layers/README.md)",
}
PATTERN_HINTS = {
    "kebabId": (
        "is not kebab-case",
        f"use lowercase letters, digits and single hyphens, e.g. '{KEBAB_EXAMPLE}'",
    ),
    "partialDate": ("is not a partial date", "write YYYY, YYYY-MM or YYYY-MM-DD"),
    "fullDate": ("is not a full date", "write the day you read the page as YYYY-MM-DD"),
    "httpUrl": ("is not an http(s) link", "cite the page's own http:// or https:// address"),
}
DATE_SHAPE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def _plain_text_fields() -> frozenset[str]:
    """Every property the schema declares as plain text (or a list of it): the fields the
    markup check scans, derived so that a new field cannot be forgotten."""
    plain = "#/$defs/plainText"
    names = set()
    for definition_name in ("layer", "properties", "source", "claim", "origin"):
        for name, schema in layer_schema()["$defs"][definition_name]["properties"].items():
            if plain in (schema.get("$ref"), schema.get("items", {}).get("$ref")):
                names.add(name)
    return frozenset(names)


TEXT_FIELDS_TO_SCAN = _plain_text_fields()


@dataclass
class Context:
    """What one document's checks need to know and what they collect."""

    file: str
    today: dt.date
    group: str | None = None
    messages: list[Message] = field(default_factory=list)

    def add(
        self,
        code: str,
        path: tuple,
        text: str,
        fix: str = "",
        *,
        level: str = "error",
        feature: str | None = None,
        field_name: str | None = None,
    ) -> None:
        self.messages.append(
            Message(level, code, self.file, text, fix, feature=feature, field=field_name, path=path)  # type: ignore[arg-type]
        )


# ---------------------------------------------------------------------------------------------
# entry points


def validate_paths(paths: Iterable[Path], today: dt.date | None = None) -> list[Message]:
    """Validate every layer file under ``paths`` (files or folders), including cross-file rules."""
    today = today or dt.date.today()
    messages: list[Message] = []
    seen_ids: dict[str, tuple[str, int | None]] = {}
    layer_ids: dict[str, str] = {}
    for path in layer_files(paths):
        try:
            doc, text = read_json_file(path)
        except ReadError as exc:
            messages += exc.messages
            continue
        file_messages = check_document(doc, str(path), today)
        file_messages += duplicate_ids(doc, str(path), seen_ids)
        file_messages += _duplicate_layer_id(doc, str(path), layer_ids)
        messages += sorted(locate(file_messages, text), key=lambda m: m.line or 0)
    return messages


def validate_bytes(
    raw: bytes, name: str, today: dt.date | None = None, max_bytes: int | None = None
) -> tuple[Any, list[Message]]:
    """Validate one uploaded file held in memory; return the document (or None) and messages."""
    today = today or dt.date.today()
    try:
        if max_bytes is None:
            doc, text = parse_json_bytes(raw, name)
        else:
            doc, text = parse_json_bytes(raw, name, max_bytes)
    except ReadError as exc:
        return None, exc.messages
    return doc, validate_parsed(doc, text, name, today)


def validate_parsed(doc: Any, text: str, name: str, today: dt.date) -> list[Message]:
    """Messages for a document already parsed from ``text``, with lines, in line order."""
    messages = check_document(doc, name, today) + duplicate_ids(doc, name, {})
    return sorted(locate(messages, text), key=lambda m: m.line or 0)


def layer_files(paths: Iterable[Path]) -> list[Path]:
    """The ``.geojson`` files named, or found below the folders named, sorted."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.geojson") if p.is_file())
        else:
            found.append(path)
    return found


def locate(messages: list[Message], text: str) -> list[Message]:
    """Fill in each message's line from its JSON path (scanning the text once, only if needed)."""
    if not messages:
        return messages
    index = index_positions(text)
    located = []
    for message in messages:
        line = message.line or index.line_of(message.path) or None
        located.append(
            Message(
                message.level,
                message.code,
                message.file,
                message.text,
                message.fix,
                line,
                message.feature,
                message.field,
                message.path,
            )
        )
    return located


def has_errors(messages: Iterable[Message], strict: bool = False) -> bool:
    return any(m.level == "error" or strict for m in messages)


# ---------------------------------------------------------------------------------------------
# the document


def check_document(doc: Any, file: str, today: dt.date) -> list[Message]:
    """All messages for one parsed document, without line numbers (see :func:`locate`)."""
    ctx = Context(file, today)
    if not isinstance(doc, dict):
        ctx.add(
            "not-feature-collection",
            (),
            f"the top level is {_kind_of(doc)}, not a GeoJSON FeatureCollection object",
            'write {"type": "FeatureCollection", "layer": {...}, "features": [...]}',
        )
        return ctx.messages
    kind = doc.get("type")
    if kind != "FeatureCollection":
        fix = (
            "wrap the feature in a FeatureCollection: "
            '{"type": "FeatureCollection", "layer": {...}, "features": [<your feature>]}'
            if kind == "Feature"
            else 'set "type": "FeatureCollection"'
        )
        ctx.add(
            "not-feature-collection",
            ("type",),
            f"the top level is a {kind!r} object, not a FeatureCollection",
            fix,
        )
    if "crs" in doc:
        ctx.add(
            "crs",
            ("crs",),
            "RFC 7946 GeoJSON has no 'crs' member",
            "remove it; coordinates must be WGS84 longitude, latitude (reproject first if "
            "they are not)",
        )
    for key in doc:
        if key not in layer_schema()["properties"] and key != "crs":
            ctx.add(
                "unknown-member",
                (key,),
                f"unknown top-level member {key!r}",
                _did_you_mean(
                    key, layer_schema()["properties"], "remove it; layer metadata goes in 'layer'"
                ),
            )
    if "layer" not in doc:
        ctx.add(
            "required",
            (),
            "missing the 'layer' member",
            REQUIRED_HINTS["layer"],
            field_name="layer",
        )
    else:
        _check_layer_meta(doc["layer"], ctx)
    features = doc.get("features")
    if "features" not in doc:
        ctx.add(
            "required",
            (),
            "missing the 'features' member",
            REQUIRED_HINTS["features"],
            field_name="features",
        )
    elif not isinstance(features, list):
        ctx.add(
            "features-not-list",
            ("features",),
            f"'features' is {_kind_of(features)}, not a list",
            'write "features": [ ... ] with one Feature object per item',
        )
    else:
        for index, feature in enumerate(features):
            _check_feature(feature, index, ctx)
    return ctx.messages


def _check_layer_meta(meta: Any, ctx: Context) -> None:
    if not isinstance(meta, dict):
        ctx.add(
            "type",
            ("layer",),
            f"'layer' is {_kind_of(meta)}, not an object",
            REQUIRED_HINTS["layer"],
            field_name="layer",
        )
        return
    ctx.group = meta.get("group") if isinstance(meta.get("group"), str) else None
    _schema_messages(meta, "layer", ("layer",), ctx, None, "layer.")
    _scan_markup(meta, ("layer",), ctx, None, "layer.")
    _parse_date(meta, "reviewed", ("layer",), "", ctx, "layer.reviewed")


# ---------------------------------------------------------------------------------------------
# features


def _check_feature(feature: Any, index: int, ctx: Context) -> None:
    path: tuple = ("features", index)
    label = f"#{index + 1}"
    if not isinstance(feature, dict):
        ctx.add(
            "not-feature",
            path,
            f"member is {_kind_of(feature)}, not a Feature object",
            '"features" holds only {"type": "Feature", "geometry": ..., "properties": ...}',
            feature=label,
        )
        return
    props = feature.get("properties")
    if isinstance(props, dict) and isinstance(props.get("id"), str) and props["id"]:
        label = props["id"]
    if feature.get("type") != "Feature":
        ctx.add(
            "not-feature",
            (*path, "type"),
            f"member has type {feature.get('type')!r}, not 'Feature'",
            "only Feature objects belong in 'features'; put geometries inside a Feature",
            feature=label,
            field_name="type",
        )
        return
    for key in feature:
        if key not in ("type", "geometry", "properties", "bbox"):
            fix = (
                "move the id into properties.id"
                if key == "id"
                else _did_you_mean(
                    key, ("geometry", "properties"), "remove it, or move it into properties"
                )
            )
            ctx.add(
                "unknown-member",
                (*path, key),
                f"unknown member {key!r} on the Feature",
                fix,
                feature=label,
                field_name=key,
            )
    geometry_ok = _check_geometry(feature, path, label, ctx)
    if "properties" not in feature or not isinstance(props, dict):
        got = "missing" if "properties" not in feature else f"{_kind_of(props)}, not an object"
        ctx.add(
            "required",
            (*path, "properties"),
            f"properties is {got}",
            REQUIRED_HINTS["properties"],
            feature=label,
            field_name="properties",
        )
        return
    ppath = (*path, "properties")
    _schema_messages(props, "properties", ppath, ctx, label, "")
    _scan_markup(props, ppath, ctx, label, "")
    _check_dates(props, ppath, label, ctx)
    _check_sources(props, ppath, label, ctx)
    _check_group_rules(props, ppath, label, ctx)
    if geometry_ok:
        _check_country(feature["geometry"], props, path, label, ctx)
    origin = props.get("origin")
    if isinstance(origin, dict) and isinstance(origin.get("coordinates"), list):
        _check_position(
            origin["coordinates"],
            (*ppath, "origin", "coordinates"),
            label,
            ctx,
            "origin.coordinates",
        )


def _check_geometry(feature: dict, path: tuple, label: str, ctx: Context) -> bool:
    """Check the geometry; True when it is sound enough for the country check."""
    gpath = (*path, "geometry")
    if "geometry" not in feature or feature["geometry"] is None:
        ctx.add(
            "null-geometry",
            gpath,
            "geometry is null or missing",
            "give the feature a geometry; every feature must be on the map (use a stand-in "
            "point with location_precision 'stand-in' if the place is not known exactly)",
            feature=label,
            field_name="geometry",
        )
        return False
    geometry = feature["geometry"]
    if not isinstance(geometry, dict):
        ctx.add(
            "geometry-type",
            gpath,
            f"geometry is {_kind_of(geometry)}, not an object",
            'write {"type": "Point", "coordinates": [lon, lat]}',
            feature=label,
            field_name="geometry",
        )
        return False
    kind = geometry.get("type")
    if kind not in GEOMETRY_TYPES:
        ctx.add(
            "geometry-type",
            (*gpath, "type"),
            f"geometry type {kind!r} is not supported",
            f"use one of {', '.join(GEOMETRY_TYPES)} (split a GeometryCollection into features)",
            feature=label,
            field_name="geometry.type",
        )
        return False
    for key in geometry:
        if key not in ("type", "coordinates", "bbox"):
            ctx.add(
                "unknown-member",
                (*gpath, key),
                f"unknown member {key!r} on the geometry",
                "remove it",
                feature=label,
                field_name=f"geometry.{key}",
            )
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or not coords:
        ctx.add(
            "empty-geometry",
            (*gpath, "coordinates"),
            f"{kind} has no coordinates"
            if not coords
            else f"coordinates is {_kind_of(coords)}, not a list",
            "add the coordinates as [longitude, latitude] positions",
            feature=label,
            field_name="geometry.coordinates",
        )
        return False
    depth = {
        "Point": 0,
        "MultiPoint": 1,
        "LineString": 1,
        "MultiLineString": 2,
        "Polygon": 2,
        "MultiPolygon": 3,
    }[kind]
    ok = _check_nesting(coords, depth, (*gpath, "coordinates"), label, ctx, kind)
    if not ok:
        return False
    if kind in ("Polygon", "MultiPolygon"):
        ok = _check_polygons(
            coords if kind == "MultiPolygon" else [coords],
            kind,
            (*gpath, "coordinates"),
            label,
            ctx,
        )
    if kind in ("LineString", "MultiLineString"):
        lines = [coords] if kind == "LineString" else coords
        for number, line in enumerate(lines):
            if len(line) < 2:
                ctx.add(
                    "too-few-points",
                    (*gpath, "coordinates", number),
                    f"a line needs two or more positions, this one has {len(line)}",
                    "add the missing position",
                    feature=label,
                    field_name="geometry.coordinates",
                )
                ok = False
    return ok


def _check_nesting(
    value: Any, depth: int, path: tuple, label: str, ctx: Context, kind: str
) -> bool:
    if depth == 0:
        return _check_position(value, path, label, ctx, "geometry.coordinates")
    if not isinstance(value, list) or not value:
        ctx.add(
            "bad-coordinates",
            path,
            f"{kind} coordinates are nested wrongly here: expected a non-empty list",
            "see RFC 7946 section 3.1 for the nesting of each geometry type",
            feature=label,
            field_name="geometry.coordinates",
        )
        return False
    return all(
        _check_nesting(item, depth - 1, (*path, number), label, ctx, kind)
        for number, item in enumerate(value)
    )


def _check_position(pos: Any, path: tuple, label: str, ctx: Context, field_name: str) -> bool:
    if (
        not isinstance(pos, list)
        or not 2 <= len(pos) <= 3
        or not all(isinstance(n, int | float) and not isinstance(n, bool) for n in pos)
    ):
        ctx.add(
            "bad-position",
            path,
            f"position {pos!r} is not [longitude, latitude]",
            "write two numbers: longitude first, then latitude",
            feature=label,
            field_name=field_name,
        )
        return False
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
            feature=label,
            field_name=field_name,
        )
        return False
    if not -180 <= lon <= 180:
        ctx.add(
            "out-of-range",
            path,
            f"longitude {lon} is outside -180..180",
            "write WGS84 degrees; reproject the data if it is in metres",
            feature=label,
            field_name=field_name,
        )
        return False
    return True


def _check_polygons(polygons: list, kind: str, path: tuple, label: str, ctx: Context) -> bool:
    ok = True
    for p_number, rings in enumerate(polygons):
        ppath = (*path, p_number) if kind == "MultiPolygon" else path
        for r_number, ring in enumerate(rings):
            rpath = (*ppath, r_number)
            which = "outer ring" if r_number == 0 else f"hole {r_number}"
            if len(ring) < 4:
                ctx.add(
                    "too-few-points",
                    rpath,
                    f"the {which} has {len(ring)} positions; a ring needs at least 4",
                    "a triangle is 3 corners plus the first corner again at the end",
                    feature=label,
                    field_name="geometry.coordinates",
                )
                ok = False
            elif ring[0][:2] != ring[-1][:2]:
                ctx.add(
                    "unclosed-ring",
                    rpath,
                    f"the {which} is not closed: it starts at {ring[0]} and ends at {ring[-1]}",
                    "repeat the first position at the end of the ring",
                    feature=label,
                    field_name="geometry.coordinates",
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
                    feature=label,
                    field_name="geometry.coordinates",
                )
    if ok:
        geom = shape(
            {"type": kind, "coordinates": polygons if kind == "MultiPolygon" else polygons[0]}
        )
        if not geom.is_valid:
            ctx.add(
                "invalid-polygon",
                path,
                f"invalid polygon: {explain_validity(geom)}",
                "fix the ring there (shapely.make_valid or QGIS 'Fix geometries' can help)",
                feature=label,
                field_name="geometry",
            )
            ok = False
    return ok


# ---------------------------------------------------------------------------------------------
# properties


def _check_dates(props: dict, path: tuple, label: str, ctx: Context) -> None:
    start = _parse_date(props, "start", path, label, ctx)
    end = _parse_date(props, "end", path, label, ctx)
    if start and end and end.last_day() < start.first_day():
        ctx.add(
            "end-before-start",
            (*path, "end"),
            f"end {end.iso()} comes before start {start.iso()}",
            "swap them, or correct the one that is wrong",
            feature=label,
            field_name="end",
        )


def _parse_date(
    holder: dict, key: str, path: tuple, label: str, ctx: Context, field_name: str | None = None
) -> PartialDate | None:
    value = holder.get(key)
    if not isinstance(value, str):
        return None
    name = field_name or key
    try:
        date = PartialDate.parse(value)
    except DateError as exc:
        if DATE_SHAPE.fullmatch(value):
            ctx.add(
                "no-such-date",
                (*path, key),
                f"date {exc}",
                "write a date that exists, at the precision the source gives",
                feature=label,
                field_name=name,
            )
        elif DATE_SHAPE.fullmatch(value.strip()):
            ctx.add(
                "whitespace",
                (*path, key),
                f"date {value!r} has a space or line break around it",
                "write the date alone",
                feature=label,
                field_name=name,
            )
        return None
    if date.first_day() > ctx.today:
        ctx.add(
            "future-date",
            (*path, key),
            f"date {value} is in the future (today is {ctx.today.isoformat()})",
            "the map records what has happened; correct the date",
            feature=label,
            field_name=name,
        )
    return date


def _check_sources(props: dict, path: tuple, label: str, ctx: Context) -> None:
    sources = props.get("sources")
    urls: set[str] = set()
    if isinstance(sources, list):
        for number, source in enumerate(sources):
            if not isinstance(source, dict):
                continue
            spath = (*path, "sources", number)
            name = f"sources[{number}]"
            published = _parse_date(source, "published", spath, label, ctx, f"{name}.published")
            accessed = _parse_date(source, "accessed", spath, label, ctx, f"{name}.accessed")
            if published and accessed and published.first_day() > accessed.last_day():
                ctx.add(
                    "published-after-accessed",
                    (*spath, "published"),
                    f"published {published.iso()} is after accessed {accessed.iso()}",
                    "a page cannot be read before it is published; correct one of them",
                    feature=label,
                    field_name=f"{name}.published",
                )
            for key in ("url", "archive_url"):
                url = source.get(key)
                if isinstance(url, str):
                    _check_url(url, key, (*spath, key), f"{name}.{key}", label, ctx)
                    if key == "url":
                        urls.add(url)
    claims = props.get("claims")
    if isinstance(claims, list):
        for number, claim in enumerate(claims):
            if isinstance(claim, dict) and isinstance(claim.get("source"), str):
                if claim["source"] not in urls:
                    ctx.add(
                        "claim-source",
                        (*path, "claims", number, "source"),
                        f"claim source {claim['source']!r} is not one of this feature's sources",
                        "add that page to sources, or use one of their urls",
                        feature=label,
                        field_name=f"claims[{number}].source",
                    )
                _parse_date(
                    claim, "as_of", (*path, "claims", number), label, ctx, f"claims[{number}].as_of"
                )


def _check_url(url: str, key: str, path: tuple, field_name: str, label: str, ctx: Context) -> None:
    scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
    if scheme not in ("http", "https"):
        # the schema reports the pattern; say exactly why here
        return
    if re.search(r"\s", url):
        # JSON Schema's "$" also matches before a final line break, so the pattern lets it in
        ctx.add(
            "whitespace",
            path,
            f"{field_name} holds a space or line break",
            "write the address alone, with spaces encoded as %20",
            feature=label,
            field_name=field_name,
        )
    host = (urlsplit(url).hostname or "").lower()
    is_archive = any(host == h or host.endswith("." + h) for h in ARCHIVE_HOSTS)
    if key == "url" and is_archive:
        ctx.add(
            "archive-as-url",
            path,
            f"{host} is a web archive, not the original page",
            "put the original address in url and the archive copy in archive_url",
            feature=label,
            field_name=field_name,
        )
    elif key == "archive_url" and not is_archive:
        ctx.add(
            "archive-host",
            path,
            f"archive_url {host} is not a web archive",
            f"use a copy on {', '.join(ARCHIVE_HOSTS[:3])}, or remove archive_url",
            feature=label,
            field_name=field_name,
        )
    if any(host == h or host.endswith("." + h) for h in MIRROR_HOSTS) or MIRROR_PATTERN.search(
        host
    ):
        ctx.add(
            "mirror",
            path,
            f"{host} is a mirror or proxy of other sites' pages",
            "cite the original page (for Wikipedia, the en.wikipedia.org article)",
            feature=label,
            field_name=field_name,
        )


def _check_group_rules(props: dict, path: tuple, label: str, ctx: Context) -> None:
    precision = props.get("location_precision")
    if isinstance(precision, str) and precision != "exact" and "location_note" not in props:
        ctx.add(
            "location-note",
            (*path, "location_precision"),
            f"location_precision is {precision!r} but there is no location_note",
            "add location_note: what the geometry stands for and where it comes from",
            feature=label,
            field_name="location_note",
        )
    needed = {"events": ("actor", "claim_status"), "regional-actors": ("actor",)}.get(
        ctx.group or "", ()
    )
    for key in needed:
        if key not in props:
            ctx.add(
                "required",
                path,
                f"missing {key!r}, required in a {ctx.group} layer",
                "add who acted" if key == "actor" else "add confirmed, claimed or disputed",
                feature=label,
                field_name=key,
            )
    country = props.get("country")
    if (
        isinstance(country, str)
        and re.fullmatch(r"[A-Z]{2}", country)
        and pycountry.countries.get(alpha_2=country) is None
        and country != "XK"
    ):
        ctx.add(
            "unknown-country",
            (*path, "country"),
            f"{country!r} is not an ISO 3166-1 alpha-2 code",
            "use the two-letter code, e.g. QA for Qatar",
            feature=label,
            field_name="country",
        )


def _check_country(geometry: dict, props: dict, path: tuple, label: str, ctx: Context) -> None:
    code = props.get("country")
    if not isinstance(code, str) or countries.country_shapes().get(code) is None:
        return
    geom = shape(geometry)
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    distance = countries.distance_km(code, point.x, point.y)
    if distance is None or distance <= countries.SLACK_KM:
        return
    swapped = countries.distance_km(code, point.y, point.x) if -90 <= point.x <= 90 else None
    if swapped is not None and swapped <= countries.SLACK_KM:
        fix = (
            "latitude and longitude look swapped: GeoJSON is [longitude, latitude], so write "
            f"[{point.y}, {point.x}]"
        )
    else:
        found = countries.countries_at(point.x, point.y)
        where = f"it lies in {', '.join(found)}" if found else "it lies in no country (at sea?)"
        fix = f"{where}; check the coordinates and the country code"
    ctx.add(
        "outside-country",
        (*path, "geometry"),
        f"the point ({point.x:.4f}, {point.y:.4f}) is {distance:,.0f} km outside {code}",
        fix,
        feature=label,
        field_name="country",
    )


def _scan_markup(
    value: Any,
    path: tuple,
    ctx: Context,
    label: str | None,
    prefix: str,
    key: str | None = None,
    rel: tuple = (),
) -> None:
    if isinstance(value, dict):
        for child_key, child in value.items():
            _scan_markup(
                child, (*path, child_key), ctx, label, prefix, child_key, (*rel, child_key)
            )
    elif isinstance(value, list):
        for number, child in enumerate(value):
            _scan_markup(child, (*path, number), ctx, label, prefix, key, (*rel, number))
    elif isinstance(value, str) and key in TEXT_FIELDS_TO_SCAN:
        match = MARKUP.search(value)
        if match:
            ctx.add(
                "markup",
                path,
                f"text holds HTML markup {match.group()[:40]!r}",
                "write plain text; the map shows text exactly as written",
                feature=label,
                field_name=prefix + _field_path(rel),
            )


# ---------------------------------------------------------------------------------------------
# schema errors, told as a person would tell them


def _schema_messages(
    instance: Any, defname: str, path: tuple, ctx: Context, label: str | None, prefix: str
) -> None:
    validator = _validator(defname)
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path))):
        for text, fix, extra in _describe(error):
            epath = (*path, *error.path, *extra)
            ctx.add(
                f"schema-{error.validator}",
                epath,
                text,
                fix,
                feature=label,
                field_name=prefix + _field_path(tuple(error.path) + extra) or None,
            )


_VALIDATORS: dict[str, Draft202012Validator] = {}


def _validator(defname: str) -> Draft202012Validator:
    if defname not in _VALIDATORS:
        _VALIDATORS[defname] = Draft202012Validator(definition(defname))
    return _VALIDATORS[defname]


def _describe(error: ValidationError) -> Iterator[tuple[str, str, tuple]]:
    keyword = error.validator
    value = error.instance
    if keyword == "required":
        for name in error.validator_value:
            if isinstance(value, dict) and name not in value:
                yield (f"missing required {name!r}", REQUIRED_HINTS.get(name, "add it"), (name,))
    elif keyword == "additionalProperties":
        allowed = error.schema.get("properties", {})
        for name in value:
            if name not in allowed:
                yield (
                    f"unknown property {name!r}",
                    _did_you_mean(name, allowed, "remove it or rename it (see layers/README.md)"),
                    (name,),
                )
    elif keyword == "enum":
        options = [str(o) for o in error.validator_value]
        yield (
            f"{value!r} is not allowed",
            _did_you_mean(str(value), options, f"use one of: {', '.join(options)}"),
            (),
        )
    elif keyword == "const":
        yield (
            f"is {value!r}, must be {error.validator_value!r}",
            f"set it to {error.validator_value!r}",
            (),
        )
    elif keyword == "type":
        yield (
            f"is {_kind_of(value)}, must be {_type_name(error.validator_value)}",
            "change the value's type",
            (),
        )
    elif keyword == "pattern":
        ref = _ref_name(error)
        what, fix = PATTERN_HINTS.get(
            ref, ("does not match the expected form", "see layers/README.md")
        )
        if ref == "httpUrl" and isinstance(value, str):
            scheme = value.split(":", 1)[0].lower() if ":" in value else ""
            if scheme and scheme not in ("http", "https"):
                what = f"is a {scheme}: link; only http(s) links are allowed"
        yield (f"{_short(value)} {what}", fix, ())
    elif keyword == "minItems":
        yield (
            "needs at least one item"
            if error.validator_value == 1
            else f"needs at least {error.validator_value} items",
            REQUIRED_HINTS.get(str(error.path[-1]) if error.path else "", "add the items"),
            (),
        )
    elif keyword == "maxItems":
        yield (f"has more than {error.validator_value} items", "remove the extra items", ())
    elif keyword == "minLength":
        yield ("is empty", "write the text, or remove the property if it has no value", ())
    elif keyword == "maxLength":
        yield (f"is longer than {error.validator_value} characters", "shorten it", ())
    elif keyword in ("minimum", "maximum"):
        yield (f"{value} is out of range", f"the {keyword} is {error.validator_value}", ())
    else:
        yield (error.message, "see layers/README.md", ())


def _ref_name(error: ValidationError) -> str:
    for name, schema in layer_schema()["$defs"].items():
        if schema is error.schema or schema == error.schema:
            return name
    return ""


def _field_path(path: tuple) -> str:
    text = ""
    for part in path:
        if part in ("features", "properties") and not text:
            continue
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _did_you_mean(name: str, options: Iterable[str], otherwise: str) -> str:
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    if not close:
        close = [o for o in options if o.lower() == name.lower().replace("_", "-")]
    return f"did you mean {close[0]!r}?" if close else otherwise


def duplicate_ids(doc: Any, file: str, seen: dict[str, tuple[str, int | None]]) -> list[Message]:
    messages = []
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        return messages
    for index, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        fid = props.get("id") if isinstance(props, dict) else None
        if not isinstance(fid, str):
            continue
        if fid in seen:
            first_file, first_index = seen[fid]
            where = (
                f"feature #{first_index + 1} of this file"
                if first_file == file
                else f"{first_file}"
            )
            messages.append(
                Message(
                    "error",
                    "duplicate-id",
                    file,
                    f"id {fid!r} is already used by {where}",
                    "give this feature its own id; ids are unique across all layer files",
                    feature=fid,
                    field="id",
                    path=("features", index, "properties", "id"),
                )
            )
        else:
            seen[fid] = (file, index)
    return messages


def _duplicate_layer_id(doc: Any, file: str, seen: dict[str, str]) -> list[Message]:
    meta = doc.get("layer") if isinstance(doc, dict) else None
    layer_id = meta.get("id") if isinstance(meta, dict) else None
    if not isinstance(layer_id, str):
        return []
    if layer_id in seen:
        return [
            Message(
                "error",
                "duplicate-layer-id",
                file,
                f"layer id {layer_id!r} is already used by {seen[layer_id]}",
                "give each layer file its own layer.id",
                field="layer.id",
                path=("layer", "id"),
            )
        ]
    seen[layer_id] = file
    return []


def _kind_of(value: Any) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
        int: "a number",
        float: "a number",
    }
    return names.get(type(value), type(value).__name__)


def _type_name(name: Any) -> str:
    if isinstance(name, list):
        return " or ".join(_type_name(n) for n in name)
    return {
        "object": "an object",
        "array": "a list",
        "string": "a string",
        "boolean": "true or false",
        "number": "a number",
        "integer": "a whole number",
        "null": "null",
    }.get(name, str(name))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"
