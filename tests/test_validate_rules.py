"""One failing input per validator rule, each asserting on the message a contributor reads."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.validate import validate_bytes, validate_paths
from geo.validate.context import Context
from geo.validate.sources import check_url, host_of, is_mirror, url_is_quiet
from tests.helpers import feature, layer_doc, write_doc

TODAY = dt.date(2026, 11, 22)


def messages_for(doc_or_bytes, name="layers/x.geojson", **kwargs):
    raw = doc_or_bytes if isinstance(doc_or_bytes, bytes) else json.dumps(doc_or_bytes, indent=2)
    raw = raw if isinstance(raw, bytes) else raw.encode()
    _, messages = validate_bytes(raw, name, today=TODAY, **kwargs)
    return [m.format() for m in messages], messages


def only(doc_or_bytes, **kwargs):
    """The single error message for an input with exactly one problem."""
    texts, messages = messages_for(doc_or_bytes, **kwargs)
    errors = [m.format() for m in messages if m.level == "error"]
    assert len(errors) == 1, texts
    return errors[0]


def with_props(**props):
    return layer_doc(feature(**props))


def test_a_valid_layer_has_no_messages():
    texts, _ = messages_for(layer_doc())
    assert texts == []


# --- reading -------------------------------------------------------------------------------


def test_not_json_gives_line_and_column():
    text = only(b'{\n  "type": "FeatureCollection",\n  "features": [,]\n}')
    assert text.startswith("layers/x.geojson:3: not valid JSON")
    assert "line 3, column 16" in text


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_extensions_are_refused(constant):
    text = only(b'{"type": "FeatureCollection",\n "bbox": [' + constant.encode() + b"]}")
    assert f"{constant} is not valid JSON" in text
    assert text.startswith("layers/x.geojson:2:")


def test_duplicate_keys_are_refused_with_their_line():
    raw = b'{"type": "FeatureCollection",\n"features": [],\n"features": []}'
    text = only(raw)
    assert text == (
        "layers/x.geojson:3: key 'features' appears twice in one object - keep one of them; "
        "JSON readers silently drop the other"
    )


def test_empty_file():
    assert "file is empty" in only(b"  \n")


def test_byte_order_mark():
    assert "byte-order mark" in only(b"\xef\xbb\xbf" + json.dumps(layer_doc()).encode())


def test_size_limit():
    text = only(json.dumps(layer_doc()).encode(), max_bytes=100)
    assert "over the limit of 100" in text and "split the layer" in text


def test_not_utf8():
    assert "is not UTF-8" in only(b'{"type": "\xff"}')


# --- structure -----------------------------------------------------------------------------


def test_top_level_list():
    assert "the top level is a list, not a GeoJSON FeatureCollection" in only(b"[]")


def test_a_bare_feature_is_told_to_wrap_it():
    doc = feature()
    texts, _ = messages_for(doc)
    assert any("wrap the feature in a FeatureCollection" in t for t in texts)


def test_features_not_a_list():
    doc = layer_doc()
    doc["features"] = {"a": 1}
    assert "'features' is an object, not a list" in only(doc)


def test_member_not_a_feature():
    doc = layer_doc()
    doc["features"].append({"type": "Point", "coordinates": [1, 2]})
    assert "feature #2: type: member has type 'Point', not 'Feature'" in only(doc)


def test_null_geometry():
    doc = layer_doc()
    doc["features"][0]["geometry"] = None
    assert "geometry is null or missing" in only(doc)


def test_empty_geometry():
    doc = layer_doc()
    doc["features"][0]["geometry"]["coordinates"] = []
    assert "Point has no coordinates" in only(doc)


def test_unsupported_geometry_type():
    doc = layer_doc()
    doc["features"][0]["geometry"] = {"type": "GeometryCollection", "geometries": []}
    assert "geometry type 'GeometryCollection' is not supported" in only(doc)


def test_crs_member():
    doc = layer_doc()
    doc["crs"] = {"type": "name", "properties": {"name": "EPSG:3857"}}
    assert "RFC 7946 GeoJSON has no 'crs' member" in only(doc)


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (200.0, 25.0, "longitude 200.0 is outside -180..180"),
        (51.3, -95.0, "latitude -95.0 is outside -90..90"),
    ],
)
def test_coordinates_outside_wgs84(lon, lat, expected):
    assert expected in only(layer_doc(feature(lon=lon, lat=lat)))


def test_swapped_coordinates_are_caught_by_the_country_check():
    text = only(layer_doc(feature(lon=25.1173, lat=51.315)))
    assert "is 3,560 km outside QA" in text
    assert "latitude and longitude look swapped" in text
    assert "write [51.315, 25.1173]" in text


def test_point_in_the_wrong_country_names_where_it_is():
    text = only(layer_doc(feature(lon=51.5, lat=35.7)))  # Tehran, declared QA
    assert "outside QA" in text and "it lies in IR" in text


def test_reclaimed_land_within_slack_is_accepted():
    # NSA Bahrain lies just off Natural Earth's coastline.
    texts, _ = messages_for(layer_doc(feature(lon=50.60972, lat=26.20972, country="BH")))
    assert texts == []


def _polygon_doc(rings):
    doc = layer_doc(feature(country="QA", kind="area-of-control"))
    doc["features"][0]["geometry"] = {"type": "Polygon", "coordinates": rings}
    return doc


def test_self_intersecting_polygon_gives_reason_and_place():
    bowtie = [[51.0, 25.0], [51.5, 25.5], [51.5, 25.0], [51.0, 25.5], [51.0, 25.0]]
    text = only(_polygon_doc([bowtie]))
    assert "invalid polygon: Self-intersection[51.25 25.25]" in text


def test_unclosed_ring():
    ring = [[51.0, 25.0], [51.5, 25.0], [51.5, 25.5], [51.0, 25.5]]
    assert "the outer ring is not closed" in only(_polygon_doc([ring]))


def test_too_few_points():
    ring = [[51.0, 25.0], [51.5, 25.0], [51.0, 25.0]]
    assert "the outer ring has 3 positions; a ring needs at least 4" in only(_polygon_doc([ring]))


def test_clockwise_outer_ring_is_a_warning_only():
    clockwise = [[51.0, 25.0], [51.0, 25.5], [51.5, 25.5], [51.5, 25.0], [51.0, 25.0]]
    texts, messages = messages_for(_polygon_doc([clockwise]))
    assert [m.level for m in messages] == ["warning"]
    assert "runs clockwise" in texts[0] and "python -m geo fmt" in texts[0]


# --- properties ----------------------------------------------------------------------------


def test_missing_required_property():
    doc = layer_doc()
    del doc["features"][0]["properties"]["kind"]
    assert "feature test-site: kind: missing required 'kind'" in only(doc)


def test_unknown_property_suggests_the_right_name():
    doc = layer_doc()
    props = doc["features"][0]["properties"]
    props["sourcess"] = props.pop("sources")
    texts, _ = messages_for(doc)
    assert any("unknown property 'sourcess' - did you mean 'sources'?" in t for t in texts)


def test_unknown_kind_suggests_the_right_one():
    assert "'airbase' is not allowed - did you mean 'air-base'?" in only(with_props(kind="airbase"))


def test_wrong_type():
    assert "name: is a number, must be a string" in only(with_props(name=42))


def test_id_not_kebab_case():
    assert "'Al_Udeid' is not kebab-case" in only(with_props(id="Al_Udeid"))


def test_id_unique_within_a_file():
    doc = layer_doc(feature("same-id"), feature("same-id"))
    assert "id 'same-id' is already used by feature #1 of this file" in only(doc)


def test_id_unique_across_files(tmp_path):
    write_doc(tmp_path / "a.geojson", layer_doc(feature("shared-id"), layer_id="a"))
    write_doc(tmp_path / "b.geojson", layer_doc(feature("shared-id"), layer_id="b"))
    messages = validate_paths([tmp_path], today=TODAY)
    assert len(messages) == 1
    assert messages[0].format().startswith(f"{tmp_path / 'b.geojson'}:")
    assert f"id 'shared-id' is already used by {tmp_path / 'a.geojson'}" in messages[0].format()


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2024-13-01", "'2024-13-01' has no month 13"),
        ("2023-02-29", "'2023-02-29' does not exist: Feb 2023 has 28 days"),
    ],
)
def test_dates_that_do_not_exist(date, expected):
    assert expected in only(with_props(start=date))


def test_date_in_the_future():
    assert "date 2027-01 is in the future (today is 2026-11-22)" in only(
        with_props(start="2027-01")
    )


def test_end_before_start():
    text = only(with_props(start="2024-05", end="2024-04-30"))
    assert "end 2024-04-30 comes before start 2024-05" in text


def test_malformed_date():
    assert "'2024/10/01' is not a partial date" in only(with_props(start="2024/10/01"))


def _source_doc(**changes):
    doc = layer_doc()
    source = doc["features"][0]["properties"]["sources"][0]
    for key, value in changes.items():
        if value is None:
            del source[key]
        else:
            source[key] = value
    return doc


def test_source_without_title():
    assert "sources[0].title: missing required 'title'" in only(_source_doc(title=None))


def test_source_without_url():
    assert "sources[0].url: missing required 'url'" in only(_source_doc(url=None))


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "file:///etc/passwd"]
)
def test_non_http_urls_are_refused(url):
    scheme = url.split(":")[0].lower()
    text = only(_source_doc(url=url))
    assert f"is a {scheme}: link; only http(s) links are allowed" in text


def test_published_after_accessed():
    text = only(_source_doc(published="2026-11-05", accessed="2026-11-01"))
    assert "published 2026-11-05 is after accessed 2026-11-01" in text


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://wikimili.com/en/Al_Udeid_Air_Base", "wikimili.com"),
        ("https://en.m.wikiwand.com/en/Al_Udeid_Air_Base", "en.m.wikiwand.com"),  # under one
        ("https://news-copy.workers.dev/a", "news-copy.workers.dev"),
    ],
)
def test_mirror_hosts_are_refused(url, host):
    text = only(_source_doc(url=url))
    assert f"{host} is a mirror or proxy" in text and "cite the original page" in text


def test_a_host_that_only_ends_like_a_mirror_is_not_one():
    assert is_mirror("notwikimili.com") is False
    assert is_mirror("wikimili.com.example.org") is False


# Addresses near the plain shape scheme://host/rest, and some that leave it: a user, a port,
# brackets, a trailing dot, upper case, whitespace, non-ASCII, hosts of archives and mirrors.
_URLS = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["https://", "http://", "HTTPS://", "hTtP://", " https://", "ftp://"]),
        st.one_of(
            st.sampled_from(["example.org", "Web.Archive.org", "en.m.wikiwand.com.", "kiwix.x"]),
            st.text("abAB09.-@:[]%\u00e9\u2100 \t", max_size=12),
        ),
        st.text("/?#ab:@[] \n\u00e9", max_size=8),
    ),
)


@settings(max_examples=400, deadline=None)
@given(_URLS)
def test_the_host_is_read_as_urlsplit_reads_it(url):
    try:
        expected = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        expected = None
    assert host_of(url) == expected


@settings(max_examples=400, deadline=None)
@given(_URLS, st.sampled_from(["url", "archive_url"]))
def test_an_address_called_quiet_gets_no_message(url, key):
    ctx = Context("x.geojson", TODAY)
    check_url(ctx, url, key, ("features", 0, "properties", "sources", 0, key))
    assert not (url_is_quiet(url, key) and ctx.messages), ctx.messages


def test_a_plain_address_is_quiet_without_urlsplit():
    assert url_is_quiet("HTTPS://News.Example.org./a?b=c#d", "url")
    assert url_is_quiet("https://web.archive.org/web/2024/https://example.org/", "archive_url")
    assert not url_is_quiet("https://web.archive.org/web/2024/https://example.org/", "url")
    assert not url_is_quiet("https://example.org/a b", "url")


@pytest.mark.parametrize(
    "url",
    [
        "https://web.archive.org/web/2014/http://example.org/a",
        "https://www.archive.ph/abcde",  # under an archive's host
    ],
)
def test_archive_copy_belongs_in_archive_url(url):
    text = only(_source_doc(url=url))
    assert "put the original address in url and the archive copy in archive_url" in text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Al Udeid <img src=x onerror=alert(1)>"),
        ("description", "A <b>bold</b> claim"),
        ("description", "</script><script>alert(1)</script>"),
    ],
)
def test_markup_in_text_fields_is_refused(field, value):
    texts, messages = messages_for(with_props(**{field: value}))
    assert messages and all(m.code == "markup" for m in messages)
    assert f"{field}: text holds HTML markup" in texts[0]


def test_plain_less_than_is_not_markup():
    texts, _ = messages_for(with_props(description="Fewer than 5 < 10 missiles got through."))
    assert texts == []


def test_claim_must_cite_a_source_of_the_feature():
    claim = {"topic": "US personnel", "value": "8,000", "source": "https://example.org/other"}
    assert "is not one of this feature's sources" in only(with_props(claims=[claim]))


def test_location_note_required_unless_exact():
    assert "no location_note" in only(with_props(location_precision="stand-in"))


def test_events_need_actor_and_claim_status():
    doc = layer_doc(feature(kind="airstrike"), group="events")
    texts, _ = messages_for(doc)
    assert any("missing 'actor', required in a events layer" in t for t in texts)
    assert any("missing 'claim_status'" in t for t in texts)


def test_every_problem_is_reported_not_only_the_first():
    doc = layer_doc(feature("a-1", name="<b>x</b>"), feature("a-2", start="2023-02-29"))
    doc["features"].append(feature("a-3", kind="base"))
    texts, _ = messages_for(doc)
    assert len(texts) == 3
    assert [t.split(": ")[1] for t in texts] == ["feature a-1", "feature a-2", "feature a-3"]


def test_message_format_names_file_line_feature_field_and_fix():
    doc = layer_doc(feature("good-one"), feature("bad-one", start="2023-02-29"))
    text = only(doc)
    raw_lines = json.dumps(doc, indent=2).splitlines()
    line = next(n for n, t in enumerate(raw_lines, 1) if '"2023-02-29"' in t)
    assert text == (
        f"layers/x.geojson:{line}: feature bad-one: start: date '2023-02-29' does not exist: "
        "Feb 2023 has 28 days - write a date that exists, at the precision the source gives"
    )


def test_trailing_line_breaks_are_caught_though_the_schema_lets_them_in():
    assert "date '2024\\n' has a space or line break around it" in only(with_props(start="2024\n"))
    assert "sources[0].url holds a space or line break" in only(
        _source_doc(url="https://example.org/a\n")
    )


def test_markup_is_caught_in_every_plain_text_field():
    text = only(with_props(actor="Iran", actor_note="<b>IRGC</b>"))
    assert "actor_note: text holds HTML markup" in text


def test_year_zero():
    assert "there is no year 0" in only(with_props(start="0000"))


def test_numbers_json_cannot_hold():
    assert "1e999 is too large for a number" in only(b'{"type": 1e999}')
    assert "a number cannot be read" in only(b'{"type": ' + b"1" * 5000 + b"}")


def test_every_duplicate_key_is_reported_at_its_own_line():
    texts, _ = messages_for(b'{"type": 1,\n"x": {"id": 1,\n"id": 2},\n"type": 3}')
    assert [t.split(" - ")[0] for t in texts] == [
        "layers/x.geojson:3: key 'id' appears twice in one object",
        "layers/x.geojson:4: key 'type' appears twice in one object",
    ]


def test_a_layer_id_is_unique_across_files(tmp_path):
    write_doc(tmp_path / "a.geojson", layer_doc(feature("one"), layer_id="same"))
    write_doc(tmp_path / "b.geojson", layer_doc(feature("two"), layer_id="same"))
    messages = [m.format() for m in validate_paths([tmp_path], today=TODAY)]
    assert len(messages) == 1 and "layer id 'same' is already used by" in messages[0]
