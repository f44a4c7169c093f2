"""A big layer's long text travels apart from what the map draws (geo/render/details.py)."""

from __future__ import annotations

import json

from geo.catalog import View
from geo.render import build_map, map_html
from geo.render.details import APART, merge_details, row_details, split_details
from geo.render.maps import DETAILS_ID, PAYLOAD_ID, embedded_payload
from geo.render.payload import BIG_LAYER_POINTS, build_payload
from tests.hostile import PAYLOADS
from tests.test_render import catalog_of, point_features


def big_payload(rows: int = 40) -> dict:
    features = point_features(rows)
    for n, item in enumerate(features):
        props = item["properties"]
        props["name"] = f"Event {n}"
        props["description"] = f"{PAYLOADS[n % len(PAYLOADS)]} #{n}"
        props["location_note"] = f"Placed by the town's name, row {n}"
        props["sources"][0]["quote"] = f"What the page says of row {n}"
        props["fatalities"] = n % 3  # few values: dictionary-encoded
    return build_payload(catalog_of(*features), View(), big_layer_points=10)


def test_the_drawn_part_keeps_positions_ids_and_short_labels_and_leaves_the_text():
    payload = big_payload()
    drawn, details = split_details(payload)
    columns = drawn["layers"][0]["columns"]
    assert drawn["layers"][0]["details"] == APART
    assert {"rows", "x", "y", "i", "lp", "k", "s0"} <= set(columns)
    assert not {"n", "de", "ln", "q"} & set(columns)
    assert set(details["0"]) >= {"n", "de", "ln", "q"}
    assert "fa" in columns  # the dictionary-encoded labels stay: they are short
    assert merge_details(drawn, details) == payload
    assert payload["layers"][0]["columns"]["de"]  # the payload given is left whole


def test_a_rows_details_are_its_own():
    payload = big_payload()
    drawn, details = split_details(payload)
    found = row_details(drawn, details, "pt-7")
    assert found["layer"] == 0 and found["id"] == "pt-7"
    row = found["row"]
    assert drawn["layers"][0]["columns"]["i"][row] == "pt-7"
    assert found["values"]["n"] == "Event 7"
    assert found["values"]["de"] == f"{PAYLOADS[7 % len(PAYLOADS)]} #7"
    assert found["values"]["q"] == {"0": "What the page says of row 7"}
    assert row_details(drawn, details, "no-such-id") is None
    assert row_details(drawn, details, None) is None


def test_a_small_layer_is_sent_whole():
    features = point_features(5)
    payload = build_payload(catalog_of(*features), View())
    drawn, details = split_details(payload)
    assert details == {} and drawn == payload


def test_an_export_carries_the_text_in_a_second_element_and_reads_back_whole():
    rows = BIG_LAYER_POINTS + 100  # a big layer: sent as columns
    features = point_features(rows)
    for n, item in enumerate(features):
        item["properties"]["description"] = f"Only in the details, row {n}"
    # Built plain (not packed) so that the page's text can be read here.
    fmap = build_map(catalog_of(*features), View(), compress_over=10**9)
    page = map_html(fmap)
    drawn, details = page.split(f'id="{DETAILS_ID}"')
    assert f'id="{PAYLOAD_ID}"' in drawn and "Only in the details" not in drawn
    # The text comes last, after the script that draws: the browser draws before reading it.
    assert "window.posture.showEmbedded(" in drawn
    assert details.rstrip().endswith("</script>\n</html>")
    assert details.count("Only in the details") == rows
    whole = embedded_payload(page)
    assert json.dumps(whole).count("Only in the details") == rows
    assert "details" not in whole["layers"][0]
