"""Questions to a Parquet layer, asked through DuckDB so that only the answer reaches Python.

Everything here is core DuckDB SQL (Parquet reading, dates, lists, JSON are built in): no
extension is installed or loaded, so it runs on a closed network. Positions are read from the
GeoParquet ``bbox`` covering column, which for a point is the point itself.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from geo.store.columns import BBOX, GEOMETRY, property_columns, rows_to_features

# The text that the catalog's search looks in, as SQL: the same fields, in the same order.
SEARCH_COLUMNS = ("name", "description", "actor", "actor_note", "target", "operator", "outcome")
SOURCE_SEARCH_KEYS = ("title", "publisher")


@dataclass(frozen=True)
class Filter:
    """What a view asks of one layer, already in the terms a table can answer.

    ``actors`` are whole actor values as written (the catalog has matched them against the
    view's actors); ``words`` are the search words, case-folded. None means no limit.
    """

    all_events: bool
    event_kinds: tuple[str, ...] = ()
    event_fields: tuple[str, ...] = ()  # a row with any of these is an event, whatever its kind
    window_from: dt.date | None = None
    window_to: dt.date | None = None
    as_of: dt.date | None = None
    # With ``as_of``, a span of as-of dates: what is in place on any day from this one to
    # ``as_of`` (the rows any date of the span could show; geo/render/held.py).
    as_of_from: dt.date | None = None
    countries: tuple[str, ...] | None = None
    actors: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None
    words: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None


# Core SQL that Spark SQL (and so Apache Sedona) reads too: CASE, CAST, concat, last_day.
def _first_day(column: str) -> str:
    return (
        f"CAST(CASE length({column}) WHEN 4 THEN concat({column}, '-01-01') "
        f"WHEN 7 THEN concat({column}, '-01') ELSE {column} END AS DATE)"
    )


def _last_day(column: str) -> str:
    return (
        f"CASE length({column}) WHEN 4 THEN CAST(concat({column}, '-12-31') AS DATE) "
        f"WHEN 7 THEN last_day(CAST(concat({column}, '-01') AS DATE)) "
        f"ELSE CAST({column} AS DATE) END"
    )


KEPT_ROW_NUMBERS = 4  # answers of Table.row_numbers kept (8 MB an answer of a million rows)
# A row's first day, last day (of the end, or else of the start) and the end's last day.
FIRST_DAY = _first_day('"start"')
LAST_DAY = _last_day('coalesce("end", "start")')
END_LAST_DAY = _last_day('"end"')


def _event_test(spec: Filter, params: dict[str, Any]) -> str:
    """Whether a row is an event, as SQL (its parameters added to ``params``)."""
    if spec.all_events:
        return "TRUE"
    params["event_kinds"] = list(spec.event_kinds)
    tests = ['"kind" IN (SELECT unnest($event_kinds))']
    tests += [f'"{name}" IS NOT NULL' for name in spec.event_fields]
    return "(" + " OR ".join(tests) + ")"


def where_clause(spec: Filter) -> tuple[str, dict[str, Any]]:
    """The SQL condition for ``spec`` over the ``layer`` relation, and its parameters."""
    params: dict[str, Any] = {}
    first, last, end_last = FIRST_DAY, LAST_DAY, END_LAST_DAY
    event_test = _event_test(spec, params)
    params["window_from"] = spec.window_from
    params["window_to"] = spec.window_to
    params["as_of"] = spec.as_of
    params["as_of_from"] = spec.as_of_from or spec.as_of
    parts = [
        f"CASE WHEN {event_test} THEN "
        f"($window_from IS NULL OR {last} >= $window_from) "
        f"AND ($window_to IS NULL OR {first} <= $window_to) "
        f"ELSE ($as_of IS NULL OR ({first} <= $as_of "
        f'AND ("end" IS NULL OR {end_last} >= $as_of_from))) END'
    ]
    for name, column, values in (
        ("countries", "country", spec.countries),
        ("actors", "actor", spec.actors),
        ("kinds", "kind", spec.kinds),
        ("statuses", "claim_status", spec.statuses),
    ):
        if values is not None:
            parts.append(f'"{column}" IN (SELECT unnest(${name}))')
            params[name] = list(values)
    if spec.bbox is not None:
        parts.append(
            f"{BBOX}.xmax >= $west AND {BBOX}.xmin <= $east "
            f"AND {BBOX}.ymax >= $south AND {BBOX}.ymin <= $north"
        )
        params.update(zip(("west", "south", "east", "north"), spec.bbox, strict=True))
    if spec.words:
        parts.append(f"posture_contains_all({_haystack()}, $words)")
        params["words"] = list(spec.words)
    return " AND ".join(f"({part})" for part in parts), params


def _haystack() -> str:
    texts = [f'"{name}"' for name in SEARCH_COLUMNS]
    texts += [
        f"array_to_string(json_extract_string(\"sources\", '$[*].{key}'), ' ')"
        for key in SOURCE_SEARCH_KEYS
    ]
    return f"concat_ws(' ', {', '.join(texts)})"


def _contains_all(haystacks: pa.Array, words: pa.Array) -> pa.Array:
    """Whether each text holds every word, compared case-folded as the catalog's search does
    (DuckDB's lower() is not Python's casefold(): 'Straße' must match 'strasse')."""
    wanted = (words[0].as_py() or []) if len(words) else []
    return pa.array(
        [
            text is not None and all(word in text.casefold() for word in wanted)
            for text in haystacks.to_pylist()
        ],
        type=pa.bool_(),
    )


class Table:
    """One Parquet layer file, asked through its own embedded DuckDB connection."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path = path
        self.columns = columns
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        # A layer file is read, never written, while its Table lives (the catalog makes a new
        # one when the file changes), so its distinct values are asked once: the app's filters
        # want them on every run.
        self._distinct: dict[str, list[str]] = {}
        self._span: tuple[dt.date, dt.date] | bool | None = False  # False: not asked yet
        self._rows: dict[Filter, np.ndarray] = {}  # row_numbers' last answers

    def __getstate__(self) -> dict[str, Any]:  # a connection cannot be pickled or copied
        return {"path": self.path, "columns": self.columns}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], state["columns"])

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            con = duckdb.connect(":memory:")
            con.create_function(
                "posture_contains_all",
                _contains_all,
                ["VARCHAR", "VARCHAR[]"],
                "BOOLEAN",
                type="arrow",
                null_handling="special",
            )
            self._con = con
        return self._con

    def _relation(self) -> str:
        """Every property column, NULL for those the file leaves out, in file order."""
        plain, nested = property_columns()
        present = set(self.columns)
        select = [
            f'"{name}"' if name in present else f'NULL::VARCHAR AS "{name}"'
            for name in (*plain, *nested)
        ]
        select += [GEOMETRY, BBOX if BBOX in present else f"NULL AS {BBOX}", "file_row_number"]
        return (
            f"(SELECT {', '.join(select)} FROM read_parquet($path, file_row_number = true)) "
            "AS layer"
        )

    def arrow(self, sql_tail: str, params: dict[str, Any], select: str = "*") -> pa.Table:
        """``SELECT select FROM layer sql_tail`` as an Arrow table."""
        sql = f"SELECT {select} FROM {self._relation()} {sql_tail}"
        with self._lock:
            relation = self._connection().sql(sql, params={"path": str(self.path), **params})
            return relation.to_arrow_table()

    def at_rows(self, numbers: list[int], select: str = "*") -> pa.Table:
        """``SELECT select`` of the rows with these file row numbers, in the order given: a
        semi-join, where list_contains would search the list once a row."""
        answer = self.arrow(
            "WHERE file_row_number IN (SELECT unnest($rows))",
            {"rows": numbers},
            f"{select}, file_row_number AS posture_at",
        )
        positions = pc.index_in(
            pa.array(numbers, pa.int64()), value_set=answer.column("posture_at")
        )
        return answer.drop_columns(["posture_at"]).take(positions)

    def select(self, spec: Filter) -> list[dict[str, Any]]:
        """The features ``spec`` shows, in file order."""
        where, params = where_clause(spec)
        return rows_to_features(self.arrow(f"WHERE {where} ORDER BY file_row_number", params))

    def row_numbers(self, spec: Filter) -> np.ndarray:
        """The file row number of every row ``spec`` shows (in no set order). The last few
        answers are kept: the app counts a view's rows for the sidebar and then asks for them
        to draw (geo/render/held.py), and at a million rows each question is a scan."""
        with self._lock:
            found = self._rows.pop(spec, None)
        if found is None:
            where, params = where_clause(spec)
            rows = self.arrow(f"WHERE {where}", params, "file_row_number AS r").column("r")
            found = rows.to_numpy().astype(np.int64)
        with self._lock:
            self._rows[spec] = found  # the most recent last
            while len(self._rows) > KEPT_ROW_NUMBERS:
                self._rows.pop(next(iter(self._rows)))
        return found

    def days(self, spec: Filter) -> dict[str, np.ndarray]:
        """Of every row ``spec`` shows, as the time rule reads it: ``first`` day, ``last`` day
        (of the end, or else of the start), ``end`` (the end's last day; the latest date
        numpy holds when it has none) and ``event``, as numpy days and booleans."""
        where, params = where_clause(spec)
        event = _event_test(spec, params)
        select = (
            f'{FIRST_DAY} AS first, {LAST_DAY} AS last, {END_LAST_DAY} AS "end", {event} AS event'
        )
        table = self.arrow(f"WHERE {where}", params, select)
        found = {
            name: table.column(name).to_numpy().astype("datetime64[D]")
            for name in ("first", "last")
        }
        end = table.column("end").fill_null(dt.date.max).to_numpy().astype("datetime64[D]")
        event_rows = table.column("event").fill_null(False).to_numpy(zero_copy_only=False)
        return {**found, "end": end, "event": event_rows.astype(bool)}

    def count(self, spec: Filter) -> int:
        """How many rows ``spec`` shows: counted from :meth:`row_numbers`, whose answer the
        drawing of the same view then takes as it is."""
        return len(self.row_numbers(spec))

    def find(self, feature_id: str) -> dict[str, Any] | None:
        found = rows_to_features(
            self.arrow('WHERE "id" = $id ORDER BY file_row_number LIMIT 1', {"id": feature_id})
        )
        return found[0] if found else None

    def distinct(self, column: str) -> list[str]:
        """The distinct text values of a column, without nulls."""
        if column not in self.columns:
            return []
        if column not in self._distinct:
            table = self.arrow(f'WHERE "{column}" IS NOT NULL', {}, f'DISTINCT "{column}" AS v')
            values = table.column("v").to_pylist()
            self._distinct[column] = [value for value in values if isinstance(value, str)]
        return list(self._distinct[column])

    def newest_date(self) -> str | None:
        """The start or end, as written, whose last day is the latest (ties: the first row's)."""
        dates = (
            'SELECT CASE n WHEN 0 THEN "start" ELSE "end" END AS v, file_row_number AS r, n '
            f"FROM {self._relation()} CROSS JOIN (VALUES (0), (1)) AS which(n)"
        )
        sql = (
            f"SELECT v FROM ({dates}) WHERE v IS NOT NULL "
            f"ORDER BY {_last_day('v')} DESC, r, n LIMIT 1"
        )
        with self._lock:
            found = self._connection().sql(sql, params={"path": str(self.path)}).fetchall()
        return found[0][0] if found else None

    def date_span(self) -> tuple[dt.date, dt.date] | None:
        """The first day of the earliest start and the last day of the latest end (or start);
        asked once (the file is not written while its Table lives)."""
        if self._span is False:
            self._span = self._date_span()
        return self._span

    def _date_span(self) -> tuple[dt.date, dt.date] | None:
        sql = f"SELECT min({FIRST_DAY}), max({LAST_DAY}) FROM {self._relation()}"
        with self._lock:
            [(first, last)] = (
                self._connection().sql(sql, params={"path": str(self.path)}).fetchall()
            )
        return (first, last) if first is not None and last is not None else None

    def batches(self, size: int = 10_000) -> Iterator[list[dict[str, Any]]]:
        """Every feature, in file order, a batch at a time."""
        import pyarrow.parquet as pq

        with pq.ParquetFile(self.path) as handle:
            for batch in handle.iter_batches(batch_size=size):
                yield rows_to_features(pa.Table.from_batches([batch]))

    def row(self, index: int) -> dict[str, Any]:
        found = rows_to_features(
            self.arrow("WHERE file_row_number = $n", {"n": index}),
        )
        if not found:
            raise IndexError(index)
        return found[0]
