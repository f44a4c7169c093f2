"""Time, filters and search over the repository's layers, as the map asks them."""

from pathlib import Path

import pytest

from geo.catalog import View, bibliography, load_catalog
from tests.helpers import LAYERS, feature, layer_doc


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(Path(LAYERS))


def ids(catalog, view):
    return {f["properties"]["id"] for _, f in catalog.features(view)}


def test_every_layer_loads(catalog):
    assert catalog.messages == []
    assert {layer.group for layer in catalog.layers} == {"us-posture", "regional-actors", "events"}


def test_as_of_shows_the_posture_on_that_date(catalog):
    before = ids(catalog, View(as_of="2025-06-01"))
    after = ids(catalog, View(as_of="2026-06-01"))
    assert "ain-al-asad-air-base" in before and "ain-al-asad-air-base" not in after
    assert "al-tanf-garrison" in before and "al-tanf-garrison" not in after
    assert "al-udeid-air-base" in before and "al-udeid-air-base" in after
    assert "syria-assad-government" in ids(catalog, View(as_of="2024-12-07"))
    assert "syria-assad-government" not in ids(catalog, View(as_of="2024-12-09"))


def test_events_follow_the_window(catalog):
    in_2023 = ids(catalog, View(as_of="2023-12-31"))
    assert "hamas-led-attack-on-israel-2023" in in_2023
    assert not any(i.endswith("-2024") for i in in_2023)
    window = ids(catalog, View(as_of="2024-12-31", window_from="2024-01-01"))
    assert "soleimani-killing-2020" not in window
    assert "tower-22-drone-attack-2024" in window


def test_filters_and_search(catalog):
    kuwait = ids(catalog, View(countries=("KW",)))
    assert {"camp-arifjan", "ali-al-salem-air-base"} <= kuwait
    assert all(catalog.find(i)[1]["properties"]["country"] == "KW" for i in kuwait)
    found = ids(catalog, View(query="udeid"))
    assert "al-udeid-air-base" in found
    assert ids(catalog, View(query="no such words anywhere")) == set()


def test_bibliography_lists_each_work_once(catalog):
    works = bibliography(catalog.features(View()))
    urls = [w["url"] for w in works]
    assert len(urls) == len(set(urls))
    assert all(w["cited_by"] for w in works)


def test_a_joint_actor_matches_a_filter_on_either_party(catalog):
    israel = ids(catalog, View(actors=("Israel",)))
    joint = {
        f["properties"]["id"]
        for _, f in catalog.features(View())
        if f["properties"].get("actor") == "United States and Israel"
    }
    assert joint and joint <= israel
    assert joint <= ids(catalog, View(actors=("United States",)))
    assert "United States and Israel" not in catalog.facets()["actors"]


def test_a_strike_in_a_layer_outside_the_events_group_is_still_an_event():
    from geo.catalog import is_event
    from geo.model import Layer

    layer = Layer(Path("mine.geojson"), layer_doc()["layer"])  # group us-posture
    strike = feature("my-strike", kind="airstrike")
    base = feature("my-base", kind="air-base")
    assert is_event(strike, layer) and not is_event(base, layer)


def test_a_file_that_reuses_another_files_feature_id_is_left_out(tmp_path):
    from tests.helpers import write_doc

    write_doc(tmp_path / "a.geojson", layer_doc(feature("shared-id"), layer_id="a"))
    write_doc(tmp_path / "b.geojson", layer_doc(feature("shared-id"), layer_id="b"))
    catalog = load_catalog(tmp_path)
    assert catalog.layer_ids() == ["a"]
    assert [m.format() for m in catalog.messages] == [
        f"{tmp_path / 'b.geojson'}: feature shared-id: id: id 'shared-id' is already used by "
        f"{tmp_path / 'a.geojson'} - give this feature its own id; ids are unique across all "
        "layer files"
    ]


def test_a_parquet_layer_that_reuses_a_feature_id_is_left_out_too(tmp_path):
    from geo.model import Layer
    from geo.store import write_parquet
    from tests.helpers import write_doc

    write_doc(tmp_path / "a.geojson", layer_doc(feature("shared-id"), layer_id="a"))
    doc = layer_doc(feature("shared-id"), layer_id="b")
    write_parquet(
        Layer(tmp_path / "b.parquet", doc["layer"], doc["features"]), tmp_path / "b.parquet"
    )
    catalog = load_catalog(tmp_path)
    assert catalog.layer_ids() == ["a"]
    assert [m.code for m in catalog.messages] == ["duplicate-id"]
