"""``python -m geo export`` as a user runs it: every format, every bad input, the same bytes twice.

The command's options become a View in geo/export/view_args.py; those are tested in-process here
too, since they are the command line's grammar.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from geo.catalog import View, load_catalog
from geo.export.command import FORMATS, add_export_parser
from geo.export.view_args import ViewError, describe_view, parse_size, view_from_args, view_slug
from tests.helpers import LAYERS, run_cli

ERROR_PREFIX = "python -m geo export: error: "


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(LAYERS)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m geo")
    sub = parser.add_subparsers(dest="command")
    add_export_parser(sub)
    return parser.parse_args(["export", *argv])


def assert_one_line_error(result, *words: str) -> None:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(ERROR_PREFIX), lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


# ---------------------------------------------------------------------------------------------
# Help


def test_help_shows_an_example():
    result = run_cli("export", "--help")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Example:"))
    examples = [line for line in lines[start + 1 :] if "python -m geo export" in line]
    assert examples, result.stdout
    for fmt in ("png", "html", "csv"):
        assert any(f"export {fmt} " in line for line in examples)


def test_top_level_help_lists_export():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "export" in result.stdout


# ---------------------------------------------------------------------------------------------
# Bad input: one line, exit 1, no file left behind


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--layers", "us-sites,no-such-layer"], ["'no-such-layer'", "us-sites", "events"]),
        (["--as-of", "2024-02-30"], ["2024-02-30", "29 days"]),
        (["--from", "2023-13"], ["--from", "2023-13"]),
        (["--from", "2025", "--to", "2024"], ["--from", "--to"]),
        (["--filter", "colour=red"], ["colour=red", "country"]),
        (["--filter", "kind=airstrik"], ["airstrik", "airstrike"]),
        (["--layers", "us-sites", "--as-of", "1900"], ["no feature", "--as-of"]),
        (["--size", "12"], ["--size", "1920x1080"]),
    ],
    ids=[
        "unknown-layer",
        "impossible-date",
        "malformed-date",
        "window-backwards",
        "unknown-filter",
        "unknown-filter-value",
        "empty-view",
        "bad-size",
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, words):
    out = tmp_path / "map.png"
    result = run_cli("export", "png", "-o", str(out), *args)
    assert_one_line_error(result, *words)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["csv", "gpkg", "png"])
def test_missing_folder_is_an_error(tmp_path, fmt):
    out = tmp_path / "no-such-folder" / f"map.{fmt}"
    result = run_cli("export", fmt, "-o", str(out), "--layers", "us-sites")
    assert_one_line_error(result, "does not exist", "no-such-folder")
    assert list(tmp_path.iterdir()) == []


def test_output_that_is_a_folder_is_an_error(tmp_path):
    result = run_cli("export", "csv", "-o", str(tmp_path))
    assert_one_line_error(result, "is a folder")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["geojson", "kml", "svg"])
def test_folder_without_permission_is_an_error(tmp_path, fmt):
    if os.geteuid() == 0:
        # root writes anywhere a mode allows nothing; /sys refuses new files even to root.
        folder = Path("/sys")
        name = f"posture-export-test.{fmt}"
        result = run_cli("export", fmt, "-o", str(folder / name), "--layers", "us-sites")
        if result.returncode == 0:  # pragma: no cover - an unusual, writable /sys
            (folder / name).unlink()
            pytest.skip("/sys is writable here")
        assert_one_line_error(result, str(folder / name))
        assert not [p for p in os.listdir(folder) if p.startswith((name, f".{name}"))]
        return
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = run_cli("export", fmt, "-o", str(folder / f"map.{fmt}"), "--layers", "us-sites")
        assert_one_line_error(result, "permission denied")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_broken_layers_folder_is_an_error(tmp_path):
    (tmp_path / "layers").mkdir()
    (tmp_path / "layers" / "bad.geojson").write_text("{ not json", encoding="utf-8")
    out = tmp_path / "map.csv"
    result = run_cli("export", "csv", "-o", str(out), "--layers-dir", str(tmp_path / "layers"))
    assert_one_line_error(result, "bad.geojson", "validate")
    assert not out.exists()


def test_unknown_format_is_a_usage_error(tmp_path):
    result = run_cli("export", "docx", "-o", str(tmp_path / "map.docx"))
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Every format works, and gives the same bytes twice


@pytest.mark.parametrize("fmt", ["png", "svg", "geojson", "csv", "kml", "gpkg"])
def test_exporting_twice_gives_the_same_bytes(tmp_path, fmt):
    first, second = tmp_path / f"one.{fmt}", tmp_path / f"two.{fmt}"
    # Two separate processes, run side by side to keep the test quick.
    with ThreadPoolExecutor(max_workers=2) as pool:
        size = ["--size", "960x540"] if fmt in ("png", "svg") else []
        runs = pool.map(lambda out: run_cli("export", fmt, "-o", str(out), *size), (first, second))
        results = list(runs)
    for result in results:
        assert result.returncode == 0, result.stderr
    assert first.read_bytes() == second.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, second.name])


def test_png_has_the_asked_size(tmp_path):
    out = tmp_path / "map.png"
    result = run_cli("export", "png", "-o", str(out), "--size", "1001x777", "--layers", "us-sites")
    assert result.returncode == 0, result.stderr
    assert png_size(out.read_bytes()) == (1001, 777)


def test_png_default_size_is_full_hd_and_not_blank(tmp_path):
    out = tmp_path / "map.png"
    result = run_cli("export", "png", "-o", str(out))
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert png_size(data) == (1920, 1080)
    # A blank 1920x1080 PNG compresses to a few kB; the pixels themselves are checked against a
    # basemap-only render in test_export_images.py.
    assert len(data) > 100_000


def test_svg_has_the_asked_size(tmp_path):
    import xml.etree.ElementTree as ET

    out = tmp_path / "map.svg"
    result = run_cli("export", "svg", "-o", str(out), "--size", "1280x720", "--title", "Sites")
    assert result.returncode == 0, result.stderr
    root = ET.fromstring(out.read_bytes())
    assert (root.get("width"), root.get("height")) == ("1280", "720")
    assert root.get("viewBox")


def test_as_of_2019_drops_the_sites_that_start_later(tmp_path):
    out = tmp_path / "sites.geojson"
    result = run_cli("export", "geojson", "-o", str(out), "--as-of", "2019-01-01")
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    ids = {f["properties"]["id"] for f in doc["features"]}
    starts = {f["properties"]["id"]: f["properties"]["start"] for f in doc["features"]}
    assert "al-udeid-air-base" in ids
    assert "prince-sultan-air-base" not in ids  # from June 2019
    assert "houthis-sanaa-governorate" in ids  # from December 2016
    assert all(start[:4] <= "2019" for start in starts.values())
    assert not any(f["properties"].get("claim_status") for f in doc["features"])  # no events


def test_geojson_export_passes_the_validator(tmp_path):
    out = tmp_path / "export.geojson"
    result = run_cli("export", "geojson", "-o", str(out), "--title", "Everything")
    assert result.returncode == 0, result.stderr
    checked = run_cli("validate", str(out))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 error(s), 0 warning(s)" in checked.stderr


def test_csv_with_filters(tmp_path):
    out = tmp_path / "iraq.csv"
    result = run_cli(
        "export", "csv", "-o", str(out), "--filter", "country=iq", "--filter", "kind=airstrike"
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows
    assert {row["country"] for row in rows} == {"IQ"}
    assert {row["kind"] for row in rows} == {"airstrike"}


@pytest.mark.parametrize("fmt", ["kml", "gpkg"])
def test_gdal_formats_through_the_cli(tmp_path, fmt):
    import pyogrio

    out = tmp_path / f"sites.{fmt}"
    result = run_cli("export", fmt, "-o", str(out), "--layers", "us-sites", "--as-of", "2019")
    assert result.returncode == 0, result.stderr
    assert len(pyogrio.read_dataframe(out)) > 5
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_html_export(tmp_path):
    out = tmp_path / "map.html"
    result = run_cli("export", "html", "-o", str(out), "--layers", "us-sites", "--title", "Sites")
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "<html" in text.lower()
    assert "Sites" in text
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]


def test_html_unknown_tiles_is_an_error(tmp_path):
    result = run_cli("export", "html", "-o", str(tmp_path / "map.html"), "--tiles", "nope")
    assert_one_line_error(result, "--tiles", "none")
    assert list(tmp_path.iterdir()) == []


def test_overwrites_an_existing_file(tmp_path):
    out = tmp_path / "map.csv"
    out.write_text("old", encoding="utf-8")
    result = run_cli("export", "csv", "-o", str(out), "--layers", "us-sites")
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8-sig").startswith("id,layer,name")
    assert [p.name for p in tmp_path.iterdir()] == ["map.csv"]


# ---------------------------------------------------------------------------------------------
# Options -> View, in-process


def test_no_options_is_every_layer_and_every_date(catalog):
    view = view_from_args(parse("png", "-o", "x.png"), catalog)
    assert view == View()
    assert describe_view(view, catalog).startswith("Features of every layer, all dates")
    assert view_slug(view) == "posture_all"


def test_options_become_a_view(catalog):
    args = parse(
        "csv",
        "-o",
        "x.csv",
        "--layers",
        "us-sites,events",
        "--layers",
        "hezbollah",
        "--as-of",
        "2024",
        "--from",
        "2024-03",
        "--to",
        "2024-10",
        "--filter",
        "country=iq",
        "--filter",
        "country=SY",
        "--filter",
        "actor=hezbollah",
        "--filter",
        "status=confirmed",
        "--filter",
        "q=air base",
    )
    view = view_from_args(args, catalog)
    assert view.layers == ("us-sites", "events", "hezbollah")
    assert view.as_of == "2024-12-31"
    assert (view.window_from, view.window_to) == ("2024-03-01", "2024-10-31")
    assert view.countries == ("IQ", "SY")
    assert view.actors == ("Hezbollah",)
    assert view.statuses == ("confirmed",)
    assert view.query == "air base"
    assert view_slug(view).startswith("posture_us_sites_events_hezbollah_as_of_2024_12_31")


def test_leap_day_is_a_date(catalog):
    view = view_from_args(parse("png", "-o", "x.png", "--as-of", "2024-02-29"), catalog)
    assert view.as_of == "2024-02-29"
    with pytest.raises(ViewError, match="28 days"):
        view_from_args(parse("png", "-o", "x.png", "--as-of", "2023-02-29"), catalog)


def test_parse_size():
    assert parse_size("1920x1080") == (1920, 1080)
    assert parse_size(" 800 X 600 ") == (800, 600)
    for bad in ("1920", "axb", "100x100", "99999x10"):
        with pytest.raises(ViewError):
            parse_size(bad)


def test_every_format_is_offered():
    assert set(FORMATS) == {"html", "png", "svg", "pdf", "geojson", "csv", "kml", "gpkg"}


def test_geojson_title_with_markup_is_refused(tmp_path):
    out = tmp_path / "export.geojson"
    result = run_cli("export", "geojson", "-o", str(out), "--title", "<b>Bold</b>")
    assert_one_line_error(result, "title", "validate")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Framing: --extent, and the default frame of the 1 February 2024 view


FEB_2024 = ("--as-of", "2024-02-01", "--from", "2022-01-01", "--to", "2025-12-31")


def embedded_payload(html: str) -> dict:
    from geo.render.maps import embedded_payload as read

    return read(html)


def test_html_of_feb_2024_frames_the_region_with_arrows_toward_far_places(tmp_path):
    out = tmp_path / "feb.html"
    result = run_cli("export", "html", "-o", str(out), *FEB_2024)
    assert result.returncode == 0, result.stderr
    payload = embedded_payload(out.read_text(encoding="utf-8"))
    (south, west), (north, east) = payload["bounds"]
    # The region of the posture and actor layers, not Missouri to the Baltic.
    assert 20 < west < 30 and 55 < east < 65 and 5 < south < 15 and 35 < north < 45
    names = {edge[0]: edge for edge in payload["edges"]}
    b2 = names["Whiteman Air Force Base, Missouri (B-2 bombers)"]
    assert b2[3] == "origin" and b2[1] < -90
    nord = names["Nord Stream pipelines sabotage, Baltic Sea near Bornholm"]
    assert nord[3] == "feature" and nord[2] > 54
    assert not any(west <= e[1] <= east and south <= e[2] <= north for e in payload["edges"])


def test_extent_sets_the_html_frame(tmp_path):
    out = tmp_path / "gulf.html"
    result = run_cli("export", "html", "-o", str(out), *FEB_2024, "--extent", "45,22,58,30")
    assert result.returncode == 0, result.stderr
    payload = embedded_payload(out.read_text(encoding="utf-8"))
    assert payload["bounds"] == [[22.0, 45.0], [30.0, 58.0]]
    # Baghdad's and Beirut's features are now beyond the frame, so they get arrows too.
    assert any(edge[1] < 45 for edge in payload["edges"])


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf", "csv"])
def test_extent_is_taken_by_every_format(tmp_path, fmt):
    out = tmp_path / f"gulf.{fmt}"
    size = ["--size", "640x400"] if fmt in ("png", "svg", "pdf") else []
    result = run_cli("export", fmt, "-o", str(out), "--extent", "45,22,58,30", *size)
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 0


@pytest.mark.parametrize(
    ("extent", "words"),
    [
        ("45,22,58", ["four numbers", "WEST,SOUTH,EAST,NORTH"]),
        ("a,b,c,d", ["four numbers"]),
        ("58,22,45,30", ["west 58 must be less than east 45"]),
        ("45,30,58,22", ["south 30 must be less than north 22"]),
        ("45,22,190,30", ["east 190 is beyond ±180"]),
        ("45,-95,58,30", ["south -95 is beyond ±90"]),
        ("", ["four numbers"]),
    ],
)
def test_bad_extent_is_a_one_line_error(tmp_path, extent, words):
    out = tmp_path / "map.png"
    result = run_cli("export", "png", "-o", str(out), "--extent", extent)
    assert_one_line_error(result, "--extent", "e.g. --extent 25,10,65,42", *words)
    assert not out.exists()


def test_extent_option_becomes_the_views_extent(catalog):
    view = view_from_args(parse("png", "-o", "x.png", "--extent", " -10.5, 0, 75 ,62.25"), catalog)
    assert view.extent == (-10.5, 0.0, 75.0, 62.25)
    assert view_from_args(parse("png", "-o", "x.png"), catalog).extent is None
