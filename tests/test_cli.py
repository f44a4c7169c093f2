"""The command line, through the real entry point (`python -m geo` in a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from geo.cli import COMMANDS, build_parser
from tests.helpers import ROOT, feature, layer_doc, run_cli, write_doc


def test_validate_clean_file_exits_0(tmp_path):
    path = write_doc(tmp_path / "ok.geojson", layer_doc())
    result = run_cli("validate", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert "1 file(s) checked" in result.stderr and "0 error(s)" in result.stderr


def test_validate_reports_every_error_and_exits_1(tmp_path):
    bad = layer_doc(feature("one", start="2023-02-29"), feature("two", name="<i>x</i>"))
    path = write_doc(tmp_path / "bad.geojson", bad)
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}:") and "feature one: start:" in lines[0]
    assert "feature two: name: text holds HTML markup" in lines[1]
    assert "Traceback" not in result.stderr


def test_validate_a_folder(tmp_path):
    write_doc(tmp_path / "a.geojson", layer_doc(feature("a-1"), layer_id="a"))
    write_doc(tmp_path / "b.geojson", layer_doc(feature("a-1"), layer_id="b"))
    result = run_cli("validate", str(tmp_path))
    assert result.returncode == 1
    assert "is already used by" in result.stdout


def test_warnings_fail_only_with_strict(tmp_path):
    clockwise = [[51.0, 25.0], [51.0, 25.5], [51.5, 25.5], [51.5, 25.0], [51.0, 25.0]]
    doc = layer_doc(feature(kind="area-of-control"))
    doc["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [clockwise]}
    path = write_doc(tmp_path / "w.geojson", doc)
    assert run_cli("validate", str(path)).returncode == 0
    strict = run_cli("validate", "--strict", str(path))
    assert strict.returncode == 1 and "warning: " in strict.stdout


def test_github_annotations(tmp_path):
    path = write_doc(tmp_path / "bad.geojson", layer_doc(feature(start="2023-02-29")))
    result = run_cli("validate", "--format", "github", str(path))
    assert result.returncode == 1
    line = result.stdout.strip()
    assert line.startswith(f"::error file={path},line=")
    assert ",title=feature test-site%3A start::date '2023-02-29' does not exist" in line


def test_json_format(tmp_path):
    path = write_doc(tmp_path / "bad.geojson", layer_doc(feature(kind="base")))
    result = run_cli("validate", "--format", "json", str(path))
    assert result.returncode == 1
    items = json.loads(result.stdout)
    assert items[0]["feature"] == "test-site" and items[0]["field"] == "kind"
    assert items[0]["level"] == "error" and isinstance(items[0]["line"], int)


def test_usage_errors_exit_2(tmp_path):
    missing = run_cli("validate", str(tmp_path / "nope.geojson"))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    assert run_cli("validate", "--format", "xml").returncode == 2
    assert run_cli("frobnicate").returncode == 2
    assert run_cli().returncode == 2


def test_invalid_json_never_gives_a_traceback(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_bytes(b'{"type": NaN}')
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    assert result.stdout.strip() == (
        f"{path}:1: NaN is not valid JSON - write a number, or null where there is no value"
    )
    assert "Traceback" not in result.stderr


def test_fmt_check_then_fmt(tmp_path):
    path = write_doc(tmp_path / "a.geojson", layer_doc())
    check = run_cli("fmt", "--check", str(tmp_path))
    assert check.returncode == 1 and check.stdout.strip() == f"would reformat {path}"
    assert run_cli("fmt", str(tmp_path)).returncode == 0
    again = run_cli("fmt", "--check", str(tmp_path))
    assert again.returncode == 0 and again.stdout == ""


def test_fmt_leaves_a_broken_file_untouched(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_bytes(b'{"a": 1, "a": 2}')
    result = run_cli("fmt", str(path))
    assert result.returncode == 1
    assert "appears twice" in result.stderr and "left untouched" in result.stderr
    assert path.read_bytes() == b'{"a": 1, "a": 2}'


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert "Example:" in result.stdout
    assert "python -m geo " + command in result.stdout


def test_top_level_help_lists_every_command():
    help_text = build_parser().format_help()
    for command in COMMANDS:
        assert command in help_text


def test_repository_layers_are_clean_and_canonical():
    result = run_cli("validate", "layers", cwd=ROOT)
    assert result.returncode == 0, result.stdout
    assert run_cli("fmt", "--check", "layers", cwd=ROOT).returncode == 0


def test_fmt_handles_a_file_name_near_the_length_limit(tmp_path):
    path = write_doc(tmp_path / ("x" * 240 + ".geojson"), layer_doc())
    result = run_cli("fmt", str(path))
    assert result.returncode == 0, result.stderr
    assert run_cli("fmt", "--check", str(path)).returncode == 0


def test_fmt_writes_through_a_symlink(tmp_path):
    target = write_doc(tmp_path / "real.geojson", layer_doc())
    link = tmp_path / "link.geojson"
    link.symlink_to(target)
    assert run_cli("fmt", str(link)).returncode == 0
    assert link.is_symlink()
    assert run_cli("fmt", "--check", str(target)).returncode == 0


@pytest.mark.parametrize("args", [["--help"], ["export", "--help"], ["validate", "--help"]])
def test_help_loads_no_heavy_library(args):
    # Help should answer at once: the geometry, schema and plotting libraries load on use.
    heavy = ("shapely", "numpy", "pyproj", "jsonschema", "fastjsonschema", "matplotlib", "folium")
    code = (
        "import sys\nfrom geo.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"print('LOADED:' + ','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "LOADED:", result.stdout


def test_fmt_formats_the_geojson_beside_a_parquet_layer_and_leaves_the_parquet(tmp_path):
    from geo.fmt import canonical_text
    from geo.model import Layer
    from geo.store import write_parquet

    doc = layer_doc(feature("a-1"), layer_id="a")
    (tmp_path / "a.geojson").write_text(canonical_text(doc), encoding="utf-8")
    big = layer_doc(feature("b-1"), layer_id="b")
    write_parquet(
        Layer(tmp_path / "b.parquet", big["layer"], big["features"]), tmp_path / "b.parquet"
    )
    before = (tmp_path / "b.parquet").read_bytes()
    result = run_cli("fmt", "--check", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    named = run_cli("fmt", str(tmp_path / "b.parquet"))
    assert named.returncode == 0 and "GeoParquet has no text form to format" in named.stdout
    assert (tmp_path / "b.parquet").read_bytes() == before


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path):
    bad = layer_doc(*(feature(f"f-{n}", start="2023-02-29") for n in range(3000)))
    path = write_doc(tmp_path / "many.geojson", bad)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-m", "geo", "validate", str(path)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert child.stdout.readline()  # as `| head -1` does, then stop reading
    child.stdout.close()
    _, stderr = child.communicate(timeout=60)
    assert b"Traceback" not in stderr, stderr.decode()
    assert child.returncode == 141
