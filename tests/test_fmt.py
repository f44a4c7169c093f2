"""The formatter: one canonical form, idempotent, atomic, and it never loses data."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from geo.fmt import canonical_text, format_bytes, format_file
from geo.io import ReadError
from tests.helpers import feature, layer_doc, run_cli, write_doc


def _same_data(before, after, tolerance=1e-6):
    """Equal, except that numbers may differ by rounding; key order is ignored."""
    if isinstance(before, dict):
        return set(before) == set(after) and all(_same_data(before[k], after[k]) for k in before)
    if isinstance(before, list):
        return len(before) == len(after) and all(map(_same_data, before, after))
    if isinstance(before, float) or isinstance(after, float):
        return math.isclose(before, after, abs_tol=tolerance)
    return before == after


def test_canonical_form_orders_keys_and_rounds_coordinates():
    doc = layer_doc(feature(lon=51.3150000001, lat=25.11730000004))
    props = doc["features"][0]["properties"]
    doc["features"][0]["properties"] = dict(reversed(list(props.items())))
    text = canonical_text(doc)
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert '"coordinates": [51.315, 25.1173]' in text
    out = json.loads(text)
    assert list(out["features"][0]["properties"])[:3] == ["id", "name", "kind"]
    assert list(out) == ["type", "layer", "features"]


def test_formatting_is_idempotent():
    once = canonical_text(layer_doc())
    assert canonical_text(json.loads(once)) == once


def test_formatting_keeps_unknown_keys():
    doc = layer_doc()
    doc["features"][0]["properties"]["zz_custom"] = {"kept": True}
    out = json.loads(canonical_text(doc))
    assert out["features"][0]["properties"]["zz_custom"] == {"kept": True}


def test_ring_winding_is_fixed():
    clockwise = [[51.0, 25.0], [51.0, 25.5], [51.5, 25.5], [51.5, 25.0], [51.0, 25.0]]
    doc = layer_doc(feature(kind="area-of-control"))
    doc["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [clockwise]}
    out = json.loads(canonical_text(doc))
    assert out["features"][0]["geometry"]["coordinates"][0] == list(reversed(clockwise))


def test_byte_order_mark_is_dropped():
    raw = b"\xef\xbb\xbf" + json.dumps(layer_doc()).encode()
    assert not format_bytes(raw, "x").startswith("\ufeff")


def test_fmt_rewrites_in_place_and_check_does_not(tmp_path):
    path = write_doc(tmp_path / "a.geojson", layer_doc())
    before = path.read_bytes()
    assert format_file(path, check=True) is True
    assert path.read_bytes() == before
    assert format_file(path) is True
    assert format_file(path, check=True) is False


def test_a_file_that_fails_to_parse_is_left_untouched(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_bytes(b'{"type": "FeatureCollection", "features": [')
    mtime = os.stat(path).st_mtime_ns
    try:
        format_file(path)
    except ReadError as exc:
        assert "not valid JSON" in exc.message.format()
    else:
        raise AssertionError("a broken file must raise ReadError")
    assert path.read_bytes() == b'{"type": "FeatureCollection", "features": ['
    assert os.stat(path).st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.geojson"]


coordinate = st.floats(min_value=-179.9, max_value=179.9, allow_nan=False)
texts = st.text(min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    lon=coordinate,
    lat=st.floats(min_value=-89.9, max_value=89.9, allow_nan=False),
    name=texts,
    extra=st.dictionaries(st.text(min_size=1, max_size=8), st.integers() | texts, max_size=4),
)
def test_only_formatting_changes(lon, lat, name, extra):
    doc = layer_doc(feature(lon=lon, lat=lat, name=name))
    doc["features"][0]["properties"].update({f"x_{k}": v for k, v in extra.items()})
    out = json.loads(canonical_text(doc))
    assert _same_data(doc, out)


def test_an_origin_without_coordinates_is_left_as_it_is():
    doc = layer_doc(feature(origin={"name": "Somewhere", "location_precision": "exact"}))
    once = canonical_text(doc)
    assert '"coordinates": null' not in once
    assert canonical_text(json.loads(once)) == once


def test_every_repository_layer_is_a_fixed_point():
    from tests.helpers import LAYERS

    for path in sorted(Path(LAYERS).glob("*.geojson")):
        text = path.read_text(encoding="utf-8")
        assert canonical_text(json.loads(text)) == text, path.name


# --- what the formatter must never do ----------------------------------------------------------


def _fmt_round_trip(tmp_path, doc):
    path = write_doc(tmp_path / "layer.geojson", doc)
    result = run_cli("fmt", str(path))
    assert result.returncode == 0, result.stderr
    return json.loads(path.read_text(encoding="utf-8"))


def test_fmt_keeps_null_properties(tmp_path):
    doc = layer_doc(feature(x_unknown=None))
    assert _fmt_round_trip(tmp_path, doc)["features"][0]["properties"]["x_unknown"] is None


def test_fmt_rounds_coordinates_only_never_other_numbers(tmp_path):
    doc = layer_doc(feature(x_ratio=0.123456789123))
    out = _fmt_round_trip(tmp_path, doc)
    assert out["features"][0]["properties"]["x_ratio"] == 0.123456789123


def test_fmt_keeps_unknown_keys_inside_sources_and_claims(tmp_path):
    doc = layer_doc(feature())
    doc["features"][0]["properties"]["sources"][0]["x_page"] = "p. 4"
    out = _fmt_round_trip(tmp_path, doc)
    assert out["features"][0]["properties"]["sources"][0]["x_page"] == "p. 4"


def test_fmt_keeps_members_of_features_that_are_not_objects(tmp_path):
    doc = layer_doc(feature())
    doc["features"] += [42, "text", None, [1, 2]]
    assert _fmt_round_trip(tmp_path, doc)["features"][1:] == [42, "text", None, [1, 2]]


def test_fmt_keeps_a_valid_polygon_valid_where_rounding_would_break_it(tmp_path):
    shell = [[51.0, 25.0], [51.1, 25.0], [51.1, 25.1], [51.0, 25.1], [51.0, 25.0]]
    # Rounded to six decimals, this hole's lower edge would lie on the shell's.
    hole = [[51.05, 25.0000004], [51.055, 25.05], [51.06, 25.0000004], [51.05, 25.0000004]]
    doc = layer_doc(feature(kind="area-of-control"))
    doc["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [shell, hole]}
    path = write_doc(tmp_path / "holes.geojson", doc)
    assert run_cli("validate", str(path)).returncode == 0
    assert run_cli("fmt", str(path)).returncode == 0
    result = run_cli("validate", str(path))
    assert result.returncode == 0, result.stdout


def test_fmt_refuses_to_grow_a_file_past_the_size_limit(tmp_path):
    doc = layer_doc(feature())
    # Compact objects that the canonical form spreads over several indented lines each.
    doc["features"][0]["properties"]["x_rows"] = [{"a": n, "b": n} for n in range(450_000)]
    path = tmp_path / "big.geojson"
    path.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    before = path.read_bytes()
    assert len(before) < 20 * 1024 * 1024
    result = run_cli("fmt", str(path))
    assert result.returncode == 1
    assert "over the limit of 20,971,520" in result.stderr and "left untouched" in result.stderr
    assert path.read_bytes() == before
