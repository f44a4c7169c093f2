"""Uploads at scale: ACLED, UCDP (gzipped too) and GeoParquet files become session GeoParquet
layers through the checking process, and files over the limits are refused before parsing."""

from __future__ import annotations

import csv
import gzip
import io
import re
import time
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from geo.app.upload import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_FEATURES,
    Taken,
    load_upload_file,
)
from geo.app.upload_check import check_upload
from geo.catalog import View, is_stored, load_catalog
from tests.helpers import LAYERS, ROOT, run_cli

ACLED = ROOT / "tests" / "data" / "acled_sample.csv"
UCDP = ROOT / "tests" / "data" / "ucdp_sample.csv"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(Path(LAYERS))


@pytest.fixture(scope="module")
def acled_1000(tmp_path_factory) -> Path:
    """A 1,000-row ACLED export: the sample's rows again with ids of their own."""
    header, *rows = list(csv.reader(ACLED.read_text(encoding="utf-8").splitlines()))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    column = header.index("event_id_cnty")
    for number in range(1000):
        row = list(rows[number % len(rows)])
        row[column] = f"BIG{number}"
        writer.writerow(row)
    path = tmp_path_factory.mktemp("acled") / "acled-1000.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_a_1000_row_acled_export_lands_as_a_session_geoparquet_layer(catalog, acled_1000, tmp_path):
    stages: list[str] = []
    outcome = check_upload(
        "acled-1000.csv",
        acled_1000.read_bytes(),
        Taken.of(catalog),
        lambda stage, _s: stages.append(stage),
        workdir=tmp_path,
    )
    assert outcome.layer is not None, [m.format() for m in outcome.messages]
    layer = outcome.layer
    assert is_stored(layer) and layer.path.parent == tmp_path  # rows in the file, not in dicts
    assert layer.group == "user" and layer.id == "user-acled-1000"
    assert layer.meta["provenance"]["file"] == "acled-1000.csv"  # the user's name for it
    assert sorted(tmp_path.iterdir()) == [layer.path]  # the staged upload is gone
    expected = run_cli("import", str(acled_1000), "--format", "acled", "-o", str(tmp_path / "x"))
    imported = int(expected.stderr.rsplit(" of ", 1)[0].rsplit(" ", 1)[-1].replace(",", ""))
    assert len(layer.features) == imported == pq.read_metadata(layer.path).num_rows
    assert any(stage.startswith("counting the rows") for stage in outcome.stages)
    assert any(stage.startswith("storing") for stage in outcome.stages)
    shown = [f for _, f in catalog.with_layer(layer).features(View()) if _.id == layer.id]
    assert len(shown) == len(layer.features)
    first = layer.features[0]["properties"]
    assert first["source_id"].endswith("BIG0") and first["claim_status"] == "reported"


def test_a_gzipped_ucdp_export_is_found_out_and_imported(catalog, tmp_path):
    packed = tmp_path / "ged.csv.gz"
    packed.write_bytes(gzip.compress(UCDP.read_bytes()))
    layer, messages = load_upload_file("ged.csv.gz", packed, Taken.of(catalog), tmp_path)
    assert layer is not None, [m.format() for m in messages]
    assert is_stored(layer) and layer.group == "user"
    ids = {f["properties"]["id"] for f in layer.features}
    assert "ucdp-ged-900001" in ids
    assert all(m.level == "warning" for m in messages)  # rows left out do not refuse the file


def test_the_format_chosen_in_the_box_wins_over_the_sniffer(catalog, tmp_path):
    source = tmp_path / "export.txt"
    source.write_bytes(UCDP.read_bytes())
    layer, messages = load_upload_file("export.txt", source, Taken.of(catalog), tmp_path, "acled")
    assert layer is None
    text = messages[0].format()
    assert text.startswith("export.txt: not an ACLED export: the header lacks event_id_cnty")
    assert text.endswith("choose its format in the box")


def test_a_file_over_the_byte_limit_is_refused_without_being_read(catalog, tmp_path):
    big = tmp_path / "huge.csv"
    with open(big, "wb") as handle:  # sparse: no 200 MB are written
        handle.truncate(MAX_UPLOAD_BYTES + 1)
    started = time.perf_counter()
    outcome = check_upload("huge.csv", big, Taken.of(catalog), workdir=tmp_path)
    assert time.perf_counter() - started < 1.0
    assert outcome.layer is None
    text = outcome.messages[0].format()
    assert text.startswith("huge.csv: file is 209,715,201 bytes, over the upload limit of")
    assert "209,715,200 (200 MB)" in text


def _zipped_after_a_readme(body: bytes) -> bytes:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", "What the columns mean.\n")
        archive.writestr("rows.csv", body)
    return packed.getvalue()


@pytest.mark.parametrize(
    ("name", "pack", "end"),
    [
        ("rows.csv.gz", lambda body: gzip.compress(body, compresslevel=1), b"\n"),
        ("rows.zip", _zipped_after_a_readme, b"\n"),  # the CSV is not the first member
        ("rows.csv", lambda body: body, b"\r"),  # lines that end in a lone CR (old Excel)
    ],
)
def test_a_file_over_the_row_limit_is_refused_before_parsing(catalog, tmp_path, name, pack, end):
    rows = tmp_path / name
    body = b"name,latitude,longitude" + end + (b"x,1,2" + end) * (MAX_UPLOAD_FEATURES + 1)
    rows.write_bytes(pack(body))
    stages: list[str] = []
    layer, messages = load_upload_file(
        name, rows, Taken.of(catalog), tmp_path, progress=stages.append
    )
    assert layer is None
    assert [m.format() for m in messages] == [
        f"{name}: more than {MAX_UPLOAD_FEATURES:,} rows in {rows.stat().st_size:,} "
        f"bytes, over the upload limit of {MAX_UPLOAD_FEATURES:,} - split the file"
    ]
    assert not any(stage.startswith("importing") for stage in stages)


def test_too_many_geojson_features_are_refused_before_any_check(catalog, tmp_path):
    path = tmp_path / "many.geojson"
    features = b",".join([b'{"type":"Feature"}'] * (MAX_UPLOAD_FEATURES + 1))
    path.write_bytes(b'{"type":"FeatureCollection","features":[' + features + b"]}")
    layer, messages = load_upload_file("many.geojson", path, Taken.of(catalog), tmp_path)
    assert layer is None and f"more than {MAX_UPLOAD_FEATURES:,} rows" in messages[0].format()


def test_an_upload_whose_ids_a_parquet_layer_holds_is_refused(tmp_path):
    folder = tmp_path / "layers"
    folder.mkdir()
    stored = folder / "acled.parquet"
    assert run_cli("import", str(ACLED), "--format", "acled", "-o", str(stored)).returncode == 0
    catalog = load_catalog(folder)
    taken = Taken.of(catalog)
    assert taken.stored and not taken.feature_ids  # the Parquet ids stay in the file
    layer, messages = load_upload_file("again.csv", ACLED, taken, tmp_path)
    assert layer is None
    first_id = pq.read_table(stored, columns=["id"]).column("id")[0].as_py()
    assert f"feature id {first_id!r} is already used by the layer" in messages[0].format()


def test_a_geoparquet_upload_becomes_a_layer(catalog, tmp_path):
    source = tmp_path / "mine.parquet"
    assert run_cli("import", str(ACLED), "--format", "acled", "-o", str(source)).returncode == 0
    layer, messages = load_upload_file("mine.parquet", source, Taken.of(catalog), tmp_path)
    assert layer is not None, [m.format() for m in messages]
    assert layer.id == "user-mine" and layer.group == "user"
    assert len(layer.features) == pq.read_metadata(source).num_rows


def test_streamlit_accepts_uploads_as_big_as_our_limit():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * 1024**2 == MAX_UPLOAD_BYTES


@pytest.mark.browser
def test_a_gzipped_ucdp_export_uploaded_in_the_app_shows_as_a_layer(context, app_url, tmp_path):
    packed = tmp_path / "ged.csv.gz"
    packed.write_bytes(gzip.compress(UCDP.read_bytes()))
    page = context.new_page()
    page.goto(app_url)
    page.get_by_text("Bring your own layer").click()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(packed))
    added = page.get_by_text(re.compile(r"^Added Your layer: ged\.csv\.gz \(\d+\)"))
    added.wait_for(state="attached", timeout=60000)  # in the expander, maybe folded
    count = int(added.text_content().rsplit("(", 1)[1].split(")")[0])
    assert count > 0
    sidebar = page.locator("[data-testid='stSidebar']")
    assert f"Your layer: ged.csv.gz ({count})" in sidebar.inner_text()
    assert context.recorder.outside == []


def test_rows_are_records_not_lines_when_quoted_fields_hold_line_breaks(tmp_path):
    from geo.ingest.sniff import count_rows

    path = tmp_path / "quoted.csv"
    records = ['a,"one\nline more\nand more"', "b,two", 'c,"three\nfour"']
    path.write_text("name,notes\n" + "\n".join(records) + "\n", encoding="utf-8")
    assert count_rows(path, "csv", limit=3, max_bytes=10_000) == 3  # 6 line breaks, 3 rows
    assert count_rows(path, "csv", limit=2, max_bytes=10_000) == 3  # over: limit + 1
    assert count_rows(path, "csv", limit=9, max_bytes=10_000) == 6  # within: the line breaks


def test_counting_records_leaves_the_csv_field_limit_as_it_was(tmp_path):
    """The CSV reader's field limit is the process's: an upload counted past the row limit
    must not lift it for every later read (a 200,000-character field would then pass)."""
    import csv

    from geo.ingest.sniff import count_rows

    path = tmp_path / "many.csv"
    path.write_text("name,notes\n" + "".join(f"r{n},x\n" for n in range(5)), encoding="utf-8")
    before = csv.field_size_limit()
    assert count_rows(path, "csv", limit=2, max_bytes=10_000) == 3  # read as records
    assert csv.field_size_limit() == before


def test_a_gzip_that_expands_too_far_is_stopped_while_counting(tmp_path):
    from geo.ingest.sniff import TooLarge, count_rows

    path = tmp_path / "bomb.csv.gz"
    path.write_bytes(gzip.compress(b"name,latitude,longitude\n" + b"x" * 5_000_000))
    with pytest.raises(TooLarge):
        count_rows(path, "csv", limit=10, max_bytes=1_000_000)


@pytest.mark.parametrize("name", ["../../etc/x.csv", "a\x00b.csv", "..", "C:\\Users\\me\\x.csv"])
def test_an_odd_file_name_never_reaches_the_file_system_as_given(catalog, tmp_path, name):
    outcome = check_upload(name, ACLED.read_bytes(), Taken.of(catalog), workdir=tmp_path)
    assert outcome.layer is not None, [m.format() for m in outcome.messages]
    assert outcome.layer.path.parent == tmp_path
    assert [p for p in tmp_path.iterdir()] == [outcome.layer.path]


def test_a_gzipped_geojson_layer_is_imported_and_its_bad_features_named(catalog, tmp_path):
    import json

    from tests.helpers import feature, layer_doc

    doc = layer_doc(feature("gz-good"), feature("gz-bad", start="2099"), layer_id="gz")
    packed = tmp_path / "mine.geojson.gz"
    packed.write_bytes(gzip.compress(json.dumps(doc).encode()))
    layer, messages = load_upload_file("mine.geojson.gz", packed, Taken.of(catalog), tmp_path)
    assert layer is not None, [m.format() for m in messages]
    assert [f["properties"]["id"] for f in layer.features] == ["gz-good"]
    assert layer.id == "user-mine-geojson" and layer.group == "user"
    assert len(messages) == 1
    assert "feature gz-bad: warning: left out: start: date 2099" in messages[0].format()
    assert sorted(tmp_path.iterdir()) == sorted([packed, layer.path])  # no expanded copy left


# --- a session's uploaded layers do not outlive it --------------------------------------------


def test_a_sessions_upload_folder_goes_with_the_session(tmp_path, monkeypatch):
    """The folder is removed when the session's holder of it is collected (Streamlit lets a
    session go some time after its browser left), and a layer the session drops loses its
    file at once."""
    import gc

    from geo.app.upload import UploadFolder
    from geo.model import Layer

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    folder = UploadFolder()
    kept, dropped = folder.path / "kept.parquet", folder.path / "dropped.parquet"
    elsewhere = tmp_path / "repository-layer.parquet"
    for path in (kept, dropped, elsewhere):
        path.write_bytes(b"PAR1")
    folder.forget([Layer(path=dropped, meta={}), Layer(path=elsewhere, meta={})])
    assert kept.exists() and not dropped.exists() and elsewhere.exists()
    where = folder.path
    del folder
    gc.collect()
    assert not where.exists() and elsewhere.exists()


def test_uploaded_layers_are_removed_when_the_app_stops(browser, tmp_path):
    """An upload lands as a GeoParquet file in the session's folder, under the server's
    temporary directory; stopping the server (SIGTERM, as a service manager does) removes it."""
    from tests.conftest import serve_app, stop_app

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    packed = tmp_path / "ged.csv.gz"
    packed.write_bytes(gzip.compress(UCDP.read_bytes()))
    process, url = serve_app({"TMPDIR": str(scratch)})
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        page.get_by_text("Bring your own layer").click()
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(packed))
        added = page.get_by_text(re.compile(r"^Added Your layer: ged\.csv\.gz \(\d+\)"))
        added.wait_for(state="attached", timeout=60000)
        stored = list(scratch.glob("posture-upload-*/*.parquet"))
        assert len(stored) == 1, list(scratch.rglob("*"))
        context.close()
    finally:
        stop_app(process)
    assert process.returncode is not None
    assert list(scratch.glob("posture-upload-*")) == []


def test_a_gzip_cut_short_is_named_as_such_not_as_a_failed_check(catalog, tmp_path):
    body = b"name,latitude,longitude\n" + b"x,1,2\n" * 300_000
    packed = gzip.compress(body)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    layer, messages = load_upload_file("cut.csv.gz", cut, Taken.of(catalog), tmp_path)
    assert layer is None
    assert [m.format() for m in messages] == [
        "cut.csv.gz: the compressed file is cut short - download it again"
    ]


def test_a_check_stopped_at_its_time_limit_leaves_nothing_behind(catalog, tmp_path):
    """A gzipped GeoJSON is expanded beside the session's layers before it is read: a check
    stopped while reading it leaves neither that file nor any other."""
    import json

    from tests.helpers import feature

    features = [feature(f"site-{n}", 51.0 + n % 100 * 0.001, 25.0) for n in range(40_000)]
    upload = tmp_path / "sites.geojson.gz"
    doc = {"type": "FeatureCollection", "features": features}
    upload.write_bytes(gzip.compress(json.dumps(doc).encode(), compresslevel=1))
    workdir = tmp_path / "session"
    workdir.mkdir()
    (workdir / "earlier-layer.parquet").write_bytes(b"kept")  # what the session had
    outcome = check_upload("sites.geojson.gz", upload, Taken.of(catalog), timeout=3.0,
                           workdir=workdir)  # fmt: skip
    assert outcome.layer is None
    assert "was stopped" in outcome.messages[0].format()
    assert [entry.name for entry in workdir.iterdir()] == ["earlier-layer.parquet"]
