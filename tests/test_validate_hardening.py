"""Rules added after an attack on the validator: text that hides or forges, boxes, every point's
country, addresses that do not parse, mixed dimensions, deep nesting. Each one through the real
command where a contributor meets it."""

from __future__ import annotations

import json

import pytest

from tests.helpers import feature, layer_doc, run_cli, write_doc
from tests.test_validate_rules import TODAY, messages_for, only, with_props


def codes(doc) -> list[str]:
    return [m.code for m in messages_for(doc)[1] if m.level == "error"]


# --- text that is not what it seems ------------------------------------------------------------


@pytest.mark.parametrize(
    ("char", "named"),
    [
        ("\x0b", "a vertical tab"),
        ("\x00", "a NUL character"),
        ("\ufffe", "U+FFFE"),
        ("\uffff", "U+FFFF"),
        ("\x1b", "U+001B"),
        ("\ud800", "U+D800"),
        ("\u2028", "U+2028"),
    ],
)
def test_control_characters_and_noncharacters_are_refused(char, named):
    text = only(with_props(name=f"Al{char}Udeid"))
    assert "name: text holds " + named in text and "character 3" in text


def test_a_control_character_in_a_key_is_refused_and_printed_escaped(tmp_path):
    doc = with_props()
    doc["features"][0]["properties"]["x\x1b[31mred"] = "value"
    path = write_doc(tmp_path / "keys.geojson", doc)
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    assert "\x1b" not in result.stdout and "\\x1b[31mred" in result.stdout
    assert "a key holds U+001B" in result.stdout


def test_a_lone_surrogate_in_an_id_is_reported_not_a_crash(tmp_path):
    text = json.dumps(layer_doc(feature("site-x"))).replace("site-x", "site-\\ud800")
    path = tmp_path / "surrogate.geojson"
    path.write_text(text, encoding="utf-8")
    result = run_cli("validate", str(path))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "feature site-\\ud800: id:" in result.stdout


def test_bidirectional_overrides_are_refused_even_in_free_text():
    text = only(with_props(description="Base \u202eesab\u202c of the fleet"))
    assert "description: text holds U+202E" in text and "reorders what is shown" in text


def test_invisible_characters_split_names_so_they_are_refused_where_text_names_something():
    assert codes(with_props(actor="Hez\u200bbollah")) == ["invisible-character"]
    assert codes(layer_doc(feature(name="Kata\u2060ib"))) == ["invisible-character"]


def test_persian_text_keeps_its_zero_width_non_joiner_in_free_text():
    assert codes(with_props(description="می\u200cخواهم")) == []


def test_decomposed_accents_are_refused_composed_ones_pass():
    assert codes(with_props(name="Cafe\u0301 base")) == ["not-nfc"]
    assert codes(with_props(name="Caf\u00e9 base")) == []


def test_a_line_break_in_a_one_line_field_is_refused_but_not_in_a_description():
    assert codes(with_props(name="Al Udeid\n::error::forged")) == ["line-break"]
    assert codes(with_props(description="First line.\nSecond line.")) == []


def test_a_newline_in_an_id_cannot_forge_an_output_line(tmp_path):
    doc = layer_doc(feature("site-one\n::error file=x::forged"))
    path = write_doc(tmp_path / "forge.geojson", doc)
    for fmt in ("text", "github"):
        result = run_cli("validate", "--format", fmt, str(path))
        assert result.returncode == 1
        lines = result.stdout.splitlines()
        assert not any(line.startswith("::error file=x") for line in lines), lines
        assert all(line.startswith(("::error", str(path))) for line in lines), lines


# --- rules that were missing --------------------------------------------------------------------


def test_a_bbox_of_the_wrong_length_is_refused():
    doc = layer_doc()
    doc["bbox"] = [51.0, 25.0, 52.0]
    assert "bbox has 3 numbers; with 2-number positions it needs 4" in only(doc)


def test_a_bbox_that_leaves_out_a_feature_is_refused():
    doc = layer_doc()
    doc["features"][0]["bbox"] = [40.0, 20.0, 45.0, 22.0]
    assert "leaves out 1 position(s), e.g. [51.315, 25.1173]" in only(doc)


def test_a_bbox_south_of_its_own_south_is_refused():
    doc = layer_doc()
    doc["bbox"] = [51.0, 26.0, 52.0, 25.0]
    assert "is not west, south, east, north" in only(doc)


def test_a_bbox_that_holds_everything_passes():
    doc = layer_doc()
    doc["bbox"] = [51.0, 25.0, 52.0, 26.0]
    doc["features"][0]["bbox"] = [51.315, 25.1173, 51.315, 25.1173]
    assert codes(doc) == []


def test_every_point_of_a_multipoint_is_placed_in_its_country():
    doc = layer_doc()
    doc["features"][0]["geometry"] = {
        "type": "MultiPoint",
        "coordinates": [[51.315, 25.1173], [51.5, 35.7]],  # Al Udeid, then Tehran
    }
    text = only(doc)
    assert "the point (51.5000, 35.7000)" in text and "(1 of 2 points are outside)" in text


def test_every_vertex_of_a_line_is_placed_in_its_country():
    doc = layer_doc()
    doc["features"][0]["geometry"] = {
        "type": "LineString",
        "coordinates": [[51.2, 25.2], [51.4, 25.3], [44.4, 33.3]],  # ends in Baghdad
    }
    assert "outside QA" in only(doc) and "it lies in IQ" in only(doc)


def test_the_country_slack_is_a_few_kilometres_not_dozens():
    # About 40 km east of Qatar's coast, in the Gulf.
    assert "km outside QA" in only(layer_doc(feature(lon=52.05, lat=25.6)))


def test_a_mirror_host_with_a_trailing_dot_is_still_a_mirror():
    doc = with_props()
    doc["features"][0]["properties"]["sources"][0]["url"] = "https://wikimili.com./en/Al_Udeid"
    assert "wikimili.com is a mirror or proxy" in only(doc)


def test_an_address_with_an_unbalanced_bracket_is_a_message_not_a_crash():
    doc = with_props()
    doc["features"][0]["properties"]["sources"][0]["url"] = "https://[example.com/page"
    assert "cannot be read as an address" in only(doc)


def test_positions_mixing_two_and_three_numbers_are_refused():
    doc = layer_doc()
    doc["features"][0]["geometry"] = {
        "type": "LineString",
        "coordinates": [[51.2, 25.2], [51.4, 25.3, 10.0]],
    }
    assert "LineString mixes positions of 2 and 3 numbers" in only(doc)


def test_regional_actor_layers_require_an_actor():
    doc = layer_doc(feature(kind="area-of-control"), group="regional-actors")
    assert "missing 'actor', required in a regional-actors layer" in only(doc)


@pytest.mark.parametrize(
    ("where", "field"),
    [("end", "end"), ("published", "sources[0].published"), ("accessed", "sources[0].accessed")],
)
def test_future_dates_are_refused_in_every_date_field(where, field):
    doc = with_props(start="2020")
    props = doc["features"][0]["properties"]
    target = props if where == "end" else props["sources"][0]
    target[where] = "2027-01-05"
    texts, _ = messages_for(doc)
    expected = f"{field}: date 2027-01-05 is in the future (today is {TODAY.isoformat()})"
    assert any(expected in text for text in texts), texts


# --- nesting -------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["validate", "fmt"])
def test_deep_nesting_is_one_line_for_every_command(tmp_path, command):
    raw = '{"type": "FeatureCollection", "x": ' + "[" * 300 + "]" * 300 + "}"
    path = tmp_path / "deep.geojson"
    path.write_text(raw, encoding="utf-8")
    result = run_cli(command, str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "nested more than 64 levels deep" in result.stdout + result.stderr
    assert path.read_text(encoding="utf-8") == raw


# --- line numbers whatever the line breaks -------------------------------------------------------


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"])
def test_messages_name_the_right_line_with_any_line_break(newline):
    text = json.dumps(with_props(start="2023-02-29"), indent=2)
    expected = next(n for n, line in enumerate(text.splitlines(), 1) if '"2023-02-29"' in line)
    raw = text.replace("\n", newline).encode()
    assert only(raw).startswith(f"layers/x.geojson:{expected}: feature test-site: start:")


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"])
def test_a_syntax_error_names_its_line_and_column_with_any_line_break(newline):
    raw = newline.join(["{", '  "type": "FeatureCollection",', '  "features": [,]', "}"]).encode()
    text = only(raw)
    assert text.startswith("layers/x.geojson:3: not valid JSON") and "line 3, column 16" in text


# --- edges that mutation testing found untested ------------------------------------------------


def test_a_claim_dated_in_the_future_is_refused():
    claim = {"topic": "US personnel", "value": "about 8,000", "as_of": "2027-01"}
    doc = with_props(
        claims=[{**claim, "source": with_props()["features"][0]["properties"]["sources"][0]["url"]}]
    )
    assert "claims[0].as_of: date 2027-01 is in the future" in only(doc)


@pytest.mark.parametrize(("lat", "ok"), [(90, True), (-90, True), (90.0001, False)])
def test_latitude_ninety_is_the_last_valid_one(lat, ok):
    doc = layer_doc(feature(country="AQ", lat=lat, lon=0.0))
    del doc["features"][0]["properties"]["country"]
    assert (codes(doc) == []) is ok, codes(doc)


def test_a_geometry_bbox_that_leaves_out_its_point_is_refused():
    doc = layer_doc()
    doc["features"][0]["geometry"]["bbox"] = [40.0, 20.0, 45.0, 22.0]
    assert "leaves out 1 position(s)" in only(doc)
