"""The exports cannot lose or corrupt a user's file, crash on text, or drop data.

Every test runs the real ``python -m geo export`` in a subprocess (or, for text that the
validator keeps out of layer files, the app's download path :func:`geo.export.export_bytes`)
with real files, FIFOs, device nodes, sockets, symlinks and a real full file system.

- the target: a FIFO, device or socket at -o is refused, not replaced; a symlink is written
  through; names up to the file system's limit work for every format;
- a full disk: every format fails with one line and leaves the earlier file as it was;
- text: lone surrogates, NUL, vertical tab, U+FFFE/U+FFFF never crash an export, never make
  invalid XML, never cut a name short;
- data: every property the layer schema allows reaches every export; a source is its whole
  citation; every export says to which date the data was reviewed; the command says what it
  wrote.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import socket
import sqlite3
import stat
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from geo.catalog import Catalog, View
from geo.export import EmptyViewError, export_bytes
from geo.export.data import ExportInputError, ExportWriteError
from geo.model import Layer
from geo.render.maps import embedded_payload
from tests.helpers import run_cli

FORMATS = ("html", "png", "svg", "geojson", "csv", "kml", "gpkg")
ERROR_PREFIX = "python -m geo export: error: "
MAGIC = {
    "html": b"<!DOCTYPE html>",
    "png": b"\x89PNG",
    "svg": b"<?xml",
    "geojson": b"{",
    "csv": b"\xef\xbb\xbf",
    "kml": b"<?xml",
    "gpkg": b"SQLite format 3\x00",
}
KML_NS = {"k": "http://www.opengis.net/kml/2.2"}

# ---------------------------------------------------------------------------------------------
# A layers folder whose one feature carries every property the layer schema allows, each with
# a value that can be found again in every export, and a second feature that cites the same
# page under another title.

URL = "https://www.example.org/news/every-field"
REVIEWED_OLDEST = "2026-10-15"
REVIEWED_OLDEST_LABEL = "15 Oct 2026"

EVERY_FIELD: dict[str, Any] = {
    "id": "every-field",
    "name": "Namevalue Alpha",
    "kind": "airstrike",
    "start": "2024-01-03",
    "end": "2024-01-05",
    "date_note": "Datenotevalue Bravo",
    "location_precision": "approximate",
    "location_note": "Locationnotevalue Charlie",
    "country": "QA",
    "description": "Descriptionvalue Delta",
    "actor": "Actorvalue Echo",
    "actor_note": "Actornotevalue Foxtrot",
    "target": "Targetvalue Golf",
    "operator": "Operatorvalue Hotel",
    "units": ["Unitvalue India", "Unitvalue Juliet"],
    "icao": "OTBH",
    "relation_to_iran": "Relationvalue Kilo",
    "claim_status": "claimed",
    "outcome": "Outcomevalue Lima",
    "fatalities": {"low": 311, "best": 412, "high": 913},
    "event_type": "Eventtypevalue Uniform",
    "source_id": "Sourceidvalue Victor",
    "origin": {
        "name": "Originvalue Mike",
        "coordinates": [47.123457, 29.654321],
        "location_precision": "stand-in",
        "location_note": "Originnotevalue November",
    },
    "claims": [
        {
            "topic": "Topicvalue Oscar",
            "value": "Claimvalue Papa",
            "as_of": "2024-02",
            "source": URL,
        }
    ],
    "sources": [
        {
            "title": "First title Quebec",
            "publisher": "Publishervalue Romeo",
            "url": URL,
            "archive_url": "https://web.archive.org/web/2024/" + URL,
            "published": "2024-01-04",
            "accessed": "2026-11-01",
            "quote": "Quotevalue Sierra",
            "note": "Notevalue Tango",
        }
    ],
}

SECOND: dict[str, Any] = {
    "id": "same-page-other-title",
    "name": "Second feature",
    "kind": "air-base",
    "start": "2020",
    "location_precision": "exact",
    "country": "QA",
    "description": "Cites the same page under another title.",
    "sources": [
        {
            "title": "Second title Uniform",
            "publisher": "Publishervalue Romeo",
            "url": URL,
            "accessed": "2026-11-02",
        }
    ],
}


def _layer(
    layer_id: str, group: str, reviewed: str, features: list[tuple[dict[str, Any], list[float]]]
) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "layer": {
            "id": layer_id,
            "title": f"Layer {layer_id}",
            "group": group,
            "description": "A layer for export tests.",
            "reviewed": reviewed,
            "visible": True,
            "style": {"color": "#aa3300"},
        },
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": coords},
                "properties": copy.deepcopy(props),
            }
            for props, coords in features
        ],
    }


def write_layers(folder: Path) -> Path:
    """Two layers reviewed on different days; the older day is :data:`REVIEWED_OLDEST`."""
    folder.mkdir(parents=True, exist_ok=True)
    docs = {
        "every.geojson": _layer(
            "every", "events", REVIEWED_OLDEST, [(EVERY_FIELD, [51.315, 25.1173])]
        ),
        "second.geojson": _layer("second", "us-posture", "2026-11-20", [(SECOND, [51.5, 25.3])]),
    }
    for name, doc in docs.items():
        (folder / name).write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return folder


# ---------------------------------------------------------------------------------------------
# Helpers


def export(fmt: str, out: Path, *args: str, layers: Path | None = None):
    extra = ["--layers-dir", str(layers)] if layers else []
    size = ["--size", "640x360"] if fmt in ("png", "svg") else []
    return run_cli("export", fmt, "-o", str(out), *size, *extra, *args)


def assert_one_line_error(result, *words: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(ERROR_PREFIX), lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])


def payload_of(html: str) -> dict[str, Any]:
    """The data the exported page draws, as it is embedded in the page."""
    return embedded_payload(html)


def svg_texts(data: bytes) -> list[str]:
    """The SVG's comments (matplotlib writes each text drawn as paths in one) and texts; the
    parse itself checks that the SVG is well-formed XML."""
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.fromstring(data, parser=parser)
    texts = []
    for element in root.iter():
        if element.tag is ET.Comment:
            texts.append(" ".join((element.text or "").split()))
        elif element.text and element.text.strip():
            texts.append(element.text)
    return texts


def kml_texts(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    return [text for element in root.iter() for text in [element.text] if text and text.strip()]


def gpkg_rows(path: Path) -> list[dict[str, Any]]:
    import pyogrio

    frame = pyogrio.read_dataframe(path)
    return frame.drop(columns="geometry").to_dict("records")


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# ---------------------------------------------------------------------------------------------
# The target: refused when it is not a regular file, written through when it is a symlink


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_fifo_at_the_target_is_refused_not_replaced(tmp_path, fmt):
    fifo = tmp_path / f"pipe.{fmt}"
    os.mkfifo(fifo)
    result = export(fmt, fifo, "--layers", "us-sites")
    assert_one_line_error(result, str(fifo), "named pipe", "-o")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(tmp_path) == [fifo.name]


def _make(kind: str, folder: Path) -> tuple[Path, Any]:
    """A target of ``kind`` and a check that it is still that kind afterwards."""
    path = folder / f"target-{kind}.kml"
    if kind == "device":
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root (CI runs as root)")
        # /dev/null's numbers, made here so that a regression replaces this node, not the
        # system's.
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        return path, lambda: stat.S_ISCHR(os.lstat(path).st_mode)
    if kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()
        return path, lambda: stat.S_ISSOCK(os.lstat(path).st_mode)
    if kind == "symlink-to-fifo":
        fifo = folder / "pipe"
        os.mkfifo(fifo)
        path.symlink_to(fifo)
        return path, lambda: path.is_symlink() and stat.S_ISFIFO(os.stat(path).st_mode)
    raise ValueError(kind)


@pytest.mark.parametrize(
    ("kind", "word"),
    [("device", "character device"), ("socket", "socket"), ("symlink-to-fifo", "named pipe")],
)
def test_a_device_socket_or_link_to_a_fifo_is_refused(tmp_path, kind, word):
    path, still = _make(kind, tmp_path)
    before = sorted(os.listdir(tmp_path))
    result = export("kml", path, "--layers", "us-sites")
    assert_one_line_error(result, str(path), word, "-o")
    assert still()
    assert sorted(os.listdir(tmp_path)) == before


def test_a_symlink_loop_is_one_line(tmp_path):
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop.name)
    result = export("csv", loop, "--layers", "us-sites")
    assert_one_line_error(result, str(loop), "symlink")


def test_a_layer_file_the_export_reads_is_not_overwritten(tmp_path):
    layers = write_layers(tmp_path / "layers")
    layer_file = layers / "every.geojson"
    before = layer_file.read_bytes()
    link = tmp_path / "link.geojson"  # the same file under another name
    link.symlink_to(layer_file)
    for target in (layer_file, link):
        result = export("geojson", target, layers=layers)
        assert_one_line_error(result, str(target), "layer file", "-o")
        assert layer_file.read_bytes() == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_symlink_is_written_through_to_its_file(tmp_path, fmt):
    real = tmp_path / "real" / f"map.{fmt}"
    real.parent.mkdir()
    real.write_bytes(b"the earlier file\n")
    real.chmod(0o640)
    link = tmp_path / f"link.{fmt}"
    link.symlink_to(real)
    result = export(fmt, link, "--layers", "us-sites")
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes().startswith(MAGIC[fmt])
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the file keeps its mode
    assert sorted(os.listdir(tmp_path)) == [link.name, "real"]
    assert os.listdir(real.parent) == [real.name]  # no temporary file left


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_name_at_the_file_systems_limit_works(tmp_path, fmt):
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    out = tmp_path / ("n" * (limit - len(fmt) - 1) + "." + fmt)
    assert len(out.name) == limit
    result = export(fmt, out, "--layers", "us-sites")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(MAGIC[fmt])
    assert os.listdir(tmp_path) == [out.name]


def test_a_name_over_the_limit_is_one_line(tmp_path):
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    out = tmp_path / ("n" * limit + ".csv")
    result = export("csv", out, "--layers", "us-sites")
    assert_one_line_error(result, "name is too long", "-o")
    assert os.listdir(tmp_path) == []
    folder = tmp_path / ("n" * (limit + 1))
    result = run_cli("export", "csv", "-o", str(tmp_path / "x.csv"), "--layers-dir", str(folder))
    assert_one_line_error(result, "layers folder", "--layers-dir")


def test_a_file_name_that_is_not_utf8_is_written_and_reported(tmp_path):
    """A name with the byte 0xff (Python reads it as U+DCFF) is written as it is, and the
    report escapes it rather than failing after the write."""
    out = tmp_path / "caf\udcff.csv"
    result = export("csv", out, "--layers", "us-sites")
    assert result.returncode == 0, result.stderr
    assert os.listdir(os.fsencode(tmp_path)) == [b"caf\xff.csv"]
    assert "caf\\udcff.csv" in result.stdout


# ---------------------------------------------------------------------------------------------
# A full disk, for real: a 64 kB tmpfs


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    folder = tmp_path / "small"
    folder.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(folder)],
        check=True,
        capture_output=True,
    )
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True, capture_output=True)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_full_disk_leaves_the_earlier_file_as_it_was(small_disk, fmt):
    earlier = b"the earlier file\n"
    target = small_disk / f"map.{fmt}"
    target.write_bytes(earlier)
    (small_disk / "filler").write_bytes(b"x" * 40_000)  # about 20 kB left
    out = run_cli("export", fmt, "-o", str(target))  # every layer: far more than 20 kB
    assert_one_line_error(out, str(target), "disk is full")
    assert target.read_bytes() == earlier
    assert sorted(os.listdir(small_disk)) == ["filler", target.name]


# ---------------------------------------------------------------------------------------------
# Text a format cannot hold: from the command line (a --title), and from data that bypassed the
# validator (an upload, through the app's download path)

# \udcff is how Python reads the byte 0xff of a command line that is not UTF-8.
ARGV_TITLE = "Title\udcff\x0b\x01\ufffe\u2028end--x"
XML_TITLE = "Title\ufffd\ufffd\ufffd\ufffd\u2028end--x"
C_TITLE = "Title\ufffd\x0b\x01\ufffe\u2028end--x"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_title_no_format_can_hold_never_crashes_or_breaks_the_file(tmp_path, fmt):
    out = tmp_path / f"map.{fmt}"
    result = export(fmt, out, "--layers", "us-sites", "--title", ARGV_TITLE)
    assert "Traceback" not in result.stderr, result.stderr
    if fmt == "geojson" and result.returncode == 1:
        # The validator may refuse control characters in a layer title: a clear refusal.
        assert_one_line_error(result, "validate")
        return
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    if fmt == "html":
        assert "<title>Title\ufffd" in data.decode("utf-8")
    elif fmt == "svg":
        root = ET.fromstring(data)
        titles = [e.text for e in root.iter() if e.tag.endswith("}title")]
        assert XML_TITLE in titles, titles
    elif fmt == "kml":
        assert ET.fromstring(data).find("k:Document/k:name", KML_NS).text == XML_TITLE
    elif fmt == "gpkg":
        with sqlite3.connect(out) as db:
            (identifier,) = db.execute("select identifier from gpkg_contents").fetchone()
        assert identifier == C_TITLE
    elif fmt == "geojson":
        assert json.loads(data)["layer"]["title"] == C_TITLE
    elif fmt == "csv":
        assert csv_rows(data)
    else:
        assert data.startswith(MAGIC[fmt])


BAD = "A\ud800B\x00C\x0bD\ufffeE\uffffF]]>G<&>H--I"
BAD_UTF8 = "A\ufffdB\x00C\x0bD\ufffeE\uffffF]]>G<&>H--I"
BAD_XML = "A\ufffdB\ufffdC\ufffdD\ufffdE\ufffdF]]>G<&>H--I"
BAD_C = "A\ufffdB\ufffdC\x0bD\ufffeE\uffffF]]>G<&>H--I"


def bad_catalog() -> Catalog:
    props = copy.deepcopy(SECOND)
    props.update(id="bad-text", name=BAD, description=BAD, actor=BAD, units=[BAD])
    props["sources"][0].update(title=BAD, quote=BAD)
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [51.3, 25.1]},
        "properties": props,
    }
    meta = _layer("bad", "us-posture", "2026-11-20", [])["layer"]
    meta["title"] = BAD
    return Catalog([Layer(Path("upload.geojson"), meta, [feature])])


@pytest.mark.parametrize("fmt", FORMATS)
def test_text_no_format_can_hold_never_crashes_an_export(tmp_path, fmt):
    try:
        data = export_bytes(bad_catalog(), View(), fmt)
    except ExportInputError as exc:
        # Only the GeoJSON may refuse, when it would not pass the validator; one clear line.
        assert fmt == "geojson" and "\n" not in str(exc) and "validate" in str(exc)
        return
    except EmptyViewError:  # pragma: no cover - the view shows the feature
        raise
    if fmt == "html":
        payload = payload_of(data.decode("utf-8"))
        (feature,) = payload["layers"][0]["features"]
        assert feature["n"] == BAD_UTF8
    elif fmt == "svg":
        # The legend's label, in the comment matplotlib writes (escaped, "--" split).
        assert any(BAD_XML.split("]]")[0] in text for text in svg_texts(data))
    elif fmt == "kml":
        root = ET.fromstring(data)
        placemark = root.find(".//k:Placemark", KML_NS)
        assert placemark.find("k:name", KML_NS).text == BAD_XML  # whole, not cut at the NUL
        assert placemark.find("k:description", KML_NS).text == BAD_XML
    elif fmt == "gpkg":
        path = tmp_path / "bad.gpkg"
        path.write_bytes(data)
        (row,) = gpkg_rows(path)
        assert row["name"] == BAD_C  # whole, not cut at the NUL
        assert row["units"] == BAD_C
    elif fmt == "csv":
        (row,) = csv_rows(data)
        assert row["name"] == BAD_UTF8
        assert row["source_1_quote"] == BAD_UTF8
    elif fmt == "geojson":
        doc = json.loads(data)
        assert doc["features"][0]["properties"]["name"] == BAD_UTF8
    else:
        assert data.startswith(MAGIC[fmt])


# ---------------------------------------------------------------------------------------------
# Every field reaches every export; a source is its whole citation; the review date; the report


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Every format of the two test layers, written by the command, with its result."""
    folder = tmp_path_factory.mktemp("exported")
    layers = write_layers(folder / "layers")
    results = {}
    for fmt in FORMATS:
        out = folder / f"map.{fmt}"
        results[fmt] = (out, export(fmt, out, layers=layers))
    return results


def test_the_command_says_what_it_wrote(exported):
    for fmt, (out, result) in exported.items():
        assert result.returncode == 0, result.stderr
        size = out.stat().st_size
        assert result.stdout == f"wrote {str(out)!r}: {size:,} bytes of {fmt}\n"
        assert result.stderr == ""


def _schema_keys() -> dict[str, set[str]]:
    """The keys the schema allows in a feature's properties, a source, a claim, an origin."""
    schema = json.loads(Path("geo/schema/layer.schema.json").read_text(encoding="utf-8"))
    return {
        name: set(schema["$defs"][name]["properties"])
        for name in ("properties", "source", "claim", "origin")
    }


def test_the_test_feature_has_every_property_the_schema_allows():
    keys = _schema_keys()
    assert set(EVERY_FIELD) == keys["properties"]
    assert set(EVERY_FIELD["sources"][0]) == keys["source"]
    assert set(EVERY_FIELD["claims"][0]) == keys["claim"]
    assert set(EVERY_FIELD["origin"]) == keys["origin"]


def _number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item, path)]
    return [(path.lstrip("."), value)]


# How the HTML page shows what it does not carry as written: dates as labels, the country by
# name. Everything else is there as it is in the layer file.
HTML_FORMS = {
    "start": "3 Jan 2024",
    "end": "5 Jan 2024",
    "country": "Qatar",
    "sources.published": "4 Jan 2024",
    "sources.accessed": "1 Nov 2026",
    "claims.as_of": "Feb 2024",
}


def _texts(fmt: str, out: Path) -> list[str]:
    """Every text an export holds for the test feature."""
    data = out.read_bytes()
    if fmt == "html":
        payload = payload_of(data.decode("utf-8"))
        feature = next(
            f for layer in payload["layers"] for f in layer["features"] if f["i"] == "every-field"
        )
        cited = [payload["sources"][i] for i in feature["src"]]
        return [str(value) for _path, value in _leaves([feature, cited])]
    if fmt == "csv":
        rows = [row for row in csv_rows(data) if row["id"] == "every-field"]
    elif fmt == "gpkg":
        rows = [row for row in gpkg_rows(out) if row["id"] == "every-field"]
    elif fmt == "kml":
        root = ET.fromstring(data)
        placemark = next(
            p
            for p in root.iter(f"{{{KML_NS['k']}}}Placemark")
            if "every-field" in kml_texts(ET.tostring(p))
        )
        return kml_texts(ET.tostring(placemark))
    else:
        raise ValueError(fmt)
    assert len(rows) == 1
    return [str(value) for value in rows[0].values() if value is not None]


@pytest.mark.parametrize("fmt", ["html", "csv", "kml", "gpkg"])
def test_every_property_the_schema_allows_reaches_the_export(exported, fmt):
    out, result = exported[fmt]
    assert result.returncode == 0, result.stderr
    texts = _texts(fmt, out)
    missing = []
    for path, value in _leaves(EVERY_FIELD):
        if fmt == "html" and path == "claims.source":
            continue  # a reference into the sources, checked below
        if fmt == "html" and path in HTML_FORMS:
            expected = HTML_FORMS[path]
        elif isinstance(value, float):
            expected = _number(value)
        else:
            expected = str(value)
        if not any(expected in text for text in texts):
            missing.append((path, expected))
    assert missing == [], f"{fmt} lacks {missing}"
    if fmt == "html":
        payload = payload_of(out.read_text(encoding="utf-8"))
        features = {f["i"]: f for layer in payload["layers"] for f in layer["features"]}
        claim = features["every-field"]["cl"][0]
        assert payload["sources"][claim[3]]["url"] == URL


def test_the_geojson_keeps_every_property_as_it_is(exported):
    out, result = exported["geojson"]
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_bytes())
    props = {f["properties"]["id"]: f["properties"] for f in doc["features"]}
    assert props["every-field"] == EVERY_FIELD
    assert props["same-page-other-title"] == SECOND


def test_a_source_is_its_whole_citation_not_its_url(exported):
    """Two features cite one page under different titles: each popup shows its own."""
    out, _result = exported["html"]
    payload = payload_of(out.read_text(encoding="utf-8"))
    features = {f["i"]: f for layer in payload["layers"] for f in layer["features"]}
    titles = {
        fid: [payload["sources"][i]["title"] for i in feature["src"]]
        for fid, feature in features.items()
    }
    assert titles == {
        "every-field": ["First title Quebec"],
        "same-page-other-title": ["Second title Uniform"],
    }


@pytest.mark.parametrize("fmt", ["html", "svg", "geojson", "csv", "kml", "gpkg"])
def test_every_export_says_to_which_date_the_data_was_reviewed(exported, fmt):
    """The oldest review date of the layers. (The PNG draws the SVG's footnote; its pixels
    cannot be read back as text.)"""
    out, result = exported[fmt]
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    sentence = f"Data reviewed to {REVIEWED_OLDEST_LABEL}."
    phrase = f"data reviewed to {REVIEWED_OLDEST}"
    if fmt == "html":
        assert sentence in payload_of(data.decode("utf-8"))["footer"]
    elif fmt == "svg":
        # A wrapped footnote is one comment per line.
        assert sentence in " ".join(svg_texts(data)), svg_texts(data)
    elif fmt == "geojson":
        layer = json.loads(data)["layer"]
        assert layer["reviewed"] == REVIEWED_OLDEST
        assert phrase in layer["description"]
    elif fmt == "csv":
        rows = csv_rows(data)
        assert {row["data_reviewed_to"] for row in rows} == {REVIEWED_OLDEST}
    elif fmt == "kml":
        root = ET.fromstring(data)
        assert phrase in root.find("k:Document/k:description", KML_NS).text
        values = {
            e.text
            for e in root.iter(f"{{{KML_NS['k']}}}SimpleData")
            if e.get("name") == "data_reviewed_to"
        }
        assert values == {REVIEWED_OLDEST}
    elif fmt == "gpkg":
        import pyogrio

        with sqlite3.connect(out) as db:
            (description,) = db.execute("select description from gpkg_contents").fetchone()
        assert phrase in description
        assert pyogrio.read_info(out)["layer_metadata"]["reviewed_to"] == REVIEWED_OLDEST
        assert {row["data_reviewed_to"] for row in gpkg_rows(out)} == {REVIEWED_OLDEST}


def test_a_gdal_failure_is_one_line_naming_the_file_and_the_fix():
    """Two properties whose names differ only in case (an upload that bypassed the schema) are
    one column to SQLite: GDAL refuses the GeoPackage, and says so in one line."""
    catalog = bad_catalog()
    props = catalog.layers[0].features[0]["properties"]
    props.update(NAME="upper", Name="title")
    with pytest.raises(ExportWriteError) as caught:
        export_bytes(catalog, View(), "gpkg")
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith("cannot write 'export': GDAL could not make the GeoPackage (")
    assert "NAME" in text and "export geojson or csv instead" in text
