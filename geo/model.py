"""The data model shared by every other module: partial dates, messages and layers."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
MONTHS = [calendar.month_abbr[m] for m in range(1, 13)]

Precision = Literal["year", "month", "day"]
Level = Literal["error", "warning"]


class DateError(ValueError):
    """A partial date that is malformed or does not exist."""


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day, as the source gave it.

    Examples
    --------
    >>> PartialDate.parse("2024-10").label()
    'Oct 2024'
    >>> PartialDate.parse("2001").last_day()
    datetime.date(2001, 12, 31)
    """

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        return _parse_partial_date(text) if isinstance(text, str) else _parse_uncached(text)

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    def last_day(self) -> dt.date:
        month = self.month or 12
        return dt.date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])

    def label(self) -> str:
        """The date as a reader sees it, at its own precision: '2001', 'Oct 2024', '7 Oct 2023'."""
        if self.month is None:
            return str(self.year)
        if self.day is None:
            return f"{MONTHS[self.month - 1]} {self.year}"
        return f"{self.day} {MONTHS[self.month - 1]} {self.year}"

    def iso(self) -> str:
        parts = [f"{self.year:04d}"]
        if self.month is not None:
            parts.append(f"{self.month:02d}")
        if self.day is not None:
            parts.append(f"{self.day:02d}")
        return "-".join(parts)


def _parse_uncached(text: object) -> PartialDate:
    match = PARTIAL_DATE.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise DateError(f"{text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else None for g in match.groups())
    if year < 1:
        raise DateError(f"{text!r}: there is no year 0")
    if month is not None and not 1 <= month <= 12:
        raise DateError(f"{text!r} has no month {month}")
    if day is not None:
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            raise DateError(f"{text!r} does not exist: {MONTHS[month - 1]} {year} has {last} days")
    return PartialDate(year, month, day)


# Dates repeat a great deal across a layer of events, and every rerun of the app asks again;
# a PartialDate is immutable, so the parsed value can be shared.
_parse_partial_date = lru_cache(maxsize=65536)(_parse_uncached)


@lru_cache(maxsize=65536)
def date_range_label(start: str | None, end: str | None) -> str:
    """'3 Jan 2020', '13 Apr 2024 – 14 Apr 2024', 'Jun 2019 – present' style labels."""
    if not start:
        return ""
    first = PartialDate.parse(start).label()
    if end is None:
        return first
    if end == start:
        return first
    return f"{first} – {PartialDate.parse(end).label()}"


# C0 and C1 controls, line and paragraph separators, bidirectional controls and lone surrogates:
# in a terminal they start lines, move the cursor, reorder text, or cannot be encoded at all.
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def printable(text: str) -> str:
    """``text`` with every character that could forge or garble a line of output escaped as
    ``\\xNN`` or ``\\uNNNN``."""
    return _UNPRINTABLE.sub(_escape_character, text)


def _escape_character(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


@dataclass(frozen=True)
class Message:
    """One finding of the validator, printed as
    ``file:line: feature <id>: <field>: <what is wrong> - <how to fix>``."""

    level: Level
    code: str
    file: str
    text: str
    fix: str = ""
    line: int | None = None
    feature: str | None = None
    field: str | None = None
    path: tuple[str | int, ...] = ()

    def format(self) -> str:
        """One line, safe for a terminal: text from the file cannot start a new line, move
        the cursor, reorder what is shown or fail to print."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [where]
        if self.feature is not None:
            parts.append(f"feature {self.feature}")
        if self.field:
            parts.append(self.field)
        body = self.text if not self.fix else f"{self.text} - {self.fix}"
        prefix = "" if self.level == "error" else "warning: "
        return printable(": ".join(parts) + ": " + prefix + body)

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "feature": self.feature,
            "field": self.field,
            "message": self.text,
            "fix": self.fix,
        }


@dataclass
class Layer:
    """A layer file as loaded: its metadata and its features as plain GeoJSON dicts."""

    path: Path
    meta: dict[str, Any]
    features: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.meta["id"]

    @property
    def title(self) -> str:
        return self.meta["title"]

    @property
    def group(self) -> str:
        return self.meta["group"]

    @property
    def reviewed(self) -> str | None:
        """The day the layer was last checked against its sources, if it says."""
        value = self.meta.get("reviewed")
        return value if isinstance(value, str) else None
