"""python -m geo import: ACLED and UCDP GED exports become events layers, through the real CLI.

The files under tests/data are synthetic rows of the datasets' shape (the repository ships no
third-party data): every column of the export, made-up actors and text.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import ROOT, run_cli

DATA = ROOT / "tests" / "data"
# What the layer format refuses in text, mixed into any text: controls, direction overrides,
# invisible characters, a decomposed letter, markup.
NASTY = ["\x00", "\x1b", "\u202e", "\u2066", "\u200b", "\ufeff", "\u0301", "<", ">", "\n", "\u2028"]
TEXT = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(NASTY)), max_size=30)
ACLED = DATA / "acled_sample.csv"
UCDP = DATA / "ucdp_sample.csv"


def imported(tmp_path: Path, source: Path, fmt: str, *extra: str) -> tuple[dict, str]:
    output = tmp_path / f"{fmt}.geojson"
    result = run_cli("import", str(source), "--format", fmt, "-o", str(output), *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(output.read_text(encoding="utf-8")), result.stderr


def by_source_id(doc: dict) -> dict[str, dict]:
    return {f["properties"]["source_id"]: f for f in doc["features"]}


@pytest.fixture(scope="module")
def acled(tmp_path_factory) -> tuple[dict, str]:
    return imported(tmp_path_factory.mktemp("acled"), ACLED, "acled", "--accessed", "2026-12-01")


@pytest.fixture(scope="module")
def ucdp(tmp_path_factory) -> tuple[dict, str]:
    return imported(tmp_path_factory.mktemp("ucdp"), UCDP, "ucdp", "--version", "25.1")


# --- ACLED -----------------------------------------------------------------------------------


def test_acled_geo_precision_codes_map_to_ours(acled):
    rows = by_source_id(acled[0])
    assert rows["SYN1001"]["properties"]["location_precision"] == "approximate"  # geo 1
    assert rows["SYN1002"]["properties"]["location_precision"] == "stand-in"  # geo 2
    assert rows["SYN1003"]["properties"]["location_precision"] == "region"  # geo 3
    for code, sid in ((1, "SYN1001"), (2, "SYN1002"), (3, "SYN1003")):
        assert f"ACLED geo precision {code}:" in rows[sid]["properties"]["location_note"]


def test_acled_time_precision_codes_map_to_partial_dates(acled):
    rows = by_source_id(acled[0])
    day = rows["SYN1001"]["properties"]  # time 1: the day
    assert day["start"] == "2024-01-15" and "end" not in day and "date_note" not in day
    week = rows["SYN1002"]["properties"]  # time 2, coded 2024-01-31: the week may cross months
    assert (week["start"], week["end"]) == ("2024-01", "2024-02")
    assert "2024-01-31" in week["date_note"] and "week" in week["date_note"]
    month = rows["SYN1003"]["properties"]  # time 3: the month, the coded mid-point in the note
    assert month["start"] == "2024-03" and "end" not in month
    assert "2024-03-15" in month["date_note"]


def test_acled_keeps_ids_actors_fatalities_and_source_text(acled):
    rows = by_source_id(acled[0])
    strike = rows["SYN1001"]["properties"]
    assert strike["id"] == "acled-syn1001"
    assert strike["actor"] == "Synthetic Air Force"
    assert "Synthetic Militia" in strike["actor_note"]
    assert strike["fatalities"] == 3
    assert rows["SYN1005"]["properties"]["fatalities"] == 5
    assert rows["SYN1003"]["properties"]["fatalities"] == 0  # a zero is kept as a figure
    assert strike["kind"] == "airstrike" and rows["SYN1003"]["properties"]["kind"] == "diplomacy"
    assert strike["event_type"] == "Explosions/Remote violence: Air/drone strike"
    assert strike["claim_status"] == "reported"
    assert strike["country"] == "SY"  # from the ISO 3166 numeric code 760
    (source,) = strike["sources"]
    assert source["quote"] == "Synthetic test row: on 15 January 2024, a strike hit a depot."
    assert "Synthetic Daily" in source["note"] and "SYN1001" in source["note"]


def test_a_country_whose_outline_the_point_lies_outside_is_not_claimed(acled):
    at_sea = by_source_id(acled[0])["SYN1006"]["properties"]
    assert "country" not in at_sea
    assert "names the country YE" in at_sea["location_note"]
    assert by_source_id(acled[0])["SYN1005"]["properties"]["country"] == "IQ"


def test_acled_cites_the_dataset_and_records_provenance(acled):
    doc = acled[0]
    for feature in doc["features"]:
        (source,) = feature["properties"]["sources"]
        assert source["url"] == "https://acleddata.com/"
        assert source["publisher"] == "Armed Conflict Location & Event Data (ACLED)"
        assert source["accessed"] == "2026-12-01"
    provenance = doc["layer"]["provenance"]
    assert provenance["dataset"] == "ACLED"
    assert provenance["rows"] == 6 and provenance["imported_rows"] == 5
    assert provenance["sha256"] == hashlib.sha256(ACLED.read_bytes()).hexdigest()
    assert provenance["terms_url"].startswith("https://epo.acleddata.com/")
    assert doc["layer"]["group"] == "events"


def test_a_bad_row_is_named_by_line_and_id_and_the_rest_import(acled):
    doc, stderr = acled
    lines = [line for line in stderr.splitlines() if "left out:" in line]
    assert lines == [
        f"{ACLED}:5: row SYN1004 left out: latitude 'not-a-number' is not a number - write "
        "decimal degrees, e.g. 33.51"
    ]
    assert set(by_source_id(doc)) == {"SYN1001", "SYN1002", "SYN1003", "SYN1005", "SYN1006"}
    assert "5 of 6 rows imported (1 left out)" in stderr


def test_gzipped_export_imports_like_the_plain_one(tmp_path, acled):
    packed = tmp_path / "export.csv.gz"
    packed.write_bytes(gzip.compress(ACLED.read_bytes()))
    result = run_cli("import", str(packed), "--format", "acled", "--accessed", "2026-12-01")
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "export.geojson").read_text(encoding="utf-8"))  # beside it
    assert doc["features"] == acled[0]["features"]
    assert doc["layer"]["provenance"]["file"] == "export.csv.gz"


def test_a_file_that_is_not_acled_is_refused_in_one_line(tmp_path):
    output = tmp_path / "out.geojson"
    output.write_text("old", encoding="utf-8")
    result = run_cli("import", str(UCDP), "--format", "acled", "-o", str(output))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not an ACLED export: the header lacks event_id_cnty" in result.stderr
    assert "Traceback" not in result.stderr
    assert output.read_text(encoding="utf-8") == "old"  # left untouched


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe garbage", "not UTF-8"),
        (gzip.compress(ACLED.read_bytes())[:300], "cut short"),
    ],
)
def test_broken_files_get_one_line_and_no_traceback(tmp_path, content, words):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    result = run_cli("import", str(bad), "--format", "acled")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "bad.geojson").exists()


# --- UCDP ------------------------------------------------------------------------------------


def test_ucdp_where_prec_codes_map_to_ours(ucdp):
    rows = by_source_id(ucdp[0])
    expected = {
        "900001": "approximate",  # 1: the named place
        "900002": "stand-in",  # 2: an area around a named place
        "900003": "region",  # 3: ADM2 centroid
        "900004": "region",  # 4: ADM1 centroid
        "900005": "region",  # 5: larger than ADM1, or between places
        "900006": "region",  # 6: the country's centroid stays visibly imprecise
        "900007": "region",  # 7: at sea
    }
    for sid, precision in expected.items():
        props = rows[sid]["properties"]
        assert props["location_precision"] == precision, sid
        assert f"UCDP where_prec {sid[-1]}:" in props["location_note"]
    assert "centroid" in rows["900006"]["properties"]["location_note"]
    assert "country" not in rows["900007"]["properties"]  # at sea: no country claimed


def test_ucdp_date_prec_codes_map_to_partial_dates(ucdp):
    rows = by_source_id(ucdp[0])
    dates = {sid: (f["properties"]["start"], f["properties"].get("end")) for sid, f in rows.items()}
    assert dates["900001"] == ("2016-05-01", None)  # 1: the day
    assert dates["900002"] == ("2016-05-02", "2016-05-05")  # 2: two to six days
    assert dates["900003"] == ("2016-06-06", "2016-06-12")  # 3: the week's bounds
    assert dates["900004"] == ("2016-07", None)  # 4: the month
    assert dates["900005"] == ("2016", None)  # 5: the year
    assert "date_prec 3" in rows["900003"]["properties"]["date_note"]


def test_ucdp_keeps_estimates_sides_and_source_text(ucdp):
    doc, stderr = ucdp
    props = by_source_id(doc)["900001"]["properties"]
    assert props["id"] == "ucdp-ged-900001"
    assert props["fatalities"] == {"low": 2, "best": 4, "high": 7}
    assert props["actor"] == "Government of Syria" and "Synthetic Rebels" in props["actor_note"]
    assert props["event_type"] == "state-based conflict"
    (source,) = props["sources"]
    assert source["title"] == "UCDP Georeferenced Event Dataset (GED) Global version 25.1"
    assert source["url"] == "https://ucdp.uu.se/downloads/"
    assert "local residents" in source["note"] and "Synthetic headline one" in source["note"]
    assert by_source_id(doc)["900003"]["properties"]["target"] == "Civilians"  # one-sided
    assert doc["layer"]["provenance"]["version"] == "25.1"
    assert ":9: row 900008 left out: date_prec '9'" in stderr


def test_imported_layers_validate_and_are_canonical(tmp_path):
    for source, fmt in ((ACLED, "acled"), (UCDP, "ucdp")):
        result = run_cli(
            "import", str(source), "--format", fmt, "-o", str(tmp_path / f"{fmt}.geojson")
        )
        assert result.returncode == 0, result.stderr
    checked = run_cli("validate", str(tmp_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 error(s), 0 warning(s)" in checked.stderr
    formatted = run_cli("fmt", "--check", str(tmp_path))
    assert formatted.returncode == 0, formatted.stdout


def test_a_layer_that_cannot_be_written_says_why(tmp_path):
    folder = tmp_path / "taken.geojson"
    folder.mkdir()  # the output name is a folder
    result = run_cli("import", str(ACLED), "--format", "acled", "-o", str(folder))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = next(line for line in result.stderr.splitlines() if "cannot write" in line)
    assert line.startswith(f"{folder}: cannot write the layer: ") and "None" not in line


def test_the_default_output_never_replaces_a_file(tmp_path):
    source = tmp_path / "bases.csv"
    shutil.copy(ACLED, source)
    mine = tmp_path / "bases.geojson"
    mine.write_text("mine", encoding="utf-8")
    result = run_cli("import", str(source), "--format", "acled")
    assert result.returncode == 2 and f"{mine} exists; name the layer to write with -o" in (
        result.stderr
    )
    assert mine.read_text(encoding="utf-8") == "mine"
    result = run_cli("import", str(source), "--format", "acled", "-o", str(mine))
    assert result.returncode == 0 and mine.read_text(encoding="utf-8").startswith("{")


def test_usage_errors_exit_2(tmp_path):
    result = run_cli("import", str(ACLED), "--format", "acled", "--accessed", "yesterday")
    assert result.returncode == 2 and "--accessed" in result.stderr
    result = run_cli("import", str(ACLED), "--format", "acled", "-o", str(ACLED))
    assert result.returncode == 2 and "is the input file" in result.stderr
    copy = tmp_path / "a.csv"
    shutil.copy(ACLED, copy)
    result = run_cli("import", str(copy), "--format", "acled", "--layer-id", "Not Kebab")
    assert result.returncode == 2 and "kebab-case" in result.stderr


def test_each_unplaceable_row_gets_its_own_reason(tmp_path):
    header, first, *_ = ACLED.read_text(encoding="utf-8").splitlines()
    rows = [
        first,  # line 2: fine
        first,  # line 3: the same id again
        first.replace("SYN1001", "SYN2001").replace("Synthetic Air Force", "<b>Bold</b> Force"),
        first.replace("SYN1001", "SYN2002").replace("2024-01-15", "2099-01-15"),
        first.replace("SYN1001", "SYN2003").replace(",1,Political", ",7,Political"),
        first.replace("SYN1001", "SYN2004") + ",extra",
        first.replace("SYN1001", "SYN2005").replace(",3,,1700000000", ",,,1700000000"),
        first.replace("SYN1001", "<i>SYN2006</i>"),  # line 9: an id a page would render
        first.replace("SYN1001", "S" * 201),  # line 10: longer than a layer's source_id
    ]
    export = tmp_path / "rows.csv"
    export.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = run_cli("import", str(export), "--format", "acled")
    assert result.returncode == 0, result.stderr
    reasons = [line for line in result.stderr.splitlines() if "left out:" in line]
    assert reasons[0].startswith(f"{export}:3: row SYN1001 left out: its id 'SYN1001' appears")
    assert reasons[1].startswith(f"{export}:4: row SYN2001 left out: column actor1 holds markup")
    assert reasons[2].startswith(f"{export}:5: row SYN2002 left out: event_date 2099-01-15 lies")
    assert reasons[3].startswith(f"{export}:6: row SYN2003 left out: time_precision '7' is not")
    assert reasons[4].startswith(f"{export}:7: row SYN2004 left out: the row has 32 fields")
    assert "left out: column event_id_cnty holds markup" in reasons[5]
    assert reasons[5].startswith(f"{export}:9: row ")
    assert "left out: event_id_cnty is 201 characters long, over 200" in reasons[6]
    assert len(reasons) == 7
    doc = json.loads((tmp_path / "rows.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["source_id"] for f in doc["features"]] == ["SYN1001", "SYN2005"]
    assert "fatalities" not in doc["features"][1]["properties"]  # a blank is no figure


def test_markup_in_a_ged_rows_id_or_source_count_leaves_the_row_out(tmp_path):
    """Both reach the layer's text (source_id, the source note): the row is left out with its
    reason, and the rest import into a layer that validates."""
    header, first, *_ = UCDP.read_text(encoding="utf-8").splitlines()
    fields = first.split(",")
    names = header.split(",")
    marked_count = list(fields)
    marked_count[0] = "900901"
    marked_count[names.index("number_of_sources")] = "<b>2</b>"
    marked_id = list(fields)
    marked_id[0] = "<b>900902</b>"
    export = tmp_path / "ged.csv"
    rows = [first, ",".join(marked_count), ",".join(marked_id)]
    export.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    output = tmp_path / "ged.geojson"
    result = run_cli("import", str(export), "--format", "ucdp", "-o", str(output))
    assert result.returncode == 0, result.stderr
    reasons = [line for line in result.stderr.splitlines() if "left out:" in line]
    assert "left out: column number_of_sources holds markup" in reasons[0]
    assert "left out: column id holds markup" in reasons[1] and len(reasons) == 2
    doc = json.loads(output.read_text(encoding="utf-8"))
    assert [f["properties"]["source_id"] for f in doc["features"]] == [fields[0]]
    assert run_cli("validate", str(tmp_path)).returncode == 0


def test_a_stray_quote_names_the_lines_it_joined(tmp_path):
    """A quote opens a field in line 4 and the next quote is in line 8: the csv reader reads
    lines 4 to 8 as one row. The message names them all, not line 4 alone."""
    header = (
        "event_id_cnty,event_date,time_precision,event_type,sub_event_type,actor1,country,"
        "latitude,longitude,geo_precision,fatalities,notes"
    )
    rows = [
        f"SYR{n},2024-01-15,1,Battles,Armed clash,Army,Syria,33.51,36.29,1,0,A note."
        for n in range(8)
    ]
    rows[2] = rows[2].replace(",Army,", ',"Army,')
    rows[6] = rows[6].replace("A note.", 'A "note.')
    export = tmp_path / "quoted.csv"
    export.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = run_cli("import", str(export), "--format", "acled", "--accessed", "2026-12-01")
    assert result.returncode == 0, result.stderr
    [reason] = [line for line in result.stderr.splitlines() if "left out:" in line]
    assert reason.startswith(f"{export}:4: row SYR2 left out: the row has ")
    assert "runs from line 4 to line 8" in reason and "remove the stray quote" in reason


def test_a_zipped_ucdp_release_imports(tmp_path):
    import zipfile

    packed = tmp_path / "ged251-csv.zip"
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(UCDP, "GEDEvent_v25_1.csv")
    result = run_cli("import", str(packed), "--format", "ucdp")
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "ged251-csv.geojson").read_text(encoding="utf-8"))
    assert len(doc["features"]) == 7
    assert doc["layer"]["provenance"]["version"] == "25.1"  # from the release's file name


def test_the_validator_words_bad_event_fields_plainly(tmp_path, ucdp):
    doc = json.loads(json.dumps(ucdp[0]))
    features = doc["features"]
    features[0]["properties"]["fatalities"] = -1
    features[1]["properties"]["fatalities"] = {"low": 1}
    features[2]["properties"]["fatalities"] = {"best": 1, "worst": 3}
    features[3]["properties"]["claim_status"] = "rumoured"
    path = tmp_path / "edited.geojson"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    out = result.stdout
    assert "feature ucdp-ged-900001: fatalities: -1 is out of range - the minimum is 0" in out
    assert "feature ucdp-ged-900002: fatalities.best: missing required 'best'" in out
    assert "feature ucdp-ged-900003: fatalities.worst: unknown property 'worst'" in out
    assert "use one of: confirmed, claimed, disputed, reported" in out


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=400))
def test_any_bytes_after_the_header_import_or_fail_in_one_line(tmp_path, body):
    from geo.ingest import ImportFileError, Options, import_file

    header = ACLED.read_bytes().split(b"\n", 1)[0]
    export = tmp_path / "fuzz.csv"
    export.write_bytes(header + b"\n" + body)
    try:
        result = import_file(export, "acled", Options())
    except ImportFileError as exc:
        assert "\n" not in str(exc)
        return
    assert all("\n" not in m.format() for m in result.problems)
    assert len(result.doc["features"]) + len(result.problems) == result.rows


@pytest.mark.parametrize("char", NASTY)
def test_each_character_the_format_refuses_is_cleaned_or_the_row_left_out(tmp_path, char):
    assert import_and_validate(tmp_path, f"A{char}B", f"N{char}o", f"P{char}q") == []


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actor=TEXT, notes=TEXT, place=TEXT)
def test_whatever_text_a_row_holds_the_layer_validates(tmp_path, actor, notes, place):
    """The importer cleans what the format refuses (controls, direction overrides, invisible
    characters in names, decomposed letters) or leaves the row out; it never writes a layer that
    fails validation."""
    assert import_and_validate(tmp_path, actor, notes, place) == []


def import_and_validate(tmp_path: Path, actor: str, notes: str, place: str) -> list[str]:
    """Import the first sample row with these texts; the validator's messages on the layer."""
    import csv
    import datetime as dt

    from geo.ingest import ImportFileError, Options, import_file
    from geo.ingest.write import layer_bytes
    from geo.validate import validate_paths

    with ACLED.open(encoding="utf-8", newline="") as handle:
        header, first, *_ = list(csv.reader(handle))
    row = dict(zip(header, first, strict=True))
    row.update(actor1=actor, notes=notes, location=place)
    export = tmp_path / "text.csv"
    with export.open("w", encoding="utf-8", newline="", errors="surrogatepass") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow([row[column] for column in header])
    try:
        result = import_file(export, "acled", Options(accessed="2026-12-01"))
    except ImportFileError as exc:  # only a file the csv module cannot read fails whole
        assert "\n" not in str(exc)
        return []
    if not result.doc["features"]:
        assert len(result.problems) == 1  # left out, and said so
        return []
    output = tmp_path / "text.geojson"
    output.write_bytes(layer_bytes(result.doc))
    return [m.format() for m in validate_paths([output], today=dt.date(2026, 12, 3))]


def test_a_layer_too_big_for_a_layer_file_is_written_with_a_warning(tmp_path):
    header, first, *_ = ACLED.read_text(encoding="utf-8").splitlines()
    rows = [first.replace("SYN1001", f"SYN{n}") for n in range(14_000)]
    export = tmp_path / "big.csv"
    export.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = run_cli("import", str(export), "--format", "acled")
    assert result.returncode == 0, result.stderr
    output = tmp_path / "big.geojson"
    assert output.stat().st_size > 20 * 1024 * 1024
    assert "warning: the layer is" in result.stderr and "-o NAME.parquet" in result.stderr
    assert "14,000 of 14,000 rows imported" in result.stderr


def test_dataset_country_names_become_codes_or_nothing():
    from geo.ingest.common import alpha2_from_name

    assert alpha2_from_name("Yemen (North Yemen)") == "YE"  # UCDP's historical names
    assert alpha2_from_name("Turkey") == "TR" and alpha2_from_name("Palestine") == "PS"
    assert alpha2_from_name("Russia (Soviet Union)") == "RU"
    assert alpha2_from_name("Somewhere at sea") is None  # never a guess


def test_an_export_separated_by_semicolons_is_told_so(tmp_path):
    header, first, *_ = ACLED.read_text(encoding="utf-8").splitlines()
    export = tmp_path / "semicolons.csv"
    rows = [line.replace(",", ";") for line in (header, first)]
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run_cli("import", str(export), "--format", "acled")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "its columns are separated by semicolons, not commas" in result.stderr


def test_a_column_named_twice_is_refused_not_read_from_its_last_copy(tmp_path):
    header, first, *_ = ACLED.read_text(encoding="utf-8").splitlines()
    export = tmp_path / "twice.csv"
    export.write_text(f"{header},latitude\n{first},0\n", encoding="utf-8")
    result = run_cli("import", str(export), "--format", "acled")
    assert result.returncode == 1 and "the header names latitude twice" in result.stderr
