"""What a file is and how many rows it holds, found cheaply before anything is parsed: the step
that lets an upload of 200 MB be refused or accepted in a fraction of a second.

- :func:`sniff_format`: the importer format of a file, from its magic bytes and header row.
- :func:`count_rows`: the rows (CSV records, GeoJSON features, Parquet rows) up to a limit.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import orjson

from geo.ingest.common import (
    FIELD_LIMIT,
    SEPARATOR_FIX,
    ImportFileError,
    open_text,
    other_separator,
)

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"
# The columns that tell one export from another in a header row.
ACLED_MARKS = ("event_id_cnty", "geo_precision", "time_precision")
UCDP_MARKS = ("where_prec", "date_prec", "side_a")


def is_compressed(path: Path) -> bool:
    """Whether the file is gzipped or zipped (by its magic bytes, not its name)."""
    with open(path, "rb") as handle:
        magic = handle.read(4)
    return magic[:2] == GZIP_MAGIC or magic == ZIP_MAGIC


def sniff_format(path: Path) -> str:
    """``geoparquet``, ``geojson``, ``acled``, ``ucdp`` or ``csv`` (our own columns).

    Raises
    ------
    ImportFileError
        When the file is none of them.
    """
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if not magic:
        raise ImportFileError("the file is empty - upload the export itself")
    if magic == PARQUET_MAGIC:
        return "geoparquet"
    first = _first_text(path)
    if first.lstrip("\ufeff \t\r\n").startswith(("{", "[")):
        return "geojson"
    try:
        header = next(csv.reader([first.splitlines()[0] if first else ""]), [])
    except csv.Error:
        header = []
    columns = {column.strip().lower() for column in header}
    if all(mark in columns for mark in ACLED_MARKS):
        return "acled"
    if all(mark in columns for mark in UCDP_MARKS):
        return "ucdp"
    if {"latitude", "longitude"} <= columns:
        return "csv"
    if problem := other_separator(header):
        raise ImportFileError(f"{problem} - {SEPARATOR_FIX}")
    raise ImportFileError(
        "neither GeoParquet, GeoJSON nor a CSV with latitude and longitude columns - "
        "choose the format in the upload box"
    )


def _first_text(path: Path) -> str:
    try:
        with open_text(path) as handle:
            return handle.read(64 * 1024)
    except (UnicodeDecodeError, EOFError, OSError, zipfile.BadZipFile):
        return ""


class TooLarge(Exception):
    """A compressed file that expands beyond the byte limit; the text says by how much."""


def count_rows(path: Path, fmt: str, limit: int, max_bytes: int) -> int:
    """How many rows the file holds, enough to hold it to ``limit``: ``limit + 1`` as soon
    as there are more.

    CSV: the line breaks, less the header's, when those are within the limit (then an upper
    bound: a quoted field may hold line breaks); past it, the records, read with the CSV reader
    until the limit is passed. GeoJSON: the features list's length. GeoParquet: the footer's
    row count. Raises :class:`TooLarge` as soon as a compressed file expands beyond
    ``max_bytes``.
    """
    if fmt == "geoparquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return pq.read_metadata(path).num_rows
        except (OSError, pa.ArrowException):
            return 0  # the importer names the problem
    if fmt == "geojson":
        return _count_features(path, limit, max_bytes)
    lines = 0
    ends_with_break = True
    for chunk in read_chunks(path, max_bytes):
        # A line ends in LF, CRLF or (old Mac and Excel exports) a lone CR.
        lines += max(chunk.count(b"\n"), chunk.count(b"\r"))
        ends_with_break = chunk.endswith((b"\n", b"\r"))
        if lines > limit + 1 + 1_000:
            break
    rows = lines - 1 + (0 if ends_with_break else 1)  # less the header
    if rows <= limit:
        return max(rows, 0)
    # The limit is the process's: put it back, or every later CSV read would take any field.
    before = csv.field_size_limit(FIELD_LIMIT)
    records = 0
    try:
        with open_text(path) as handle:
            reader = csv.reader(handle)
            next(reader, None)
            for _record in reader:
                records += 1
                if records > limit:
                    break
    finally:
        csv.field_size_limit(before)
    return records


def _count_features(path: Path, limit: int, max_bytes: int) -> int:
    """The features of a GeoJSON file: the whole file is parsed, once, by orjson in C."""
    raw = b"".join(read_chunks(path, max_bytes))
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return 0  # the importer names the problem
    features = doc.get("features") if isinstance(doc, dict) else None
    count = len(features) if isinstance(features, list) else 0
    return min(count, limit + 1)


def read_chunks(path: Path, max_bytes: int) -> Iterator[bytes]:
    """The file's bytes, decompressed if it is gzipped or zipped, a megabyte at a time.

    Raises :class:`TooLarge` once more than ``max_bytes`` have come out."""
    with open(path, "rb") as handle:
        magic = handle.read(4)
    total = 0
    with contextlib.ExitStack() as stack:
        if magic[:2] == GZIP_MAGIC:
            handle = stack.enter_context(gzip.open(path, "rb"))
        elif magic == ZIP_MAGIC:
            archive = stack.enter_context(zipfile.ZipFile(path))
            names = [n for n in archive.namelist() if not n.endswith("/")]
            if not names:
                return
            # The member the importer reads (common.open_text): its one CSV file.
            tables = [n for n in names if n.lower().endswith(".csv")]
            handle = stack.enter_context(archive.open(tables[0] if tables else names[0]))
        else:
            handle = stack.enter_context(open(path, "rb"))
        while chunk := _read(handle):
            total += len(chunk)
            if total > max_bytes:
                raise TooLarge(f"it expands to more than {max_bytes:,} bytes")
            yield chunk


def _read(handle: IO[bytes]) -> bytes:
    """The next chunk; an :class:`ImportFileError` for a gzip or zip that is cut short or
    damaged, as the importer words it (geo/ingest/common.py)."""
    try:
        return handle.read(CHUNK)
    except (EOFError, zipfile.BadZipFile, zlib.error, gzip.BadGzipFile):
        raise ImportFileError("the compressed file is cut short - download it again") from None
