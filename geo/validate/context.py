"""What every rule shares: the document being checked, the messages collected, and the words
used to name values, fields and features in a message."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from geo.model import Level, Message

Path_ = tuple[str | int, ...]
KEBAB_EXAMPLE = "al-udeid-air-base"


@dataclass
class Context:
    """One document's check: what the rules need to know and what they collect."""

    file: str
    today: dt.date
    doc: Any = None
    group: str | None = None
    messages: list[Message] = field(default_factory=list)

    def add(
        self,
        code: str,
        path: Path_,
        text: str,
        fix: str = "",
        *,
        level: Level = "error",
        field_name: str | None = None,
    ) -> None:
        """Record a message about the value at ``path`` (a JSON path from the document's root).

        The feature is named from the path; the field defaults to the path below the feature.
        """
        self.messages.append(
            Message(
                level,
                code,
                self.file,
                text,
                fix,
                feature=self.feature_label(path),
                field=field_name if field_name is not None else field_of(path),
                path=path,
            )
        )

    def feature_label(self, path: Path_) -> str | None:
        """The feature a path points into, by its id, or by its number when it has none."""
        if len(path) < 2 or path[0] != "features" or not isinstance(path[1], int):
            return None
        index = path[1]
        try:
            fid = self.doc["features"][index]["properties"]["id"]
        except (KeyError, IndexError, TypeError):
            fid = None
        return fid if isinstance(fid, str) and fid else f"#{index + 1}"


def field_of(path: Path_) -> str | None:
    """A field as a contributor names it: ``sources[0].url``, ``geometry.coordinates``,
    ``layer.title``."""
    if len(path) >= 2 and path[0] == "features" and isinstance(path[1], int):
        rest = path[2:]
        if rest[:1] == ("properties",):
            rest = rest[1:]
        elif rest[:1] == ("geometry",):
            # Positions are found by line; the field stays readable.
            return ".".join(str(p) for p in rest[:2] if isinstance(p, str)) or None
        return dotted(rest) or None
    return dotted(path) or None


def dotted(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def value_at(doc: Any, path: Path_) -> Any:
    """The value at ``path``, or None where the path does not lead anywhere."""
    value = doc
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def did_you_mean(name: str, options: Iterable[str], otherwise: str) -> str:
    options = list(options)
    # difflib is quadratic in the name's length; a name hundreds of characters long is no typo.
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6) if len(name) <= 64 else []
    if not close:
        close = [o for o in options if o.lower() == name.lower().replace("_", "-")]
    return f"did you mean {close[0]!r}?" if close else otherwise


def kind_of(value: Any) -> str:
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


def type_name(name: Any) -> str:
    if isinstance(name, list):
        return " or ".join(type_name(n) for n in name)
    return {
        "object": "an object",
        "array": "a list",
        "string": "a string",
        "boolean": "true or false",
        "number": "a number",
        "integer": "a whole number",
        "null": "null",
    }.get(name, str(name))


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"
