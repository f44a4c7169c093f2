"""ACLED exports mapped on whole columns: the fast path for a GeoParquet output.

The row path (:func:`geo.ingest.acled.row_feature`) stays the reference. Here the export is read
by pyarrow's CSV reader and each property is built for all rows at once: Arrow string kernels
for the text, numpy for the numbers, and the reference's own functions once per distinct value
(a place, an event type, a date and its precision). A row whose values are not plain (markup,
a number or date written in an unusual way, a value the reference would cut short) goes through
``row_feature`` itself, so its feature or its reason for being left out is the reference's.
A file pyarrow cannot parse as the row path would (a zip, a row with the wrong number of fields,
text that is not UTF-8, a repeated column) is left to the row path whole: ``None``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from geo.ingest import acled
from geo.ingest.common import (
    IMPORTED_CLAIM_STATUS,
    MAX_TEXT,
    Options,
    RowError,
    clean,
    open_text,
    problem,
    read_rows,
)
from geo.ingest.rows import distant_countries, distant_note
from geo.model import Message
from geo.store.columns import ColumnFeatures, features_to_columns, property_columns

# Plain values, which the vectorised mapping handles exactly as the row path would.
_PRINTABLE = r"^[\x20-\x7e]*$"  # printable ASCII: clean() leaves it as it is, bar spaces
_ID = r"^[\x21-\x3b\x3d-\x7e]{1,200}$"  # printable ASCII but "<" (maybe markup), as source_id
_DEGREES = r"^-?[0-9]{1,3}(\.[0-9]{1,6})?$"  # at most 6 decimals: round(x, 6) == x
_DAY = r"^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$"
_FIGURE = r"^[0-9]{0,15}$"  # blank (no figure) or a whole number
_CODES = ("1", "2", "3")
_TEXT_COLUMNS = (
    "event_id_cnty", "event_type", "sub_event_type", "actor1", "assoc_actor_1", "actor2",
    "assoc_actor_2", "location", "admin2", "admin1", "country", "source", "source_scale",
    "notes",
)  # fmt: skip


class _Rows:
    """The export's columns, plain text, with "" for a column the export lacks."""

    def __init__(self, table: pa.Table) -> None:
        self.n = table.num_rows
        # One contiguous array per column, made once: each is read many times.
        self.columns = {name: table.column(name).combine_chunks() for name in table.column_names}

    def __getitem__(self, name: str) -> pa.Array:
        if name not in self.columns:
            self.columns[name] = pa.array([""] * self.n, pa.string())
        return self.columns[name]

    def row(self, index: int) -> dict[str, str]:
        return {name: self[name][index].as_py() for name in (*acled.REQUIRED, *acled.OPTIONAL)}


def import_columns(
    path: Path, options: Options, source: dict[str, Any]
) -> tuple[ColumnFeatures, list[Message], int] | None:
    """(the features, one message per row left out, rows read), or None when the file must go
    the row path. Raises ImportFileError as the row path does for a file that is not ACLED."""
    with open_text(path) as handle:
        header, _ = read_rows(handle, acled.REQUIRED, acled.WHAT)
    table = _read(path, header)
    if table is None:
        return None
    rows = _Rows(table)
    columns, lon, lat, errors = _map(rows, options, source)
    problems = _problems(path, rows, errors)
    n = rows.n
    keep = pc.invert(pa.array(errors_mask(errors, n)))
    del table, rows.columns  # the export's text, no longer needed
    if errors:
        columns = {name: column.filter(keep) for name, column in columns.items()}
        keep_np = keep.to_numpy(zero_copy_only=False)
        lon, lat = lon[keep_np], lat[keep_np]
    _distant(columns, lon, lat)
    return ColumnFeatures(columns, lon, lat), problems, n


def errors_mask(errors: dict[int, RowError], n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[list(errors)] = True
    return mask


def _read(path: Path, header: list[str]) -> pa.Table | None:
    import pyarrow.csv as csv

    if len(set(header)) != len(header):
        return None
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic == b"PK\x03\x04":
        return None
    wanted = [c for c in (*acled.REQUIRED, *acled.OPTIONAL) if c in header]
    source: Any = str(path)
    if magic[:2] == b"\x1f\x8b":
        source = pa.CompressedInputStream(pa.OSFile(str(path)), "gzip")
    try:
        return csv.read_csv(
            source,
            read_options=csv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=csv.ParseOptions(newlines_in_values=True),
            convert_options=csv.ConvertOptions(
                include_columns=wanted,
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError, EOFError):
        return None  # the row path names the line and the reason


# ---------------------------------------------------------------------------------------------
# The mapping


def _map(
    rows: _Rows, options: Options, source: dict[str, Any]
) -> tuple[dict[str, pa.Array], np.ndarray, np.ndarray, dict[int, RowError]]:
    """Every property column for every row, the positions, and the rows left out with why."""
    n = rows.n
    odd = np.zeros(n, dtype=bool)  # rows the reference maps itself

    def flag(mask: pa.Array) -> None:
        odd[mask.to_numpy(zero_copy_only=False)] = True

    for name in _TEXT_COLUMNS:
        flag(pc.match_substring(rows[name], "<"))  # maybe markup: the reference says
    raw_id = rows["event_id_cnty"]
    flag(pc.invert(pc.match_substring_regex(raw_id, _ID)))
    slug = pc.utf8_trim(pc.replace_substring_regex(pc.utf8_lower(raw_id), "[^a-z0-9]+", "-"), "-")
    flag(pc.equal(slug, ""))
    lat, lon = _degrees(rows["latitude"], 90, flag), _degrees(rows["longitude"], 180, flag)
    geo_code, time_code = rows["geo_precision"], rows["time_precision"]
    for codes in (geo_code, time_code):
        flag(pc.invert(pc.is_in(codes, pa.array(_CODES))))
    day = rows["event_date"]
    plain_day = pc.match_substring_regex(day, _DAY)
    flag(pc.invert(plain_day))
    parsed = pc.strptime(pc.if_else(plain_day, day, "2000-01-01"), "%Y-%m-%d", "s", True)
    flag(pc.is_null(parsed))
    flag(pc.fill_null(pc.greater(pc.cast(parsed, pa.date32()), pa.scalar(options.today)), True))
    figure = rows["fatalities"]
    plain_figure = pc.match_substring_regex(figure, _FIGURE)
    flag(pc.invert(plain_figure))
    digits = pc.if_else(pc.and_(plain_figure, pc.not_equal(figure, "")), figure, "0")
    fatalities = pc.if_else(  # as JSON text, as the row path writes it: no leading zeros
        pc.equal(figure, ""),
        pa.scalar(None, pa.string()),
        pc.cast(pc.cast(digits, pa.int64()), pa.string()),
    )

    safe_geo = pc.if_else(pc.is_in(geo_code, pa.array(_CODES)), geo_code, "1")
    safe_time = pc.if_else(pc.is_in(time_code, pa.array(_CODES)), time_code, "1")
    safe_day = pc.if_else(pc.fill_null(plain_day, False), day, "2000-01-01")
    safe_day = pc.if_else(pc.is_null(parsed), "2000-01-01", safe_day)
    start, end, date_note = _per_combo([safe_day, safe_time], _dates, 3)
    flag(pc.equal(start, ""))
    where = _per_combo(
        [rows["location"], rows["admin2"], rows["admin1"], rows["country"]], acled.place_words
    )[0]
    country = _per_combo([rows["iso"], rows["country"]], acled.country_code)[0]
    precision = _pick(safe_geo, [acled.GEO_PRECISION[c][0] for c in (1, 2, 3)])
    location_note = _cat(_pick(safe_geo, [acled.GEO_PRECISION[c][1] for c in (1, 2, 3)]),
                         ": ", where, ".")  # fmt: skip
    head, kind, event_type, type_words = _per_combo(
        [rows["event_type"], rows["sub_event_type"]], acled.type_texts, 4
    )
    actor1 = _per_value(rows["actor1"], acled.actor_name)
    actor2 = _per_value(rows["actor2"], lambda text: clean(text, naming=True))
    assoc1 = _per_value(rows["assoc_actor_1"], clean)
    assoc2 = _per_value(rows["assoc_actor_2"], clean)
    has_actor2 = pc.not_equal(actor2, "")
    description = _cat(
        "ACLED codes this as ", type_words, " involving ", actor1,
        _when(has_actor2, _cat(" and ", actor2)), " at ", where, ".",
    )  # fmt: skip
    actor_note = _cat(
        "ACLED actor 1: ", actor1, _when(pc.not_equal(assoc1, ""), _cat(" (with ", assoc1, ")")),
        _when(has_actor2, _cat("; actor 2: ", actor2,
                               _when(pc.not_equal(assoc2, ""), _cat(" (with ", assoc2, ")")))),
        ". ", acled.ACTORS_CAVEAT,
    )  # fmt: skip
    name = _cat(head, " in ", where)
    source_note = _source_note(rows, raw_id)
    sources, notes_length = _sources(rows, source_note, source)
    for text, limit in (
        (name, 300), (actor1, 300), (event_type, MAX_TEXT), (description, MAX_TEXT),
        (actor_note, MAX_TEXT), (location_note, MAX_TEXT), (source_note, MAX_TEXT - 1),
        (notes_length, MAX_TEXT),
    ):  # fmt: skip
        flag(pc.greater(pc.utf8_length(text), limit))  # the reference cuts it short

    values = {
        "id": pc.utf8_rtrim(pc.utf8_slice_codeunits(_cat("acled-", slug), 0, 80), "-"),
        "name": name,
        "kind": kind,
        "event_type": event_type,
        "start": start,
        "end": end,
        "date_note": date_note,
        "location_precision": precision,
        "location_note": location_note,
        "country": country,
        "description": description,
        "actor": actor1,
        "actor_note": actor_note,
        "claim_status": pa.array([IMPORTED_CLAIM_STATUS] * n, pa.string()),
        "fatalities": fatalities,
        "source_id": raw_id,
        "sources": sources,
    }
    lon_np = np.array(lon.to_numpy(zero_copy_only=False), dtype=float)  # writable copies
    lat_np = np.array(lat.to_numpy(zero_copy_only=False), dtype=float)
    errors = _odd_rows(rows, np.flatnonzero(odd), options, source, values, lon_np, lat_np)
    _repeated_ids(values["id"], raw_id, errors)
    plain, nested = property_columns()
    columns = {
        name: pc.cast(values[name], pa.large_string())
        if name in values
        else pa.nulls(n, pa.large_string())
        for name in (*plain, *nested)
    }
    return columns, lon_np, lat_np, errors


def _degrees(text: pa.Array, limit: int, flag: Callable[[pa.Array], None]) -> pa.Array:
    plain = pc.match_substring_regex(text, _DEGREES)
    value = pc.cast(pc.if_else(plain, text, "0"), pa.float64())
    outside = pc.greater(pc.abs(value), limit)
    flag(pc.or_(pc.invert(plain), outside))
    return value


def _dates(day: str, code: str) -> tuple[str, str | None, str | None]:
    """The reference's dates; a blank start for a day the calendar lacks (the reference says
    why, as the row is then not plain)."""
    try:
        return acled.acled_dates(dt.date.fromisoformat(day), int(code))
    except ValueError:
        return "", None, None


def _sources(rows: _Rows, note: pa.Array, source: dict[str, Any]) -> tuple[pa.Array, pa.Array]:
    """The sources column as the row path writes it (JSON text of ``[source]``), and each
    row's cleaned notes."""
    notes = rows["notes"]
    plain = pc.match_substring_regex(notes, _PRINTABLE)
    notes = _fill(pc.utf8_trim_whitespace(notes), plain, notes, lambda t: clean(t, one_line=False))
    # orjson writes a string as '"' + the text with \\ and \" escaped + '"' when it holds no
    # control character; one that does is written by orjson itself.
    quoted = _cat('"', _json_escape(notes), '"')
    controls = pc.match_substring_regex(notes, r"[\x00-\x1f]")
    quoted = _fill(quoted, pc.invert(controls), notes, lambda t: orjson.dumps(t).decode())
    head = orjson.dumps(source).decode()[:-1] + ',"note":'
    note = _json_escape(note)
    has_notes = pc.not_equal(notes, "")
    text = _cat("[", head, '"', note, '."', _when(has_notes, _cat(',"quote":', quoted)), "}]")
    return text, notes


def _source_note(rows: _Rows, raw_id: pa.Array) -> pa.Array:
    cited = _per_value(rows["source"], clean)
    scale = _per_value(rows["source_scale"], clean)
    has_cited = pc.not_equal(cited, "")
    scale_words = _when(pc.not_equal(scale, ""), _cat(" (scale: ", scale, ")"))
    return _cat(
        "ACLED event ", raw_id, _when(has_cited, _cat("; ACLED's sources: ", cited, scale_words)),
    )  # fmt: skip


def _odd_rows(
    rows: _Rows,
    odd: np.ndarray,
    options: Options,
    source: dict[str, Any],
    values: dict[str, pa.Array],
    lon: np.ndarray,
    lat: np.ndarray,
) -> dict[int, RowError]:
    """Map the rows that are not plain with the reference; put their values in place."""
    errors: dict[int, RowError] = {}
    features: dict[int, dict[str, Any]] = {}
    for index in odd.tolist():
        try:
            features[int(index)] = acled.row_feature(rows.row(index), options, source)
        except RowError as error:
            errors[int(index)] = error
    if features:
        mask = np.zeros(rows.n, dtype=bool)
        mask[list(features)] = True
        done = list(features.values())
        for name, column in features_to_columns(done).items():
            if name in values or any(value is not None for value in column):
                base = values.get(name, pa.nulls(rows.n, pa.string()))
                values[name] = pc.replace_with_mask(
                    pc.cast(base, pa.string()), pa.array(mask), pa.array(column, pa.string())
                )
        positions = np.array([f["geometry"]["coordinates"] for f in done], dtype=float)
        lon[mask], lat[mask] = positions[:, 0], positions[:, 1]
    return errors


def _repeated_ids(ids: pa.Array, raw_id: pa.Array, errors: dict[int, RowError]) -> None:
    """A row whose id an earlier imported row has is left out, as the row path does."""
    ok = np.flatnonzero(~errors_mask(errors, len(ids)))
    kept = ids.take(pa.array(ok)).dictionary_encode().indices.to_numpy()
    _, first = np.unique(kept, return_index=True)
    repeated = np.setdiff1d(np.arange(len(ok)), first)
    for index in ok[repeated].tolist():
        row_id = raw_id[index].as_py().strip()
        errors[index] = RowError(
            f"its id {row_id!r} appears on an earlier row too",
            "each row of the export has its own id; remove the repeated row",
        )


def _problems(path: Path, rows: _Rows, errors: dict[int, RowError]) -> list[Message]:
    """One message per row left out, at the line where the row starts, as the row path says."""
    if not errors:
        return []
    wanted = sorted(errors)
    lines: dict[int, int] = {}
    # Where a row starts needs the file read as the row path reads it: done only for the
    # rows left out, and only as far as the last of them.
    with open_text(path) as handle:
        _, records = read_rows(handle, acled.REQUIRED, acled.WHAT)
        for number, (line, _record) in enumerate(records):
            if number in errors:
                lines[number] = line
                if number == wanted[-1]:
                    break
    raw_id = rows["event_id_cnty"]
    return [
        problem(str(path), lines[i], raw_id[i].as_py().strip() or None, errors[i]) for i in wanted
    ]


def _distant(columns: dict[str, pa.Array], lon: np.ndarray, lat: np.ndarray) -> None:
    """As :func:`geo.ingest.rows.drop_distant_countries`, on the columns."""
    codes = columns["country"].to_pylist()
    distant = distant_countries(codes, np.column_stack([lon, lat]))
    if not distant:
        return
    mask = np.zeros(len(lon), dtype=bool)
    mask[list(distant)] = True
    notes = columns["location_note"]
    new_notes = [
        distant_note(notes[i].as_py(), codes[i], distance) for i, distance in distant.items()
    ]
    columns["location_note"] = pc.replace_with_mask(
        notes, pa.array(mask), pa.array(new_notes, pa.large_string())
    )
    columns["country"] = pc.if_else(pa.array(mask), pa.scalar(None, pa.large_string()),
                                    columns["country"])  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Column helpers


def _cat(*parts: pa.Array | str | None) -> pa.Array:
    """The parts joined end to end; a null part is left out."""
    return pc.binary_join_element_wise(*parts, "", null_handling="skip")


def _json_escape(text: pa.Array) -> pa.Array:
    """Backslashes and double quotes escaped as JSON writes them (each pass only if needed)."""
    for char, escaped in (("\\", "\\\\"), ('"', '\\"')):
        if pc.any(pc.match_substring(text, char)).as_py():
            text = pc.replace_substring(text, char, escaped)
    return text


def _when(condition: pa.Array, value: pa.Array) -> pa.Array:
    return pc.if_else(condition, value, pa.scalar(None, pa.string()))


def _pick(codes: pa.Array, choices: list[str]) -> pa.Array:
    """choices[code - 1] for each code of "1", "2", "3"."""
    index = pc.subtract(pc.cast(codes, pa.int8()), 1)
    return pa.array(choices, pa.string()).take(index)


def _fill(
    values: pa.Array, ok: pa.Array, originals: pa.Array, fn: Callable[[str], str]
) -> pa.Array:
    """``values`` where ``ok``, else ``fn`` of the original value."""
    if pc.all(ok).as_py() is not False:
        return values
    bad = pc.invert(ok)
    fixed = [fn(text) for text in originals.filter(bad).to_pylist()]
    return pc.replace_with_mask(values, bad, pa.array(fixed, pa.string()))


def _per_value(column: pa.Array, fn: Callable[[str], str]) -> pa.Array:
    """``fn`` of each value, called once per distinct value."""
    encoded = column.dictionary_encode()
    mapped = [fn(text) for text in encoded.dictionary.to_pylist()]
    return pa.array(mapped, pa.string()).take(encoded.indices)


def _per_combo(columns: list[pa.Array], fn: Callable[..., Any], width: int = 1) -> list[pa.Array]:
    """``fn`` of each row's values, called once per distinct combination; ``fn`` returns a
    value (``width`` 1) or a tuple of ``width`` values, each becoming a column."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        encoded = column.dictionary_encode()
        key = key * len(encoded.dictionary) + encoded.indices.to_numpy().astype(np.int64)
        _, key = np.unique(key, return_inverse=True)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    firsts = pa.array(first)
    args = zip(*(column.take(firsts).to_pylist() for column in columns), strict=True)
    results = [fn(*values) for values in args]
    if width == 1:
        results = [(value,) for value in results]
    take = pa.array(inverse)
    return [
        pa.array([result[n] for result in results], pa.string()).take(take) for n in range(width)
    ]
