"""The render layer: compact payload, offline page, escaping, byte-identical output."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from geo.catalog import View, load_catalog
from geo.render import export_html
from geo.render.payload import build_payload
from tests.helpers import LAYERS


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(Path(LAYERS))


def test_sources_are_stored_once(catalog):
    """Each citation once: a cited work is the whole citation, not its url alone (two features
    citing one page under different titles keep their own; tests/test_export_hardening.py)."""
    payload = build_payload(catalog, View())
    works = [tuple(sorted(s.items())) for s in payload["sources"]]
    assert len(works) == len(set(works))
    cited = {i for layer in payload["layers"] for f in layer["features"] for i in f["src"]}
    assert cited == set(range(len(works)))
    assert payload["count"] == sum(len(layer["features"]) for layer in payload["layers"])


def test_a_citations_note_goes_with_its_feature_not_the_work():
    """Rows citing one dataset each with their own note cite one work; each note stays with
    its row (``sn``), as a quote does."""
    from geo.catalog import Catalog, layer_from_document
    from tests.helpers import SOURCE, feature, layer_doc

    features = [
        feature(f"row-{n}", 40 + n, 30, sources=[{**SOURCE, "note": f"Row {n} says so"}])
        for n in range(3)
    ]
    features.append(feature("bare", 44, 30))  # the same work, no note
    features.append(feature("later", 45, 30, sources=[{**SOURCE, "accessed": "2026-11-02"}]))
    doc = layer_doc(*features)
    payload = build_payload(Catalog([layer_from_document(doc, Path("t.geojson"))]), View())
    assert len(payload["sources"]) == 2  # an access date still makes a work of its own
    assert all("note" not in work for work in payload["sources"])
    out = {f["i"]: f for f in payload["layers"][0]["features"]}
    assert [out[f"row-{n}"]["src"] for n in range(3)] == [[0], [0], [0]]
    assert [out[f"row-{n}"]["sn"] for n in range(3)] == [
        {"0": f"Row {n} says so"} for n in range(3)
    ]
    assert "sn" not in out["bare"] and out["later"]["src"] == [1]


def test_a_long_payload_is_packed_and_reads_back_the_same(catalog):
    from geo.render.maps import build_map, embedded_payload, map_html

    view = View(as_of="2024-06-01")
    plain = map_html(build_map(catalog, view, compress_over=10**12))
    packed = map_html(build_map(catalog, view, compress_over=0))
    assert 'type="application/json" id="posture-payload"' in plain
    assert 'type="application/gzip;base64" id="posture-payload"' in packed
    assert embedded_payload(packed) == embedded_payload(plain)
    time.sleep(1.1)  # gzip would stamp the second it was made
    assert map_html(build_map(catalog, view, compress_over=0)) == packed


def test_export_is_byte_identical_and_asks_for_nothing(catalog):
    first = export_html(catalog, View(as_of="2024-06-01"), title="Briefing")
    second = export_html(catalog, View(as_of="2024-06-01"), title="Briefing")
    assert first == second
    assert not re.search(r"<(script|link)[^>]+(src|href)=", first)
    assert not re.search(r"https?://(cdn|unpkg|code\.jquery|cdnjs|netdna)", first)
    assert "<title>Briefing</title>" in first


def test_hostile_text_never_reaches_the_page_as_markup():
    from tests.hostile import hostile_catalog

    html = export_html(hostile_catalog(), View(), title="<script>alert(1)</script>")
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>" in html
    assert "window.top.__pwned" in html  # the text is there, as JSON data
    assert "</script><script>window.top" not in html
    assert "<img src=x" not in html


def test_template_syntax_in_data_stays_text():
    from tests.hostile import hostile_catalog

    html = export_html(hostile_catalog(), View())
    assert "{{ 7*7 }} {% raw %}" in html
    assert "{{ 'zq' ~ 'xj' }}" in html or "{{ \\u0027zq\\u0027 ~ \\u0027xj\\u0027 }}" in html
    assert "zqxj" not in html  # what the template engine would have made of it


# --- big layers: columns instead of features, a cap, and one send per change of data -------


def point_features(count: int, **props):
    from tests.helpers import feature

    return [
        feature(
            f"pt-{n}",
            36 + (n % 50) * 0.013,
            30 + (n // 50) * 0.011,
            name=f"Point {n}",
            kind="airstrike",
            start="2024-01-02",
            location_precision=("exact", "approximate", "stand-in", "region")[n % 4],
            **props,
        )
        for n in range(count)
    ]


def catalog_of(*features, layer_id: str = "big"):
    from geo.catalog import Catalog, layer_from_document
    from tests.helpers import layer_doc

    doc = layer_doc(*features, group="events", layer_id=layer_id)
    return Catalog([layer_from_document(doc, Path(f"{layer_id}.geojson"))])


def test_a_big_layer_sends_columns_that_decode_to_the_same_features():
    """Hostile, repeated and unique text, lists and numbers: each row decodes to the feature
    the small-layer path sends, with coordinates rounded to 5 decimals."""
    from geo.render.payload import decode_columns
    from tests.hostile import PAYLOADS

    features = point_features(60)
    for n, item in enumerate(features):
        props = item["properties"]
        props["description"] = f"{PAYLOADS[n % len(PAYLOADS)]} #{n}"  # unique text
        props["actor"] = PAYLOADS[n % 3]  # repeated text
        if n % 2:
            props["outcome"] = PAYLOADS[1]  # absent from half the rows
        props["fatalities"] = n
        props["units"] = [PAYLOADS[n % 2], "\u2028\u2029 \x00 é 😀"]
        item["geometry"]["coordinates"][0] += 0.123456789
    catalog = catalog_of(*features)
    small = build_payload(catalog, View())
    big = build_payload(catalog, View(), big_layer_points=10)
    [small_layer], [big_layer] = small["layers"], big["layers"]
    assert "columns" not in small_layer and len(small_layer["features"]) == 60
    assert big_layer["features"] == [] and big_layer["columns"]["rows"] == 60
    assert isinstance(big_layer["columns"]["a"], dict)  # three values: a dictionary
    assert isinstance(big_layer["columns"]["de"], list)  # all distinct: a plain array
    expected = small_layer["features"]
    for item in expected:
        item["g"]["coordinates"] = [round(v, 5) for v in item["g"]["coordinates"]]
    assert decode_columns(big_layer["columns"]) == expected
    assert big["sources"] == small["sources"] and big["count"] == small["count"] == 60


def test_the_column_encoding_knows_no_key_by_name():
    """A key another part adds to a feature (e.g. s0/s1, ISO dates) flows through as it is."""
    from geo.render.payload import decode_columns, encode_columns

    rows = [
        {"g": {"type": "Point", "coordinates": [1.0, 2.0]}, "i": "a", "s0": "2024-01-02", "z": 1},
        {"g": {"type": "Point", "coordinates": [3.0, 4.0]}, "i": "b", "s0": "2024-01-02"},
        {"g": {"type": "Point", "coordinates": [5.0, 6.0]}, "i": "c", "s1": "1", "z": 2.5},
        {"g": {"type": "Point", "coordinates": [7.0, 8.0]}, "i": "d", "s1": 1, "s0": "2024-01-02"},
        {"g": {"type": "Point", "coordinates": [9.0, 8.0]}, "i": "e", "s1": "1"},
        {"g": {"type": "Point", "coordinates": [9.5, 8.0]}, "i": "f", "s1": 1},
    ]
    columns = encode_columns(rows)
    assert columns["s0"] == {"dict": ["2024-01-02"], "codes": [0, 0, -1, 0, -1, -1]}
    assert columns["s1"] == {"dict": ["1", 1], "codes": [-1, -1, 0, 1, 0, 1]}
    assert columns["z"] == [1, None, 2.5, None, None, None]
    assert columns["i"] == ["a", "b", "c", "d", "e", "f"]  # all distinct: a plain array
    assert decode_columns(columns) == rows  # "1" and 1 stay apart


def test_other_geometries_of_a_big_layer_stay_features():
    from tests.helpers import feature

    line = feature("a-line", kind="airstrike", start="2024-01-02")
    line["geometry"] = {"type": "LineString", "coordinates": [[36, 30], [37, 31]]}
    catalog = catalog_of(*point_features(30), line)
    [layer] = build_payload(catalog, View(), big_layer_points=10)["layers"]
    assert [f["i"] for f in layer["features"]] == ["a-line"]
    assert layer["columns"]["rows"] == 30
    assert layer["shown"] == layer["total"] == 31


def test_a_view_past_the_cap_says_n_of_m_shown():
    catalog = catalog_of(*point_features(50))
    payload = build_payload(catalog, View(), max_drawn=20, big_layer_points=10)
    [layer] = payload["layers"]
    assert (payload["count"], payload["total"]) == (20, 50)
    assert (layer["shown"], layer["total"], layer["columns"]["rows"]) == (20, 50, 20)
    assert payload["caption"].endswith("; 20 of 50 shown")
    whole = build_payload(catalog, View(), max_drawn=50)
    assert (whole["count"], whole["total"]) == (50, 50)
    assert "shown" not in whole["caption"]


def test_a_rerun_that_only_changes_the_selection_does_not_resend_the_payload(catalog):
    from streamlit.testing.v1 import AppTest

    from tests.helpers import ROOT, map_args

    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    app.query_params["asof"] = "all"
    app.run()
    assert not app.exception, app.exception
    first = map_args(app)
    assert first["payload"]["count"] > 0
    fid = first["payload"]["layers"][0]["features"][0]["i"]
    app.session_state["selected"] = fid
    app.run()
    again = map_args(app)
    assert again["selected"] == fid
    assert again["payload_key"] == first["payload_key"]
    assert again["payload"] is None
    assert "<html" in first["shell"] and again["shell"] is None  # the page, too, goes once
    assert again["shell_key"] == first["shell_key"]
    app.checkbox(key="all_dates").uncheck().run()  # new data: sent again, once
    changed = map_args(app)
    assert changed["payload_key"] != first["payload_key"]
    assert changed["payload"] is not None and changed["payload"]["count"] > 0
    app.run()
    assert map_args(app)["payload"] is None


def test_the_map_holds_the_last_two_payloads_and_is_not_sent_them_again(catalog):
    """A view shown again while the map's frame still holds its payload (a layer switched off
    and on, a date stepped back and forth) sends none; one the frame has let go is sent."""
    from streamlit.testing.v1 import AppTest

    from tests.helpers import ROOT, map_args

    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    app.query_params["asof"] = "all"
    app.run()
    assert not app.exception, app.exception

    def sent(action) -> tuple[str, bool]:
        action()
        args = map_args(app)
        return args["payload_key"], args["payload"] is not None

    events = app.checkbox(key="layer:events")
    every, sent_every = sent(lambda: None)
    no_events, sent_no_events = sent(lambda: events.uncheck().run())
    assert sent_every and sent_no_events and every != no_events
    assert sent(lambda: app.checkbox(key="layer:events").check().run()) == (every, False)
    assert sent(lambda: app.checkbox(key="layer:events").uncheck().run()) == (no_events, False)
    # A third view: the frame now holds it and the last one shown (no events), not every date.
    third, sent_third = sent(lambda: app.checkbox(key="all_dates").uncheck().run())
    assert sent_third and third not in (every, no_events)
    assert sent(lambda: app.checkbox(key="all_dates").check().run()) == (no_events, False)
    assert sent(lambda: app.checkbox(key="layer:events").check().run()) == (every, True)


def test_the_app_builds_a_views_payload_once(catalog):
    """A rerun that changes only the selection (or another session on the same view) reuses
    the payload instead of building it again."""
    from geo.app.map_component import view_payload

    view = View(as_of="2024-06-01")
    first = view_payload(catalog, view)
    assert first == build_payload(catalog, view)
    assert view_payload(catalog, view.with_(selected="al-udeid-air-base")) is first
    assert view_payload(catalog, View(as_of="2023-06-01")) is not first
