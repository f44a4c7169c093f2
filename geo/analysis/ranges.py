"""The sourced table of missile and drone classes: ``data/missile_ranges.csv``.

One row is one figure from one source. Where sources disagree on a class's range, the table
keeps one row per figure, so a class may have several ranges.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from geo.model import DateError, PartialDate

RANGES_FILE = Path(__file__).resolve().parents[2] / "data" / "missile_ranges.csv"
COLUMNS = (
    "class",
    "actor",
    "range_km",
    "range_as_printed",
    "first_use",
    "source_title",
    "publisher",
    "url",
    "published",
    "accessed",
    "quote",
    "note",
)
REQUIRED = ("class", "actor", "range_km", "range_as_printed", "source_title", "publisher", "url")
HTTP_URL = re.compile(r"^[hH][tT][tT][pP][sS]?://[^\s]+$")


class TableError(ValueError):
    """The missile table cannot be read; the message names the file, the row and the fix."""


@dataclass(frozen=True)
class RangeFigure:
    """One sourced range of one class."""

    weapon: str
    actor: str
    range_km: float
    as_printed: str
    first_use: str | None
    source: dict[str, str]
    note: str = ""

    def first_day(self) -> dt.date | None:
        return PartialDate.parse(self.first_use).first_day() if self.first_use else None


@dataclass(frozen=True)
class WeaponClass:
    """A class with every sourced figure for it."""

    name: str
    actor: str
    figures: tuple[RangeFigure, ...]

    @property
    def longest_km(self) -> float:
        return max(f.range_km for f in self.figures)

    @property
    def shortest_km(self) -> float:
        return min(f.range_km for f in self.figures)

    def first_day(self) -> dt.date | None:
        """The earliest first use any source gives; None when none gives one."""
        days = [day for f in self.figures if (day := f.first_day())]
        return min(days) if days else None

    def in_use_on(self, as_of: dt.date | None) -> bool:
        """Whether the class counts on ``as_of``: a class whose first use is unknown counts on
        every date (and the exposure table says so)."""
        first = self.first_day()
        return as_of is None or first is None or first <= as_of


def read_table(path: Path = RANGES_FILE) -> list[RangeFigure]:
    """Every row of the table, checked. Raises TableError naming the file and the row."""
    return list(_read_cached(str(path), path.stat().st_mtime_ns))


@lru_cache(maxsize=8)
def _read_cached(name: str, _mtime: int) -> tuple[RangeFigure, ...]:
    path = Path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TableError(f"{name}: cannot be read ({exc}): restore the file from git") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise TableError(f"{name}: missing column(s) {', '.join(missing)}: add them to the header")
    return tuple(_row(row, number, name) for number, row in enumerate(reader, start=2))


def _row(row: dict[str, str], line: int, name: str) -> RangeFigure:
    where = f"{name}:{line}"
    for key in REQUIRED:
        if not (row.get(key) or "").strip():
            raise TableError(f"{where}: {key} is empty: fill it in")
    try:
        km = float(row["range_km"])
    except ValueError:
        km = math.nan
    if not math.isfinite(km) or km <= 0:
        raise TableError(f"{where}: range_km {row['range_km']!r} is not a positive number of km")
    if not HTTP_URL.match(row["url"]):
        raise TableError(f"{where}: url {row['url']!r} is not an http(s) link: cite the page")
    for key in ("first_use", "published", "accessed"):
        if row.get(key):
            try:
                PartialDate.parse(row[key])
            except DateError as exc:
                raise TableError(f"{where}: {key}: {exc}") from None
    source = {
        "title": row["source_title"],
        "publisher": row["publisher"],
        "url": row["url"],
    }
    for key in ("published", "accessed", "quote"):
        if row.get(key):
            source[key] = row[key]
    return RangeFigure(
        weapon=row["class"].strip(),
        actor=row["actor"].strip(),
        range_km=km,
        as_printed=row["range_as_printed"],
        first_use=row["first_use"] or None,
        source=source,
        note=row.get("note") or "",
    )


def classes(figures: Iterable[RangeFigure]) -> list[WeaponClass]:
    """The figures grouped by class and actor, in the table's order."""
    grouped: dict[tuple[str, str], list[RangeFigure]] = {}
    for figure in figures:
        grouped.setdefault((figure.weapon, figure.actor), []).append(figure)
    return [WeaponClass(name, actor, tuple(found)) for (name, actor), found in grouped.items()]
