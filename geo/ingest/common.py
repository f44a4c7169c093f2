"""What every importer shares: opening an export (plain, gzipped or zipped), reading its rows
with their line numbers, cleaning text, the row problems, and assembling the layer document.

An importer turns one row into one feature or raises :class:`RowError`; nothing here draws,
validates a whole layer or prints.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import pycountry

from geo.model import Message
from geo.validate.text import BIDI_OVERRIDES, FORBIDDEN, INVISIBLE, MARKUP

MAX_TEXT = 4000  # the schema's plainText limit
IMPORTED_CLAIM_STATUS = "reported"
# A dataset row's text may be long; csv refuses fields over 128 KiB unless told otherwise.
FIELD_LIMIT = 2**31 - 1


class ImportFileError(Exception):
    """A file that cannot be imported at all; the text is one line: what is wrong and the fix."""

    @classmethod
    def from_message(cls, message: Message) -> ImportFileError:
        """From a validator's or reader's message, which names the file itself."""
        where = f"line {message.line}: " if message.line else ""
        if message.feature is not None:
            where += f"feature {message.feature}: "
        if message.field:
            where += f"{message.field}: "
        fix = f" - {message.fix}" if message.fix else ""
        return cls(f"{where}{message.text}{fix}")


class RowError(Exception):
    """One row that cannot be placed on the map; the text says why, ``fix`` how to fix it."""

    def __init__(self, text: str, fix: str = "") -> None:
        super().__init__(text)
        self.text = text
        self.fix = fix


@dataclass
class Dataset:
    """The dataset an export comes from, cited as one work."""

    name: str
    source_title: str
    publisher: str
    url: str
    terms: str
    terms_url: str
    version: str | None = None


@dataclass
class ImportResult:
    """The layer document built from an export, and one message per row left out."""

    doc: dict[str, Any]
    rows: int
    problems: list[Message] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    """What the user may say about an import beyond the file itself."""

    layer_id: str | None = None
    title: str | None = None
    accessed: str | None = None
    version: str | None = None
    today: dt.date = field(default_factory=dt.date.today)
    # Map on whole columns where the importer can (ACLED): for a GeoParquet output, whose
    # writer takes the columns as they are.
    columnar: bool = False


# ---------------------------------------------------------------------------------------------
# Reading


def open_text(path: Path) -> IO[str]:
    """The export as text: plain, gzipped (``.gz``, found by its magic bytes, not its name) or
    a zip archive holding one CSV file, as UCDP ships it.

    Raises
    ------
    ImportFileError
        When the file cannot be opened or a zip holds no single CSV.
    """
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
        if magic[:2] == b"\x1f\x8b":
            return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
        if magic == b"PK\x03\x04":
            archive = zipfile.ZipFile(path)
            members = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(members) != 1:
                raise ImportFileError(
                    f"the zip archive holds {len(members)} CSV files, not one - "
                    "unzip it and import the CSV file you mean"
                )
            return io.TextIOWrapper(archive.open(members[0]), encoding="utf-8-sig", newline="")
        return open(path, encoding="utf-8-sig", newline="")
    except (OSError, zipfile.BadZipFile) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ImportFileError(f"cannot read the file: {reason} - check the path") from None


def read_rows(
    handle: IO[str], required: tuple[str, ...], what: str
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and an iterator of (line number, fields) for each record.

    The line is where the record starts in the file (a quoted field may span lines).

    Raises
    ------
    ImportFileError
        When the header lacks one of ``required`` (the file is not ``what``), or the file is
        not UTF-8 text.
    """
    reader = csv.reader(handle)
    try:
        header = next(reader, None)
    except (csv.Error, UnicodeDecodeError, EOFError, OSError, zipfile.BadZipFile) as exc:
        raise ImportFileError(f"the file cannot be read as CSV text: {_reason(exc)}") from None
    if not header:
        raise ImportFileError(f"the file is empty - export it again from {what}")
    header = [column.strip().lower() for column in header]
    missing = [column for column in required if column not in header]
    if missing and (problem := other_separator(header)):
        raise ImportFileError(f"{problem} - {SEPARATOR_FIX}")
    twice = sorted({column for column in header if column and header.count(column) > 1})
    if twice:
        raise ImportFileError(
            f"the header names {', '.join(twice[:6])} twice - keep one column of each name"
        )
    if missing:
        shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
        raise ImportFileError(
            f"not {what}: the header lacks {shown} - export the file again with all columns, "
            "or choose the --format it is"
        )
    return header, _records(reader)


class Record(list):
    """A CSV record's fields, and the line where it ends: a quoted field may hold line breaks,
    and a stray quote joins the lines up to the next one into one record."""

    last_line: int = 0


def wrong_width(record: list[str], line: int, width: int, fix: str) -> RowError:
    """The error for a record of another number of fields than the header's; when the record
    spans lines, it names them, as a stray quote has joined them into one row."""
    last = getattr(record, "last_line", line)
    if last > line:
        return RowError(
            f"the row has {len(record)} fields, the header {width}, and runs from line {line} "
            f"to line {last}",
            "a quote that opens a field and is never closed joins the lines after it into one "
            "row: remove the stray quote",
        )
    return RowError(f"the row has {len(record)} fields, the header {width}", fix)


# A day, and perhaps a time after it (as a spreadsheet or a database writes a date).
DAY_AND_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")


def day_part(text: str) -> str | None:
    """The ``YYYY-MM-DD`` of a date written as a day or a day and a time, else None: the
    rest of '2024-01-15xyz' is not a time, so it is no date."""
    text = text.strip()
    return text[:10] if DAY_AND_TIME.fullmatch(text) else None


# What to do about a file separated by another mark than commas.
SEPARATOR_FIX = "save it as comma-separated CSV (UTF-8)"


def other_separator(header: list[str]) -> str | None:
    """What is wrong with a file separated by semicolons or tabs (a spreadsheet's export in a
    locale that separates with them), seen as a header read with commas that is one column
    holding them; None for any other header."""
    if len(header) == 1:
        for mark, word in ((";", "semicolons"), ("\t", "tabs")):
            if mark in header[0]:
                return f"its columns are separated by {word}, not commas"
    return None


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    line = reader.line_num + 1
    while True:
        try:
            record = Record(next(reader))
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError, EOFError, OSError, zipfile.BadZipFile) as exc:
            raise ImportFileError(
                f"line {line}: the file cannot be read further: {_reason(exc)}"
            ) from None
        if record:
            record.last_line = reader.line_num
            yield line, record
        line = reader.line_num + 1


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text - save the export as UTF-8 CSV"
    if isinstance(exc, EOFError | zipfile.BadZipFile):
        return "the compressed file is cut short - download it again"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def file_digest(path: Path) -> str:
    """SHA-256 of the file as downloaded, so the layer says exactly which export it came from."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Values


@lru_cache(maxsize=262144)
def clean(text: str, one_line: bool = True, naming: bool = False) -> str:
    """Text as the layer format accepts it, without changing what a reader sees: composed
    Unicode (NFC), no control or direction-override characters, and, for one-line fields, runs
    of whitespace as one space. Markup is not removed: a row holding it is refused.

    Cached: a dataset repeats its actors, places and types on thousands of rows.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        text = BIDI_OVERRIDES.sub("", text)
        if naming:
            text = INVISIBLE.sub("", text)
    if not text.isprintable():
        text = FORBIDDEN.sub("", text)
    if one_line:
        text = " ".join(text.split())
    return text.strip()


# The longest row id a layer keeps (layer.schema.json, source_id's maxLength).
MAX_ROW_ID = 200


def row_id(text: str, column: str, dataset: str) -> str:
    """A dataset row's own id, cleaned: a RowError when it is empty, holds markup or is
    longer than a layer's ``source_id`` may be."""
    found = clean(text, naming=True)
    if not slug(found):
        raise RowError(f"{column} is empty", f"every {dataset} row has its own event id")
    if len(found) > MAX_ROW_ID:
        raise RowError(
            f"{column} is {len(found):,} characters long, over {MAX_ROW_ID}",
            "check the row against the dataset",
        )
    return no_markup(found, column)


def no_markup(text: str, column: str) -> str:
    """``text``, or a RowError when it holds markup, which layer text may not."""
    if "<" in text and MARKUP.search(text):
        raise RowError(
            f"column {column} holds markup ({MARKUP.search(text).group()[:40]!r})",
            "layer text is plain text; remove the tag from the row",
        )
    return text


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters, saying so; only for our own notes, never a quote."""
    if len(text) <= limit:
        return text
    return text[: limit - 13].rstrip() + " (shortened)"


def number(text: str, column: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise RowError(
            f"{column} {text!r} is not a number", "write decimal degrees, e.g. 33.51"
        ) from None
    if not low <= value <= high:
        raise RowError(
            f"{column} {value} is outside {low} to {high}", "check the coordinates of the row"
        )
    return value


def count(text: str, column: str) -> int:
    """A non-negative whole number such as a fatality figure."""
    try:
        value = int(text.strip())
    except ValueError:
        raise RowError(
            f"{column} {text!r} is not a whole number", "write the figure as a whole number"
        ) from None
    if value < 0:
        raise RowError(f"{column} {value} is negative", "write the figure as 0 or more")
    return value


def code(text: str, column: str, allowed: dict[int, Any]) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = None
    if value not in allowed:
        raise RowError(
            f"{column} {text!r} is not one of the dataset's codes {min(allowed)}-{max(allowed)}",
            "check the row against the dataset's codebook",
        )
    return value


def slug(text: str) -> str:
    """A kebab-case id part: 'SYR12345' -> 'syr12345'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@lru_cache(maxsize=4096)
def alpha2_from_numeric(numeric: str) -> str | None:
    """ISO 3166-1 numeric ('760') -> alpha-2 ('SY'), or None."""
    try:
        country = pycountry.countries.get(numeric=f"{int(numeric):03d}")
    except (ValueError, LookupError):
        return None
    return country.alpha_2 if country else None


# Country names the datasets write that pycountry does not know by that name.
DATASET_NAMES = {"turkey": "TR", "palestine": "PS", "russia": "RU", "dr congo": "CD"}


@lru_cache(maxsize=4096)
def alpha2_from_name(name: str) -> str | None:
    """A country name as a dataset writes it ('Yemen (North Yemen)') -> alpha-2, or None when
    the name does not say one country plainly (we do not guess)."""
    plain = re.sub(r"\s*\(.*\)\s*$", "", name).strip()
    if not plain:
        return None
    if plain.lower() in DATASET_NAMES:
        return DATASET_NAMES[plain.lower()]
    try:
        return pycountry.countries.lookup(plain).alpha_2
    except LookupError:
        return None


# ---------------------------------------------------------------------------------------------
# The layer


def default_layer_id(path: Path, prefix: str) -> str:
    stem = path.name
    for suffix in (".gz", ".zip", ".csv", ".txt", ".geojson", ".json", ".parquet", ".geoparquet"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    stem = slug(stem)
    name = stem if stem.startswith(prefix) else f"{prefix}-{stem}".strip("-")
    return name[:80].strip("-")


def dataset_source(dataset: Dataset, accessed: str) -> dict[str, Any]:
    """The dataset itself as a source: every row cites it, with its own text in note/quote."""
    return {
        "title": dataset.source_title,
        "publisher": dataset.publisher,
        "url": dataset.url,
        "accessed": accessed,
    }


def build_layer(
    features: list[dict[str, Any]],
    dataset: Dataset,
    path: Path,
    options: Options,
    accessed: str,
    rows: int,
    prefix: str,
    color: str,
) -> dict[str, Any]:
    """The layer document: metadata with the provenance and the dataset's terms, then the
    features."""
    imported = options.today.isoformat()
    provenance: dict[str, Any] = {
        "dataset": dataset.name,
        "publisher": dataset.publisher,
        "url": dataset.url,
    }
    if dataset.version:
        provenance["version"] = dataset.version
    provenance.update(
        {
            "file": clean(path.name) or "export",
            "sha256": file_digest(path),
            "accessed": accessed,
            "imported": imported,
            "rows": rows,
            "imported_rows": len(features),
            "terms": dataset.terms,
            "terms_url": dataset.terms_url,
            "method": "python -m geo import; precision codes mapped as layers/README.md "
            "'Imported event data' says",
        }
    )
    title = options.title or f"{dataset.name} events from {clean(path.name) or 'an export'}"
    return {
        "type": "FeatureCollection",
        "layer": {
            "id": options.layer_id or default_layer_id(path, prefix),
            "title": clip(clean(title), 200),
            "group": "events",
            "description": (
                f"{len(features):,} events imported on {imported} from {clean(path.name)}, an "
                f"export of {dataset.name} accessed {accessed}. Dates, places and figures are "
                "the dataset's, at the precision it codes."
            ),
            "visible": True,
            "style": {"color": color, "marker": "circle"},
            "provenance": provenance,
        },
        "features": features,
    }


def problem(file: str, line: int, row_id: str | None, error: RowError) -> Message:
    label = f"row {row_id}" if row_id else "the row"
    return Message(
        "error",
        "row-skipped",
        file,
        f"{label} left out: {error.text}",
        error.fix,
        line=line,
    )
