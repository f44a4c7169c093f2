"""Find the line of each value in a JSON text, and the duplicate keys in it.

The standard library's parser is fast but keeps no positions; this scanner is only run when there is
something to report, so that clean files pay nothing for it.
"""

from __future__ import annotations

import bisect
import contextlib
import re
from dataclasses import dataclass, field

Path_ = tuple[str | int, ...]

_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")
_WS = re.compile(r"[ \t\n\r]*")


@dataclass
class PositionIndex:
    """Lines (1-based) of every value, keyed by its path; duplicate keys with their lines."""

    lines: dict[Path_, int] = field(default_factory=dict)
    duplicates: list[tuple[Path_, int]] = field(default_factory=list)

    def line_of(self, path: Path_) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return None


class _Stop(Exception):
    pass


# A line ends at CRLF, LF or a lone CR (classic Mac OS, and Excel for Mac still writes it).
LINE_BREAK = re.compile(r"\r\n?|\n")


def line_number(text: str | bytes, pos: int) -> int:
    """The 1-based line of offset ``pos``, whichever line breaks the text uses."""
    if isinstance(text, bytes):
        text = text[:pos].decode("latin-1")
        pos = len(text)
    return sum(1 for _ in LINE_BREAK.finditer(text, 0, pos)) + 1


def index_positions(text: str) -> PositionIndex:
    """Scan ``text`` and return what it could read; a syntax error just ends the scan."""
    newlines = [m.start() for m in LINE_BREAK.finditer(text)]
    index = PositionIndex()

    def line_at(pos: int) -> int:
        return bisect.bisect_left(newlines, pos) + 1

    def skip(pos: int) -> int:
        return _WS.match(text, pos).end()

    def value(pos: int, path: Path_) -> int:
        pos = skip(pos)
        if pos >= len(text):
            raise _Stop
        index.lines.setdefault(path, line_at(pos))
        char = text[pos]
        if char == "{":
            return members(pos + 1, path)
        if char == "[":
            return items(pos + 1, path)
        match = (_STRING if char == '"' else _SCALAR).match(text, pos)
        if not match:
            raise _Stop
        return match.end()

    def members(pos: int, path: Path_) -> int:
        seen: set[str] = set()
        pos = skip(pos)
        if text.startswith("}", pos):
            return pos + 1
        while True:
            pos = skip(pos)
            match = _STRING.match(text, pos)
            if not match:
                raise _Stop
            key = match.group()[1:-1]
            child = (*path, key)
            if key in seen:
                index.duplicates.append((child, line_at(pos)))
            else:
                index.lines[child] = line_at(pos)
            seen.add(key)
            pos = skip(match.end())
            if not text.startswith(":", pos):
                raise _Stop
            pos = skip(value(pos + 1, child))
            if text.startswith(",", pos):
                pos += 1
                continue
            if text.startswith("}", pos):
                return pos + 1
            raise _Stop

    def items(pos: int, path: Path_) -> int:
        pos = skip(pos)
        if text.startswith("]", pos):
            return pos + 1
        number = 0
        while True:
            pos = skip(value(pos, (*path, number)))
            number += 1
            if text.startswith(",", pos):
                pos += 1
                continue
            if text.startswith("]", pos):
                return pos + 1
            raise _Stop

    with contextlib.suppress(_Stop, RecursionError):
        value(0, ())
    return index
