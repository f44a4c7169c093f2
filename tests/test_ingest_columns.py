"""The columnar ACLED import (geo/ingest/acled_columns.py) gives the same GeoParquet layer as
the row path it stands in for: same rows, same values, same metadata, same messages for the
rows left out. Every row below is synthetic, made up for the test.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.ingest import Options, import_file
from geo.store import parquet_bytes
from geo.store.columns import ColumnFeatures
from tests.helpers import run_cli

TODAY = dt.date(2026, 12, 3)
COLUMNS = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
]
BASE = {
    "event_id_cnty": "SYR1",
    "event_date": "2024-01-15",
    "time_precision": "1",
    "event_type": "Battles",
    "sub_event_type": "Armed clash",
    "actor1": "Made-up Group A",
    "iso": "760",
    "country": "Syria",
    "admin1": "Made-up Province",
    "location": "Made-up Town",
    "latitude": "35.1",
    "longitude": "38.2",
    "geo_precision": "1",
    "source": "Made-up Wire",
    "source_scale": "National",
    "notes": "On 15 January 2024, made-up fighters clashed near the town.",
    "fatalities": "0",
}
# (changes to BASE) - one row each; the id is set from the position unless given.
HOSTILE: list[dict[str, str]] = [
    {},
    {"geo_precision": "2", "time_precision": "2", "event_date": "2024-03-29",
     "fatalities": ""},
    {"geo_precision": "3", "time_precision": "3", "fatalities": "012"},
    {"time_precision": "2", "event_date": "2024-03-12"},  # the week stays in one month
    {"latitude": "abc"},
    {"longitude": "200"},
    {"latitude": "35.1234567", "longitude": " 38.5"},  # more decimals, a space
    {"latitude": "1e1", "longitude": "+38.5"},
    {"event_date": ""},
    {"event_date": "15 January 2024"},
    {"event_date": "2024-02-30"},
    {"event_date": "2030-01-01"},
    {"event_date": "2024-01-15T00:00:00"},
    {"geo_precision": "4"},
    {"time_precision": " 2"},
    {"time_precision": ""},
    {"notes": 'He said "hold" at C:\\road\\ \'no\' & more'},
    {"notes": "line one\nline two\tand\r\na tab", "source": 'Al "Made-up" \\ Wire'},
    {"actor1": "<b>Group</b>"},
    {"notes": "see <script>alert(1)</script>"},
    {"location": "Town <img src=x onerror=alert(1)>"},
    {"actor1": "Group 1 > Group 2 < Group 3"},  # angle brackets, no markup
    {"event_id_cnty": ""},
    {"event_id_cnty": "!!!"},
    {"event_id_cnty": "SYR 99"},
    {"event_id_cnty": "SYR2"},  # repeats the second row's id
    {"event_id_cnty": "syr-2"},  # a different id with the same slug
    {"location": "Ḩalab", "actor1": "Gr\u202eoup\u200b B", "notes": "Café\u2028 ḩ"},
    {"latitude": "35.1", "longitude": "33.0"},  # Syria named, the point in the sea
    {"fatalities": "-1"},
    {"fatalities": "x"},
    {"fatalities": " 3 "},
    {"notes": "word " * 900},  # over 4,000 characters
    {"iso": "", "country": "Turkey", "latitude": "39.9", "longitude": "32.8"},
    {"iso": "", "country": "Nowhere Land"},
    {"actor2": "Made-up Group B", "assoc_actor_1": "Helpers", "assoc_actor_2": "Allies"},
    {"assoc_actor_2": "Allies"},  # no actor 2: its associate is not named
    {"event_type": "Strategic developments", "sub_event_type": "Agreement"},
    {"event_type": "", "sub_event_type": ""},
    {"location": "", "admin1": "", "admin2": "", "country": ""},
    {"location": "Same", "admin2": "Same", "admin1": "Other", "country": "Syria"},
    {"actor1": "  spaced   out  name ", "source_scale": ""},
    {"actor1": "", "source": ""},
    {"location": "X" * 320},  # a name over 300 characters
    {"notes": ""},
    {"latitude": "-0", "longitude": "-0.0"},
    {"event_date": "15/01/2024"},  # day first: only one reading
    {"event_date": "03/04/2024"},  # 3 April or 4 March: refused, never guessed
    {"event_date": "1/15/2024"},  # month first, as a US spreadsheet saves it: refused
    {"event_date": "2024-01-15xyz"},  # a day and no time after it
    {"event_date": "2024-01-15 00:00:00"},  # a day and a time: the day
]  # fmt: skip


def export_text(changes: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    for number, change in enumerate(changes, 1):
        writer.writerow({**BASE, "event_id_cnty": f"SYR{number}", **change})
    return out.getvalue()


def layer(path: Path, columnar: bool, row_path: bool | None = False) -> tuple[pa.Table, list]:
    """The layer as GeoParquet, and the messages; ``row_path``: the file must take it (None:
    either way)."""
    options = Options(accessed="2026-12-01", columnar=columnar, today=TODAY)
    result = import_file(path, "acled", options)
    if row_path is not None:
        assert isinstance(result.doc["features"], ColumnFeatures) == (columnar and not row_path)
    table = pq.read_table(
        pa.BufferReader(parquet_bytes(result.doc["layer"], result.doc["features"]))
    )
    return table, result.problems


def assert_same_layer(path: Path, row_path: bool | None = False) -> tuple[pa.Table, list]:
    rows, row_problems = layer(path, columnar=False)
    columns, column_problems = layer(path, columnar=True, row_path=row_path)
    assert columns.schema.equals(rows.schema, check_metadata=True)  # layer metadata too
    for name in rows.column_names:
        assert columns.column(name).to_pylist() == rows.column(name).to_pylist(), name
    assert column_problems == row_problems
    return rows, row_problems


@pytest.mark.parametrize("gzipped", [False, True])
def test_columnar_import_equals_row_import_on_hostile_rows(tmp_path, gzipped):
    data = export_text(HOSTILE).encode("utf-8")
    path = tmp_path / ("acled.csv.gz" if gzipped else "acled.csv")
    path.write_bytes(gzip.compress(data) if gzipped else data)
    table, problems = assert_same_layer(path)
    # The file really holds both kinds of row: plenty imported, plenty left out.
    assert table.num_rows >= 25 and len(problems) >= 15
    reasons = " | ".join(message.text for message in problems)
    for expected in ("latitude 'abc'", "longitude 200", "event_date ''", "2024-02-30",
                     "lies in the future", "geo_precision '4'", "actor1 holds markup",
                     "notes holds markup", "event_id_cnty is empty", "appears on an earlier",
                     "fatalities -1", "fatalities 'x'",
                     "event_date '03/04/2024' could be day/month or month/day",
                     "event_date '1/15/2024' is not a date",
                     "event_date '2024-01-15xyz' is not a date"):  # fmt: skip
        assert expected in reasons
    props = dict(zip(table.column("source_id").to_pylist(), table.to_pylist(), strict=True))
    assert props["SYR2"]["end"] == "2024-04" and props["SYR2"]["fatalities"] is None
    assert props["SYR3"]["fatalities"] == "12" and props["SYR3"]["location_precision"] == "region"
    assert props["SYR29"]["country"] is None  # the point is in the sea
    assert props["SYR47"]["start"] == "2024-01-15"  # 15/01/2024, day first
    assert "SYR48" not in props and "SYR49" not in props and "SYR50" not in props
    assert props["SYR51"]["start"] == "2024-01-15"


def test_columnar_import_equals_row_import_on_a_bom_and_crlf_file(tmp_path):
    path = tmp_path / "acled.csv"
    text = export_text(HOSTILE[:12]).replace("\n", "\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert_same_layer(path)


def test_a_file_pyarrow_cannot_parse_goes_the_row_path(tmp_path):
    path = tmp_path / "acled.csv"
    path.write_text(export_text(HOSTILE[:3]) + "SYR9,2024-01-15,too,few\n", encoding="utf-8")
    table, problems = assert_same_layer(path, row_path=True)
    assert table.num_rows == 3 and "4 fields, the header 31" in problems[0].text


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                column: st.text(
                    alphabet=st.one_of(
                        st.characters(blacklist_categories=("Cs",)),
                        st.sampled_from(["<", ">", '"', "\\", "\n", " ", "\u202e", "\u200b"]),
                    ),
                    max_size=12,
                )
                for column in ("actor1", "actor2", "assoc_actor_1", "location", "admin1",
                               "notes", "source", "source_scale", "sub_event_type")
            },
        ),
        min_size=1,
        max_size=6,
    )
)  # fmt: skip
def test_columnar_import_equals_row_import_on_any_text(tmp_path, changes):
    path = tmp_path / "acled.csv"
    path.write_text(export_text(changes), encoding="utf-8")
    assert_same_layer(path, row_path=None)  # a lone carriage return is the row path's


def test_the_cli_writes_the_columnar_layer_for_a_parquet_output(tmp_path):
    source = tmp_path / "acled.csv.gz"
    source.write_bytes(gzip.compress(export_text(HOSTILE).encode("utf-8")))
    output = tmp_path / "acled.parquet"
    result = run_cli("import", str(source), "--format", "acled", "-o", str(output),
                     "--accessed", "2026-12-01")  # fmt: skip
    assert result.returncode == 0, result.stderr
    written = pq.read_table(output)
    rows, problems = layer(source, columnar=False)
    assert written.column("id").to_pylist() == rows.column("id").to_pylist()
    assert written.column("sources").to_pylist() == rows.column("sources").to_pylist()
    for message in problems:
        assert message.format() in result.stderr
