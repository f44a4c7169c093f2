"""A Parquet layer's sources checked once per cited work say what the check per combination
says, message for message and in the same order, and the work is done once per work."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from geo.model import Message
from geo.store import parquet_bytes
from geo.validate import source_works, table
from geo.validate.table import _check_nested, _Rows, check_table, property_columns
from tests.helpers import feature, layer_doc

TODAY = dt.date(2026, 12, 3)
ROWS = 12
WORK = {
    "title": "Armed Conflict Location & Event Data (ACLED)",
    "publisher": "Armed Conflict Location & Event Data (ACLED)",
    "url": "https://acleddata.com/",
    "accessed": "2026-12-03",
}
Features = list[dict]


def _features() -> Features:
    """Rows citing one work, each with its own note and quote, as an imported dataset does."""
    rows = []
    for n in range(ROWS):
        source = {**WORK, "quote": f"Row {n} reported.", "note": f"ACLED event {n}."}
        rows.append(feature(f"event-{n}", lon=51.3 + n / 100, sources=[source]))
    return rows


def _write(tmp_path: Path, features: Features, cells: dict[tuple[int, str], str]) -> Path:
    """A layer file of ``features``; ``cells`` then replaces raw JSON texts (row, column)."""
    path = tmp_path / "events.parquet"
    path.write_bytes(parquet_bytes(layer_doc()["layer"], features))
    if cells:
        table = pq.read_table(path)
        for (row, name), text in cells.items():
            if name not in table.column_names:
                table = table.append_column(
                    pa.field(name, pa.large_string()), pa.nulls(table.num_rows, pa.large_string())
                )
            values = table.column(name).to_pylist()
            values[row] = text
            index = table.column_names.index(name)
            table = table.set_column(
                index, table.schema.field(index), pa.array(values, table.column(name).type)
            )
        pq.write_table(table, path)
    return path


def _nested(path: Path, by_work: bool) -> list[Message]:
    table = pq.read_table(path)
    meta = orjson.loads(table.schema.metadata[b"layer"])
    rows = _Rows(str(path), table.column("id").to_pylist())
    _, nested = property_columns()
    usable = {name for name in table.column_names if name in nested}
    _check_nested(rows, table, usable, meta, TODAY, by_work=by_work)
    return rows.messages


def _both(tmp_path: Path, features: Features, cells: dict | None = None) -> list[Message]:
    """The messages by work, after checking they are those by combination, in order."""
    path = _write(tmp_path, features, cells or {})
    old, new = _nested(path, by_work=False), _nested(path, by_work=True)
    assert new == old
    # The whole check (check_table) goes by work and gives the same nested messages.
    nested = [m for m in check_table(path, TODAY) if m.path[3:4] in {(n,) for n in _names()}]
    assert nested == new
    return new


def _names() -> tuple[str, ...]:
    return property_columns()[1]


def _source(row: int, number: int = 0, **changes: object) -> Callable[[Features], None]:
    def change(features: Features) -> None:
        source = features[row]["properties"]["sources"][number]
        for key, value in changes.items():
            if value is None:
                source.pop(key, None)
            else:
                source[key] = value

    return change


def _props(row: int, **changes: object) -> Callable[[Features], None]:
    def change(features: Features) -> None:
        features[row]["properties"].update(changes)

    return change


def _all_sources(**changes: object) -> Callable[[Features], None]:
    def change(features: Features) -> None:
        for row in range(len(features)):
            _source(row, **changes)(features)

    return change


CASES: dict[str, tuple[list[Callable[[Features], None]], set[str]]] = {
    "shared work, unique notes": ([], set()),
    "shared work cites an archive": (
        [_all_sources(url="https://web.archive.org/web/2024/https://acleddata.com/")],
        {"archive-as-url"},
    ),
    "bad urls": (
        [
            _source(1, url="https://www.wikiwand.com/en/ACLED"),
            _source(3, url="https://acleddata.com/\n"),
            _source(4, url="https://[acleddata.com/"),
            _source(5, archive_url="https://acleddata.com/copy"),
            _source(6, url="ftp://acleddata.com/"),
        ],
        {"mirror", "whitespace", "bad-url", "archive-host", "schema-pattern"},
    ),
    "bad dates": (
        [
            _source(2, published="2023-02-29"),
            _source(3, published="2026-11", accessed="2026-10-01"),
            _source(4, accessed="2027-01-05"),
            _source(5, published="2020/01/02"),
            _source(7, published=" 2024-01-01"),
        ],
        {"no-such-date", "published-after-accessed", "future-date", "schema-pattern", "whitespace"},
    ),
    "missing source fields": (
        [_source(2, title=None), _source(5, url=None), _source(6, accessed=None)],
        {"schema-required"},
    ),
    "text in one row's note or quote": (
        [
            _source(1, note="See <b>this</b> row."),
            _source(2, quote="A bell \x07 rang."),
            _source(3, note="Reordered \u202e text."),
            _source(4, quote="Cafe\u0301 decomposed."),
            _source(5, note="Two\nlines are fine in a note."),
            _source(6, note="Ra\u2019s Tanura, \u0645\u062b\u0627\u0644."),
        ],
        {"markup", "control-character", "bidi-control", "not-nfc"},
    ),
    "text in a work": (
        [
            _source(2, title="ACLED\tdata"),
            _source(3, publisher="<i>ACLED</i>"),
            _all_sources(quote="\u00c9t\u00e9 <br> row"),
        ],
        {"line-break", "markup"},
    ),
    "note too long or not text": (
        [
            _source(2, note="x" * 4001),
            _source(3, quote=7),
            _source(4, note=""),
            _source(5, author="someone"),
        ],
        {"schema-maxLength", "schema-type", "schema-minLength", "schema-additionalProperties"},
    ),
    "claims": (
        [
            _props(2, claims=[{"topic": "t", "value": "v", "source": "https://other.example/"}]),
            _props(3, claims=[{"topic": "t", "value": "v", "source": WORK["url"]}]),
            _props(4, claims=[{"topic": "<b>t</b>", "value": "v", "source": WORK["url"]}]),
        ],
        {"claim-source", "markup"},
    ),
    "date and address wrong in one row": (
        [
            _source(2, url="https://www.wikiwand.com/x", accessed="2027-02-01"),
            _props(3, sources=[{**WORK, "url": "https://www.wikiwand.com/y"}, {**WORK}]),
            _source(3, 1, published="2026-12-30"),
        ],
        {"mirror", "future-date", "published-after-accessed"},
    ),
    "another column wrong beside sources": (
        [
            _props(2, units=5),
            _source(2, url="https://www.wikiwand.com/x", note="<b>x</b>"),
            _props(4, fatalities={"low": "many"}),
            _source(4, published="2023-02-29"),
        ],
        {"schema-type", "schema-required", "mirror", "markup", "no-such-date"},
    ),
    "empty sources": ([_props(3, sources=[])], {"schema-minItems"}),
    "a page of its own in every row": (
        [
            *[
                _source(n, title=f"Report {n}", url=f"https://news.example/{n}")
                for n in range(ROWS)
            ],
            _source(2, url="HTTPS://En.WikiWand.com./x"),
            _source(3, title="Report\u200b3", published="2026-11-02"),
            _source(4, published="2026-11-02", accessed="2026-11-01"),
            _source(5, archive_url="https://web.archive.org/web/2024/https://news.example/5"),
            _source(6, archive_url="https://news.example/copy/6"),
            _source(7, url="https://news.example/7\n"),
        ],
        {"mirror", "invisible-character", "published-after-accessed", "archive-host", "whitespace"},
    ),
    "several sources, fields in any order, other columns": (
        [
            _props(
                2,
                sources=[
                    {"note": "<b>first</b>", **WORK, "quote": "\x01"},
                    {**WORK, "title": "Second\ttitle", "note": "x <p> y"},
                    {"quote": "Fine", **WORK, "url": "https://archive.ph/abc"},
                ],
                units=["<b>unit</b>", "A\u202eB"],
                fatalities=3,
            ),
            _props(3, units=["fine"], fatalities={"low": 1, "best": 2, "high": 3}),
            _props(4, units=["<i>u</i>"]),
            _source(4, note="<a>b</a>"),
        ],
        {"markup", "control-character", "line-break", "archive-as-url", "bidi-control"},
    ),
    "origin": (
        [
            _props(
                5,
                origin={
                    "name": "<b>Launch</b>",
                    "coordinates": [200, 10],
                    "location_precision": "approximate",
                },
            ),
            _source(5, note="<b>x</b>"),
        ],
        {"markup", "out-of-range"},
    ),
    "the same cell in rows apart": (
        [
            _source(0, note="<b>same</b>"),
            _source(7, note="<b>same</b>"),
            _source(3, note="<b>other</b>"),
        ],
        {"markup"},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_by_work_says_what_by_combination_says(tmp_path: Path, case: str) -> None:
    changes, codes = CASES[case]
    features = _features()
    for change in changes:
        change(features)
    messages = _both(tmp_path, features)
    assert {m.code for m in messages} == codes


def test_messages_name_the_row_and_the_source(tmp_path: Path) -> None:
    features = _features()
    _source(4, url="https://www.wikiwand.com/en/ACLED")(features)
    _source(6, note="<b>x</b>")(features)
    messages = _both(tmp_path, features)
    assert [(m.code, m.feature, m.field, m.path) for m in messages] == [
        ("mirror", "event-4", "sources[0].url", ("features", 4, "properties", "sources", 0, "url")),
        (
            "markup",
            "event-6",
            "sources[0].note",
            ("features", 6, "properties", "sources", 0, "note"),
        ),
    ]


def test_rows_in_the_order_of_the_check_by_combination(tmp_path: Path) -> None:
    """Rows that share a whole cell are told together, where that cell first occurs."""
    features = _features()
    for row in (1, 5):
        _source(row, url="https://www.wikiwand.com/x", note="same", quote="same")(features)
    _source(3, url="https://www.wikiwand.com/y")(features)
    messages = _both(tmp_path, features)
    assert [m.path[1] for m in messages] == [1, 5, 3]


def test_a_cell_that_is_not_json(tmp_path: Path) -> None:
    features = _features()
    _source(4, url="https://www.wikiwand.com/x")(features)
    cells = {(2, "sources"): '[{"title": "ACLED"', (5, "units"): "not json", (6, "sources"): "7"}
    messages = _both(tmp_path, features, cells)
    assert [(m.code, m.path[1], m.field) for m in messages] == [
        ("not-json", 2, "sources"),
        ("mirror", 4, "sources[0].url"),
        ("not-json", 5, "units"),
        ("schema-type", 6, "sources"),
    ]


def test_each_work_is_checked_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve rows, two works (one of them at two positions): three checks, not twelve, even
    when the rows are read in slices of five."""
    seen: list[tuple] = []
    check_work = source_works._check_work

    def counted(file: str, today: dt.date, number: int, key: tuple) -> source_works._Work:
        seen.append((number, key))
        return check_work(file, today, number, key)

    monkeypatch.setattr(source_works, "_check_work", counted)
    monkeypatch.setattr(table, "NESTED_SLICE", 5)
    features = _features()
    other = {**WORK, "title": "Another work", "url": "https://www.wikiwand.com/x"}
    features[2]["properties"]["sources"].append(copy.deepcopy(other))
    features[3]["properties"]["sources"] = [copy.deepcopy(other)]
    path = _write(tmp_path, features, {})
    messages = _nested(path, by_work=True)
    assert len(seen) == 3
    assert [(m.code, m.path[1]) for m in messages] == [("mirror", 2), ("mirror", 3)]


def test_what_cannot_be_decided_is_left_to_the_check_by_combination() -> None:
    good = orjson.dumps([{**WORK, "note": "n"}]).decode()
    cells = source_works.check_source_cells(
        "f",
        TODAY,
        [0, 1, 2, 3, 4, 5],
        [good, "[", "[]", '[{"title": 1}]', orjson.dumps([{**WORK, "x": "y"}]).decode(), good],
        [False] * 6,
    )
    assert cells.undecided == [1, 2, 3, 4]
    assert cells.rules == {} and cells.text == {}


def test_a_stricter_schema_for_notes_sends_every_row_the_slow_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Type and length are all this module checks of a note: a rule beyond them in the schema
    must not be skipped."""
    schema = copy.deepcopy(source_works.layer_schema())
    schema["$defs"]["plainText"]["pattern"] = "^[A-Z]"
    monkeypatch.setattr(source_works, "layer_schema", lambda: schema)
    source_works._source_rules.cache_clear()
    try:
        good = orjson.dumps([{**WORK, "note": "n"}]).decode()
        cells = source_works.check_source_cells("f", TODAY, [0], [good], [False])
    finally:
        source_works._source_rules.cache_clear()
    assert cells.undecided == [0]
