"""A big Parquet layer's payload entry, built from Arrow columns rather than row by row.

:func:`geo.render.payload.build_payload` turns each feature into a dict (``_feature``) and a big
layer's plain points back into columns (``encode_columns``). For a Parquet layer of 100,000
events that is most of an export's time, so :func:`stored_part` asks DuckDB for the view's rows
as one Arrow table and builds the ``columns`` straight from it: each label (dates, precision,
kind, country, fatalities) is computed once per distinct value and spread to the rows by
index, and each column is encoded as ``_encode_column`` would encode it. Rows that are not
plain points (an origin line, a line or an area) keep the row path, unchanged.

The result is the row path's, value for value (tests/test_stored_columns.py compares them):
the same ``sources`` in the same order, the same ``columns`` and ``features``. A view this
cannot serve (a layer with too few plain points to be sent as columns) gets None, and the
caller takes the row path.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from geo.catalog import EVENT_FIELDS, EVENT_KINDS, _span
from geo.framing import PointRows
from geo.model import Layer
from geo.render.payload import (
    COORD_DECIMALS,
    OPTIONAL_TEXT,
    SORT_KEYS,
    WORK_FIELDS,
    _feature,
    _label,
    _precision_words,
    country_name,
    dates_label,
    fatalities_label,
    register_work,
)
from geo.store.columns import GEOMETRY, rows_to_features
from geo.store.query import Filter, Table, where_clause

# Feature keys copied from a text column when it holds text (an empty text is no value).
REQUIRED_TEXT = {
    "i": "id",
    "n": "name",
    "k": "kind",
    "lp": "location_precision",
    "de": "description",
}

# Each row's sources as DuckDB parses them: a list of structs of these fields, null if absent.
SOURCE_FIELDS = (*WORK_FIELDS, "quote", "note")
CITED = "posture_cited"
CITED_SQL = "from_json(\"sources\", '{}')".format(
    orjson.dumps([dict.fromkeys(SOURCE_FIELDS, "VARCHAR")]).decode()
)
# A lean part's (geo/render/held.py): the cited works alone, without quotes and notes.
WORKS_SQL = "from_json(\"sources\", '{}')".format(
    orjson.dumps([dict.fromkeys(WORK_FIELDS, "VARCHAR")]).decode()
)
# The free text a lean part leaves in the file, read again for the one row a user opens: at a
# million rows, reading it took 5 of 7 s of DuckDB's answer, and Python would hold a gigabyte.
LONG_TEXT = ("name", "description", "location_note", "actor_note", "source_id")
LEAN_SQL = "* REPLACE ({}), {} AS {}".format(
    ", ".join(f'NULL::VARCHAR AS "{name}"' for name in (*LONG_TEXT, "sources")), WORKS_SQL, CITED
)


@dataclass
class StoredPart:
    """One layer's share of the payload: ``features`` (those not sent as columns), ``columns``
    (see geo/render/payload.py), how many rows are drawn and matched, the rows as
    geo/framing.py frames the view with them, and each drawn row's number in the file (in the
    order of ``framed.plain``)."""

    features: list[dict[str, Any]]
    columns: dict[str, Any]
    shown: int
    total: int
    framed: PointRows
    file_rows: np.ndarray


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for a while: it would walk the ever more dicts and lists
    made here (none of them in a cycle) again and again, at 100,000 rows most of the time."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@_collector_paused()
def stored_part(
    layer: Layer,
    spec: Filter,
    sources: list[dict[str, str]],
    source_index: dict[tuple[str, ...], int],
    budget: int,
    big_layer_points: int,
    *,
    lean: bool = False,
) -> StoredPart | None:
    """The payload of a Parquet layer for the rows ``spec`` (a view's, :func:`stored_filter`)
    shows, at most ``budget`` of them, with the cited works added to
    ``sources``/``source_index`` as the row path adds them; None (and nothing added) when it
    has no more than ``big_layer_points`` plain points to draw.

    A ``lean`` part's plain points leave out their :data:`LONG_TEXT` and their quotes and
    notes (geo/render/held.py ``rows_text`` reads them for the rows asked for); its other rows
    keep everything."""
    where, params = where_clause(spec)
    # Counted apart and cut in SQL, so that past the cap the rows not drawn are not parsed.
    # No ORDER BY: DuckDB keeps a scan's file order (its preserve_insertion_order setting, on
    # by default), and sorting a million rows' columns cost 6 of 8 s at 1,000,000 rows.
    total = layer.features.table.count(spec)
    table = layer.features.table.arrow(
        f"WHERE {where} LIMIT {max(0, min(budget, total))}",
        params,
        LEAN_SQL if lean else f"*, {CITED_SQL} AS {CITED}",
    )
    geometry = table.column(GEOMETRY).combine_chunks()
    if isinstance(geometry, pa.ExtensionArray):
        geometry = geometry.storage
    shapes = shapely.from_wkb(geometry.to_numpy(zero_copy_only=False))
    origin_codes, origins = _codes(table.column("origin"))
    has_origin = _spread(origin_codes, [bool(orjson.loads(text)) for text in origins], False)
    plain = (shapely.get_type_id(shapes) == 0) & ~has_origin
    if int(plain.sum()) <= big_layer_points:
        return None
    # A lean table has no sources text, and needs none: its quotes and notes are not read, and
    # every row of a loaded layer cites a work (the schema's minItems), so the works are
    # numbered by the columns.
    cited = _cite(table, sources, source_index)
    file_rows = table.column("file_row_number").to_numpy().astype(np.int64)
    events = _is_event(table, layer)
    rows = np.flatnonzero(plain)
    points = table if len(rows) == table.num_rows else table.take(pa.array(rows))
    xs, ys = shapely.get_x(shapes[rows]), shapely.get_y(shapes[rows])
    columns: dict[str, Any] = {
        "rows": len(rows),
        "x": [round(value, COORD_DECIMALS) for value in xs.tolist()],
        "y": [round(value, COORD_DECIMALS) for value in ys.tolist()],
    }
    for key, (codes, values) in _values(table, cited, events).items():
        codes = codes[rows]
        if (codes >= 0).any():  # a key no plain point has is no column
            columns[key] = encode(codes, values)
    others = np.flatnonzero(~plain)
    features = _features(layer, table, others, lean)
    drawn = [_feature(feature, layer, sources, source_index) for feature in features]
    return StoredPart(
        features=drawn,
        columns=columns,
        shown=table.num_rows,
        total=total,
        framed=PointRows(
            layer=layer,
            plain=plain,
            xs=xs,
            ys=ys,
            event=events[rows],
            ids=points.column("id").to_pylist(),
            names=(
                NamesInFile(layer.features.table, file_rows[rows])
                if lean
                else points.column("name").to_pylist()
            ),
            others=features,
        ),
        file_rows=file_rows,
    )


@dataclass(frozen=True, eq=False)
class NamesInFile:
    """The names of a lean part's points (``file_rows``), read from the layer's file when a
    mark needs them (geo/framing.py ``NamesOnDemand``)."""

    table: Table
    file_rows: np.ndarray

    def read(self, points: list[int]) -> list[str | None]:
        if not points:
            return []
        return self.table.at_rows(self.file_rows[points].tolist(), '"name"').column(0).to_pylist()

    def pick(self, keep: np.ndarray) -> NamesInFile:
        return NamesInFile(self.table, self.file_rows[keep])


def encode(codes: np.ndarray, values: list[Any]) -> list[Any] | dict[str, list[Any]]:
    """A column given as ``codes`` (an index into ``values`` per row, -1 for none; ``values``
    as :func:`_merge` leaves them), encoded as :func:`geo.render.payload._encode_column`
    encodes the row's values."""
    present = codes >= 0
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return _plain(codes, values)
    # The first row of each distinct value, in row order: the order the dictionary is built in.
    positions = np.flatnonzero(present)
    distinct, first = np.unique(codes[present], return_index=True)
    order = np.argsort(first, kind="stable")
    distinct, first = distinct[order], positions[first[order]]
    # Mirrors _encode_column's two give-ups, tested at each new value: as many entries as half
    # the values, or (past 20,000 rows) more entries than half the rows so far.
    limit = int(present.sum()) // 2
    entries = np.arange(len(distinct))
    if ((entries >= limit) | ((first >= 20_000) & (entries * 2 > first))).any():
        return _plain(codes, values)
    rank = np.full(len(values), -1, dtype=np.int64)
    rank[distinct] = entries
    return {
        "dict": [values[n] for n in distinct.tolist()],
        "codes": np.where(present, rank[np.maximum(codes, 0)], -1).tolist(),
    }


def _merge(codes: np.ndarray, values: list[Any]) -> tuple[np.ndarray, list[Any]]:
    """Codes into values without None and without two equal values (text is its own key, any
    other value its canonical JSON, as _encode_column keys them)."""
    if all(type(value) is str for value in values) and len(set(values)) == len(values):
        return codes, values  # a text column's own dictionary: distinct, without None
    index: dict[Any, int] = {}
    kept: list[Any] = []
    remap = np.full(len(values) + 1, -1, dtype=np.int64)
    for n, value in enumerate(values):
        if value is None:
            continue
        key = value if isinstance(value, str) else (0, orjson.dumps(value, option=SORT_KEYS))
        if key not in index:
            index[key] = len(kept)
            kept.append(value)
        remap[n] = index[key]
    return remap[np.where(codes >= 0, codes, len(values))], kept


def _plain(codes: np.ndarray, values: list[Any]) -> list[Any]:
    """Each row's value (None for none)."""
    if len(codes) < 2:  # itemgetter of one index gives the item, not a tuple
        return [[*values, None][n] for n in codes.tolist()]
    return list(itemgetter(*codes.tolist())([*values, None]))


def _codes(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[Any]]:
    """A column as (code per row, -1 for null; its distinct values)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if array.null_count == len(array):
        return np.full(len(array), -1, dtype=np.int64), []
    encoded = pc.dictionary_encode(array)
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary.to_pylist()


def _spread(codes: np.ndarray, values: list[Any], missing: Any) -> np.ndarray:
    """Each row's value (``missing`` where its code is -1), as a numpy array."""
    lookup = np.array([*values, missing], dtype=object if not isinstance(missing, bool) else bool)
    return lookup[np.where(codes >= 0, codes, len(values))]


def _groups(*codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows grouped by several code columns at once: (a row of each group, group per row)."""
    if not len(codes[0]):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for column in codes:
        key = key * (int(column.max()) + 2) + (column + 1)
    _keys, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def _is_event(table: pa.Table, layer: Layer) -> np.ndarray:
    """:func:`geo.catalog.is_event` for each row: by the layer's group, the kind, or a field
    only events carry."""
    if layer.group == "events":
        return np.ones(table.num_rows, dtype=bool)
    kinds = pc.is_in(table.column("kind"), value_set=pa.array(sorted(EVENT_KINDS)))
    events = kinds.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
    for name in EVENT_FIELDS:
        events |= pc.is_valid(table.column(name)).to_numpy(zero_copy_only=False).astype(bool)
    return events


class _Interned:
    """Distinct values in the order first met, and each one's number."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.index: dict[Any, int] = {}

    def add(self, key: Any, value: Any) -> int:
        number = self.index.get(key)
        if number is None:
            number = self.index[key] = len(self.values)
            self.values.append(value)
        return number


@dataclass
class _Cited:
    """Each row's citations: the number of its ``src``, ``q`` and ``sn`` among their distinct
    ``values`` (-1 for none), and, for claims, its group (rows of one sources text) and the work
    number of each url it cites (``urls(row)``)."""

    group: np.ndarray
    refs: np.ndarray
    quotes: np.ndarray
    notes: np.ndarray
    urls: Callable[[int], dict[str, int]]
    values: dict[str, list[Any]]


def _features(layer: Layer, table: pa.Table, rows: np.ndarray, lean: bool) -> list[dict[str, Any]]:
    """The features of ``table``'s ``rows``, whole: a lean table's are read again."""
    if not len(rows):
        return []
    if not lean:
        return rows_to_features(table.take(pa.array(rows)))
    numbers = table.column("file_row_number").take(pa.array(rows)).to_pylist()
    return rows_to_features(layer.features.table.at_rows(numbers))


def _cite(
    table: pa.Table, sources: list[dict[str, str]], source_index: dict[tuple[str, ...], int]
) -> _Cited:
    """Every row's citations, with each work numbered as the row path numbers it: by the
    columns when no row has two quotes or two notes (an imported dataset), else row by row."""
    return _cite_columns(table, sources, source_index) or _cite_rows(table, sources, source_index)


def _cite_columns(
    table: pa.Table, sources: list[dict[str, str]], source_index: dict[tuple[str, ...], int]
) -> _Cited | None:
    """:func:`_cite` from the sources DuckDB parsed (the ``CITED`` column), or None (and
    nothing registered) when a row has two quotes or two notes."""
    cited = table.column(CITED).combine_chunks()
    entries = pc.list_flatten(cited)
    if not len(entries) or cited.null_count:
        return None
    parent = pc.list_parent_indices(cited).to_numpy().astype(np.int64)
    fields = {entries.type.field(n).name: column for n, column in enumerate(entries.flatten())}
    given = {  # none of either when they were not read (a lean part's)
        name: pc.and_(pc.is_valid(fields[name]), pc.not_equal(fields[name], ""))
        .fill_null(False)
        .to_numpy(zero_copy_only=False)
        .astype(bool)
        if name in fields
        else np.zeros(len(entries), dtype=bool)
        for name in ("quote", "note")
    }
    if any(np.bincount(parent[mask]).max(initial=0) > 1 for mask in given.values()):
        return None
    # A work is its six fields, an empty one the same as a missing one.
    work = np.zeros(len(entries), dtype=np.int64)
    for name in WORK_FIELDS:
        codes, _ = _codes(pc.fill_null(fields[name], ""))
        work = np.unique(work * (int(codes.max()) + 1) + codes, return_inverse=True)[1]
        work = work.reshape(-1)
    _works, first = np.unique(work, return_index=True)
    number_of = np.zeros(len(first), dtype=np.int64)
    for distinct in np.argsort(first, kind="stable").tolist():  # in the order first cited
        entry = int(first[distinct])
        source = {name: fields[name][entry].as_py() for name in WORK_FIELDS}
        number_of[distinct] = register_work(source, sources, source_index)
    numbers = number_of[work]
    # src: each work once per row, in the order the row cites it.
    rows = table.num_rows
    _pairs, once = np.unique(parent * (len(sources) + 1) + numbers, return_index=True)
    once = np.sort(once)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(parent[once], minlength=rows))])
    lists = pa.ListArray.from_arrays(
        pa.array(offsets, type=pa.int32()), pa.array(numbers[once]).cast(pa.string())
    )
    ref_codes, ref_texts = _codes(pc.binary_join(lists, ","))
    refs = [[int(n) for n in text.split(",")] if text else [] for text in ref_texts]
    values: dict[str, list[Any]] = {"src": refs}
    per_row: dict[str, np.ndarray] = {}
    for key, name in (("q", "quote"), ("sn", "note")):
        mask = given[name]
        if name not in fields:
            values[key], per_row[key] = [], np.full(rows, -1, dtype=np.int64)
            continue
        text_codes, texts = _codes(fields[name].filter(pa.array(mask)))
        _keys, first, group = np.unique(
            numbers[mask] * (len(texts) + 1) + text_codes, return_index=True, return_inverse=True
        )
        chosen = numbers[mask][first].tolist()
        values[key] = [
            {str(n): texts[c]} for n, c in zip(chosen, text_codes[first].tolist(), strict=True)
        ]
        per_row[key] = np.full(rows, -1, dtype=np.int64)
        per_row[key][parent[mask]] = group.reshape(-1)
    urls = fields["url"]
    starts = offsets_of(cited)

    def urls_of(row: int) -> dict[str, int]:
        found: dict[str, int] = {}
        for entry in range(starts[row], starts[row + 1]):
            found.setdefault(urls[entry].as_py(), int(numbers[entry]))
        return found

    # A claim's source is looked up in its own row's (dataset rows seldom carry claims).
    return _Cited(np.arange(rows), ref_codes, per_row["q"], per_row["sn"], urls_of, values)


def offsets_of(lists: pa.ListArray) -> list[int]:
    """Where each row's entries begin in the flattened list (and where the last ends)."""
    offsets = lists.offsets.to_numpy().astype(np.int64)
    return (offsets - offsets[0]).tolist()


def _cite_rows(
    table: pa.Table, sources: list[dict[str, str]], source_index: dict[tuple[str, ...], int]
) -> _Cited:
    """:func:`_cite` row by row: each distinct sources text once, in the order of its first row,
    so that a work gets the number the row path would give it (see ``_feature``)."""
    codes, texts = _codes(table.column("sources"))
    present = codes >= 0
    positions = np.flatnonzero(present)
    distinct, first = np.unique(codes[present], return_index=True)
    # One more group, last, for a row without sources: no src, q or sn.
    numbers = np.full((3, len(texts) + 1), -1, dtype=np.int64)
    by_url: list[dict[str, int]] = [{} for _ in range(len(texts) + 1)]
    interned = {key: _Interned() for key in ("src", "q", "sn")}
    for code in distinct[np.argsort(positions[first], kind="stable")].tolist():
        refs: list[int] = []
        quotes: dict[str, str] = {}
        notes: dict[str, str] = {}
        urls = by_url[code]
        for source in orjson.loads(texts[code]):
            number = register_work(source, sources, source_index)
            urls.setdefault(source["url"], number)
            if number not in refs:
                refs.append(number)
            if source.get("quote"):
                quotes[str(number)] = source["quote"]
            if source.get("note"):  # one work cited twice with two notes keeps both
                slot = str(number)
                notes[slot] = (
                    f"{notes[slot]}; {source['note']}" if slot in notes else source["note"]
                )
        # Keyed as _encode_column keys them: two dicts with the same items are one value.
        numbers[0, code] = interned["src"].add(tuple(refs), refs)
        if quotes:
            numbers[1, code] = interned["q"].add(tuple(sorted(quotes.items())), quotes)
        if notes:
            numbers[2, code] = interned["sn"].add(tuple(sorted(notes.items())), notes)
    group = np.where(present, codes, len(texts))
    refs_of, quotes_of, notes_of = (numbers[n][group] for n in range(3))
    values = {key: table.values for key, table in interned.items()}
    return _Cited(group, refs_of, quotes_of, notes_of, lambda row: by_url[group[row]], values)


def _values(
    table: pa.Table, cited: _Cited, events: np.ndarray
) -> dict[str, tuple[np.ndarray, list[Any]]]:
    """Every feature key of the row path but ``g`` and ``or``, as (code per row, values), the
    values as :func:`_merge` leaves them."""
    out: dict[str, tuple[np.ndarray, list[Any]]] = {}
    texts = {name: _codes(table.column(name)) for name in ("start", "end", "kind", "country")}
    for key, name in REQUIRED_TEXT.items():
        out[key] = texts[name] if name in texts else _codes(table.column(name))
    for key, name in OPTIONAL_TEXT.items():
        codes, values = _codes(table.column(name))
        out[key] = codes, [value or None for value in values]
    kind_codes, kinds = texts["kind"]
    out["kl"] = kind_codes, [kind.replace("-", " ").capitalize() for kind in kinds]
    country_codes, countries = texts["country"]
    out["cn"] = country_codes, [country_name(code) if code else None for code in countries]
    fatality_codes, fatalities = _codes(table.column("fatalities"))
    counts = [orjson.loads(text) for text in fatalities]
    out["fa"] = fatality_codes, [None if n is None else fatalities_label(n) for n in counts]
    unit_codes, units = _codes(table.column("units"))
    out["u"] = unit_codes, [orjson.loads(text) or None for text in units]
    out.update(_dates(texts["start"], texts["end"], events))
    out = {key: _merge(*column) for key, column in out.items()}
    out["src"] = cited.refs, cited.values["src"]  # distinct already
    out["q"] = cited.quotes, cited.values["q"]
    out["sn"] = cited.notes, cited.values["sn"]
    out["cl"] = _merge(*_claims(table, cited))
    return out


def _dates(
    start: tuple[np.ndarray, list[str]],
    end: tuple[np.ndarray, list[str]],
    events: np.ndarray,
) -> dict[str, tuple[np.ndarray, list[Any]]]:
    """``dl``, ``dp``, ``s0`` and ``s1``, once per distinct (start, end, event)."""
    (start_codes, starts), (end_codes, ends) = start, end
    first, group = _groups(start_codes, end_codes, events.astype(np.int64))
    labels: dict[str, list[Any]] = {"dl": [], "dp": [], "s0": [], "s1": []}
    for row in first.tolist():
        props = {"start": starts[start_codes[row]]}
        if end_codes[row] >= 0:
            props["end"] = ends[end_codes[row]]
        event = bool(events[row])
        day0, day1, end_day = _span(props["start"], props.get("end"))
        labels["dl"].append(dates_label(props, event))
        labels["dp"].append(_precision_words(props["start"], props.get("end")))
        labels["s0"].append(day0.isoformat())
        labels["s1"].append(day1.isoformat() if end_day or event else None)
    return {key: (group, values) for key, values in labels.items()}


def _claims(table: pa.Table, cited: _Cited) -> tuple[np.ndarray, list[Any]]:
    """``cl``, once per distinct (sources, claims): a claim names its source by url."""
    claim_codes, claims = _codes(table.column("claims"))
    if not claims:
        return claim_codes, []
    rows = np.flatnonzero(claim_codes >= 0)
    first, group = _groups(cited.group[rows], claim_codes[rows])
    values: list[Any] = []
    for row in rows[first].tolist():
        written = orjson.loads(claims[claim_codes[row]])
        by_url = cited.urls(row)
        values.append(
            [[c["topic"], c["value"], _label(c.get("as_of")), by_url[c["source"]]] for c in written]
            if written
            else None
        )
    codes = np.full(len(claim_codes), -1, dtype=np.int64)
    codes[rows] = group
    return codes, values
