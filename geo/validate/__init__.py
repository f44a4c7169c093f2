"""Validate layer files: the JSON Schema plus the rules a schema cannot say.

One module per concern: ``read`` (files and lines), ``structure`` (the schema, told in words),
``geometry``, ``dates``, ``sources`` (the URL policy), ``text`` and ``ids`` (across files).
Everything is pure: functions take documents or paths and return ``Message`` lists in the order
the problems appear. Nothing prints, nothing stops at the first problem.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from geo.io import ReadError, parse_json_bytes, read_json_file
from geo.model import Message
from geo.validate.context import Context
from geo.validate.dates import check_feature_dates, check_layer_dates
from geo.validate.geometry import (
    check_bbox,
    check_country,
    check_country_code,
    check_geometry,
    check_origin,
    positions,
)
from geo.validate.ids import IdRegistry, duplicate_ids
from geo.validate.read import layer_files, locate
from geo.validate.sources import MIRROR_HOSTS, check_sources, host_of, is_mirror
from geo.validate.structure import POSITION_DEPTH, check_structure
from geo.validate.text import MARKUP, check_text

__all__ = [
    "MARKUP",
    "MIRROR_HOSTS",
    "check_document",
    "duplicate_ids",
    "has_errors",
    "host_of",
    "is_mirror",
    "layer_files",
    "locate",
    "validate_bytes",
    "validate_parsed",
    "validate_paths",
]


def validate_paths(paths: Iterable[Path], today: dt.date | None = None) -> list[Message]:
    """Validate every layer file under ``paths`` (files or folders), including cross-file rules."""
    today = today or dt.date.today()
    messages: list[Message] = []
    registry = IdRegistry()
    for path in layer_files(paths):
        if path.suffix.lower() == ".parquet":
            from geo.validate.table import check_table

            messages += check_table(path, today, registry)
            continue
        try:
            doc, text = read_json_file(path)
        except ReadError as exc:
            messages += exc.messages
            continue
        file_messages = check_document(doc, str(path), today) + registry.check(doc, str(path))
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
    messages = check_document(doc, name, today) + IdRegistry().check(doc, name)
    return sorted(locate(messages, text), key=lambda m: m.line or 0)


def check_document(doc: Any, file: str, today: dt.date) -> list[Message]:
    """All messages for one parsed document, without line numbers (see :func:`locate`)."""
    ctx = Context(file, today, doc)
    structure = check_structure(ctx)
    if not isinstance(doc, dict):
        return ctx.messages
    check_text(ctx)
    check_layer_dates(ctx)
    features = doc["features"] if structure.sound else []
    for index, feature in enumerate(features):
        if index in structure.broken_features:
            continue
        placeable = (
            index not in structure.broken_geometries
            and isinstance(feature.get("geometry"), dict)
            and check_geometry(ctx, index)
        )
        if not isinstance(feature.get("properties"), dict):
            continue
        check_feature_dates(ctx, index)
        check_sources(ctx, index)
        check_country_code(ctx, index)
        check_origin(ctx, index)
        if placeable:
            check_country(ctx, index)
        if placeable and isinstance(feature.get("bbox"), list):
            _check_box(ctx, ("features", index, "bbox"), feature["bbox"], [feature])
    if structure.sound and isinstance(doc.get("bbox"), list) and not structure.broken_geometries:
        drawn = [f for n, f in enumerate(features) if n not in structure.broken_features]
        _check_box(ctx, ("bbox",), doc["bbox"], drawn)
    return ctx.messages


def _check_box(ctx: Context, path: tuple, box: list, features: list[dict]) -> None:
    if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in box):
        return  # the schema has said so
    points = [
        pos
        for feature in features
        if isinstance(feature.get("geometry"), dict)
        for _, pos in positions(
            feature["geometry"]["coordinates"], POSITION_DEPTH[feature["geometry"]["type"]], ()
        )
    ]
    check_bbox(ctx, path, box, points)


def has_errors(messages: Iterable[Message], strict: bool = False) -> bool:
    return any(m.level == "error" or strict for m in messages)
