"""Keep the features that pass the validator and name each one that does not: the step that
lets a file in our own format (CSV or GeoJSON) import with its good features only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from geo.model import Message
from geo.validate import check_document, duplicate_ids


def screen(
    doc: dict[str, Any], name: str, lines: list[int | None], today: dt.date
) -> tuple[list[Message], list[Message]]:
    """Drop from ``doc`` every feature the validator finds an error in.

    ``lines[i]`` is the line of the input where feature ``i`` starts. Returns the messages of
    the dropped features (one line each, at their line) and the layer-wide errors, which no
    dropping can mend.
    """
    messages = check_document(doc, name, today) + duplicate_ids(doc, name, {})
    dropped: dict[int, Message] = {}
    layer_errors = []
    for message in messages:
        if message.level != "error":
            continue
        path = message.path
        if len(path) > 1 and path[0] == "features" and isinstance(path[1], int):
            dropped.setdefault(path[1], _at_line(message, lines[path[1]]))
        else:
            layer_errors.append(message)
    doc["features"] = [f for i, f in enumerate(doc["features"]) if i not in dropped]
    return [dropped[i] for i in sorted(dropped)], layer_errors


def _at_line(message: Message, line: int | None) -> Message:
    where = f"{message.field}: " if message.field else ""
    return Message(
        "error",
        "row-skipped",
        message.file,
        f"left out: {where}{message.text}",
        message.fix,
        line=line,
        feature=message.feature,
    )
