"""Data tests over layers/: what a reader relies on when they trust a point, a date or a link."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import urlsplit

import airportsdata
import pytest
from pyproj import Geod
from shapely.geometry import shape

from geo.countries import distance_km
from geo.model import PartialDate
from geo.validate import MIRROR_HOSTS, validate_paths
from geo.validate.geometry import positions
from geo.validate.structure import POSITION_DEPTH
from tests.helpers import LAYERS

GEOD = Geod(ellps="WGS84")
ICAO_TOLERANCE_KM = 3.0
NAMED_SITES = {
    "al-udeid-air-base",
    "al-dhafra-air-base",
    "nsa-bahrain",
    "isa-air-base",
    "prince-sultan-air-base",
    "camp-arifjan",
    "ali-al-salem-air-base",
    "camp-buehring",
    "ahmad-al-jaber-air-base",
    "incirlik-air-base",
    "izmir-air-station",
    "ain-al-asad-air-base",
    "erbil-air-base",
    "al-tanf-garrison",
    "tower-22",
    "muwaffaq-salti-air-base",
    # Added for the December 2026 review: north-east Syria, federal Iraq and Kurdistan, Kuwait,
    # Israel, Egypt (MFO), Oman, Djibouti, Turkey and a closed base in Qatar.
    "green-village",
    "mss-euphrates-conoco",
    "shaddadi-base",
    "qasrak-base",
    "rmelan-airfield",
    "harir-air-base",
    "victory-base-complex",
    "qayyarah-west-airfield",
    "shuaiba-port",
    "camp-lemonnier",
    "chabelley-airfield",
    "kurecik-radar-station",
    "thaad-battery-israel",
    "mfo-north-camp",
    "mfo-south-camp",
    "duqm-port",
    "thumrait-air-base",
    "masirah-air-base",
    "camp-as-sayliyah",
    "k1-air-base",
    "eskan-village",
    "camp-taji",
}
NAMED_EVENTS = {
    "soleimani-killing-2020",
    "iran-missile-strike-ain-al-asad-2020",
    "iran-missile-strike-erbil-2020",
    "hamas-led-attack-on-israel-2023",
    "tower-22-drone-attack-2024",
    "us-uk-strikes-houthis-2024",
    "operation-rough-rider-2025",
    "damascus-consulate-strike-2024",
    "true-promise-1-2024",
    "true-promise-2-2024",
    "israel-strikes-iran-2024",
    "israel-opening-strikes-iran-2025",
    "midnight-hammer-fordow-2025",
    "midnight-hammer-natanz-2025",
    "midnight-hammer-isfahan-2025",
    "iran-missile-strike-al-udeid-2025",
    "nord-stream-sabotage-2022",
    "muscat-talks-2025",
    "militia-attacks-us-forces-iraq-syria-2023",
    "iran-drone-strike-shuaiba-port-2026",
    "iran-strike-prince-sultan-2026",
    "iran-strike-ali-al-salem-2026",
    "us-strikes-iraq-after-tower-22-2024",
    "us-strikes-syria-after-tower-22-2024",
    "israel-hezbollah-ceasefire-2024",
    "iran-missile-attacks-israel-2025",
    "israel-iran-ceasefire-2025",
    "israel-strike-doha-hamas-2025",
    "gaza-ceasefire-2025",
    "rome-talks-round-2-2025",
    "muscat-talks-round-3-2025",
    "muscat-talks-round-4-2025",
    "rome-talks-round-5-2025",
    "muscat-talks-2026",
    "geneva-talks-round-2-2026",
    "geneva-talks-round-3-2026",
    "hezbollah-enters-war-2026",
    "israel-strikes-lebanon-2026",
    "israel-ground-operation-lebanon-2026",
    "iran-missile-attacks-israel-2026",
    "iran-strikes-uae-2026",
    "hormuz-closure-2026",
    "us-iran-ceasefire-2026",
    "islamabad-talks-2026",
    "us-blockade-iran-ports-2026",
    "israel-lebanon-ceasefire-2026",
    # Added for the December 2026 polish: attacks on US forces of 2023-2024 and the US answers.
    "drone-attack-al-tanf-2023",
    "drone-attacks-ain-al-asad-2023",
    "ballistic-missile-attack-ain-al-asad-2024",
    "drone-attack-erbil-air-base-2023",
    "us-strikes-kataib-hezbollah-iraq-2023",
    "us-strikes-syria-2023-10",
    "us-strike-syria-2023-11-08",
    "us-strikes-syria-2023-11-12",
    "rocket-attack-ain-al-asad-2024-08",
    "uss-carney-intercepts-houthi-missiles-2023",
    "uss-carney-houthi-drones-2023-12-03",
    "us-navy-sinks-houthi-boats-2023",
}
NAMED_ACTORS = {
    "Hezbollah",
    "Hamas",
    "Houthis (Ansar Allah)",
    "Kata'ib Hezbollah",
    "Syrian government",
    "Israel",
    "Syrian transitional government",
    "Syrian Democratic Forces",
}
ENDED = {
    "ain-al-asad-air-base": "2026-01",
    "al-tanf-garrison": "2026-02",
    "shaddadi-base": "2026-02",
    "green-village": "2025-05",
    "mss-euphrates-conoco": "2025-05",
    "victory-base-complex": "2025",
    "qayyarah-west-airfield": "2020-03",
    "camp-as-sayliyah": "2021-06",
    "k1-air-base": "2020-03",
    "camp-taji": "2020-08-23",
    "syria-assad-government": "2024-12-08",
    "hamas-gaza-strip": "2023-10-27",
    "hamas-gaza-war-2023-2025": "2025-10-10",
    "israel-gaza-war-2023-2025": "2025-10-10",
    "hezbollah-south-of-litani": "2024-11-27",
    "hezbollah-south-lebanon-ceasefire-2024": "2026-03-02",
    "israel-five-points-south-lebanon": "2026-03-03",
    "sdf-raqqa-deir-ez-zor": "2026-01-18",
    "sdf-hasakah": "2026-01-30",
}


def load_all() -> list[tuple[str, dict]]:
    pairs = []
    for path in sorted(Path(LAYERS).glob("*.geojson")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        pairs += [(doc["layer"]["id"], feature) for feature in doc["features"]]
    return pairs


FEATURES = load_all()
BY_ID = {f["properties"]["id"]: (layer, f) for layer, f in FEATURES}


def test_the_validator_is_clean_on_every_layer():
    assert [m.format() for m in validate_paths([Path(LAYERS)])] == []


def test_ids_are_unique_across_all_layers():
    ids = [f["properties"]["id"] for _, f in FEATURES]
    assert len(ids) == len(set(ids))


def test_every_site_the_articles_name_is_there():
    assert {i for i, (layer, _) in BY_ID.items() if layer == "us-sites"} >= NAMED_SITES


def test_every_event_the_issue_names_is_there():
    assert {i for i, (layer, _) in BY_ID.items() if layer == "events"} >= NAMED_EVENTS


def test_every_regional_actor_is_there():
    actors = {f["properties"].get("actor") for layer, f in FEATURES if layer != "events"}
    assert actors >= NAMED_ACTORS


def test_2026_events_are_present():
    assert any(i.endswith("-2026") for i in BY_ID)


@pytest.mark.parametrize("feature_id", sorted(ENDED))
def test_ended_things_say_when(feature_id):
    end = BY_ID[feature_id][1]["properties"].get("end", "")
    assert end.startswith(ENDED[feature_id])


@pytest.mark.parametrize(
    "pair",
    [p for p in FEATURES if p[1]["properties"].get("icao")],
    ids=lambda p: p[1]["properties"]["id"],
)
def test_airfields_match_airportsdata(pair):
    props = pair[1]["properties"]
    airport = airportsdata.load("ICAO")[props["icao"]]
    lon, lat = pair[1]["geometry"]["coordinates"][:2]
    _, _, metres = GEOD.inv(lon, lat, airport["lon"], airport["lat"])
    assert metres / 1000 <= ICAO_TOLERANCE_KM, f"{props['id']} is {metres / 1000:.1f} km away"


def test_every_airfield_site_has_its_icao_code_checked():
    # Muwaffaq Salti is an airfield too, but airportsdata files it under "OJ40", which is not an
    # ICAO code, and no cited page gives one; its point is still airportsdata's.
    airfields = {
        "al-udeid-air-base",
        "al-dhafra-air-base",
        "isa-air-base",
        "prince-sultan-air-base",
        "ali-al-salem-air-base",
        "camp-buehring",
        "ahmad-al-jaber-air-base",
        "incirlik-air-base",
        "ain-al-asad-air-base",
        "erbil-air-base",
        "qayyarah-west-airfield",
        "chabelley-airfield",
        "thumrait-air-base",
        "masirah-air-base",
    }
    assert {i for i in NAMED_SITES if BY_ID[i][1]["properties"].get("icao")} == airfields


@pytest.mark.parametrize(
    "pair",
    [p for p in FEATURES if p[1]["properties"].get("country")],
    ids=lambda p: p[1]["properties"]["id"],
)
def test_every_feature_lies_in_its_country(pair):
    props = pair[1]["properties"]
    point = shape(pair[1]["geometry"]).representative_point()
    distance = distance_km(props["country"], point.x, point.y)
    assert distance is not None and distance <= 5.0, f"{props['id']}: {distance} km out"


@pytest.mark.parametrize("pair", FEATURES, ids=lambda p: p[1]["properties"]["id"])
def test_intervals_and_sources_are_consistent(pair):
    props = pair[1]["properties"]
    start = PartialDate.parse(props["start"])
    if props.get("end"):
        assert PartialDate.parse(props["end"]).last_day() >= start.first_day()
    assert start.first_day() <= dt.date.today()
    urls = [s["url"] for s in props["sources"]]
    assert urls and len(urls) == len(set(urls)), "each page cited once per feature"
    for source in props["sources"]:
        host = urlsplit(source["url"]).hostname or ""
        assert not any(host == m or host.endswith("." + m) for m in MIRROR_HOSTS), host
        if source.get("published"):
            assert (
                PartialDate.parse(source["published"]).first_day()
                <= PartialDate.parse(source["accessed"]).last_day()
            )
    if props["location_precision"] != "exact":
        assert props.get("location_note")
    for claim in props.get("claims", []):
        assert claim["source"] in urls


def test_events_that_overlap_in_time_with_sites_are_consistent():
    # A strike on a base happens while the base is in US use.
    for event_id, site_id in (
        ("iran-missile-strike-al-udeid-2025", "al-udeid-air-base"),
        ("iran-missile-strike-ain-al-asad-2020", "ain-al-asad-air-base"),
        ("tower-22-drone-attack-2024", "tower-22"),
        ("drone-attack-al-tanf-2023", "al-tanf-garrison"),
        ("ballistic-missile-attack-ain-al-asad-2024", "ain-al-asad-air-base"),
        ("rocket-attack-ain-al-asad-2024-08", "ain-al-asad-air-base"),
        ("drone-attack-erbil-air-base-2023", "erbil-air-base"),
    ):
        event = BY_ID[event_id][1]["properties"]
        site = BY_ID[site_id][1]["properties"]
        day = PartialDate.parse(event["start"]).first_day()
        assert PartialDate.parse(site["start"]).first_day() <= day
        if site.get("end"):
            assert day <= PartialDate.parse(site["end"]).last_day()


def test_polygons_are_small_enough_to_draw_fast():
    # A hand-drawn area needs tens of vertices; thousands mean a boundary pasted unsimplified.
    for _, feat in FEATURES:
        geometry = feat["geometry"]
        count = sum(
            1 for _ in positions(geometry["coordinates"], POSITION_DEPTH[geometry["type"]], ())
        )
        assert count <= 1_000, f"{feat['properties']['id']} has {count} vertices"


def test_every_layer_says_when_it_was_last_reviewed():
    for path in sorted(Path(LAYERS).glob("*.geojson")):
        meta = json.loads(path.read_text(encoding="utf-8"))["layer"]
        reviewed = meta.get("reviewed")
        assert isinstance(reviewed, str), f"{path.name}: layer.reviewed is missing"
        day = dt.date.fromisoformat(reviewed)
        assert day <= dt.date.today(), f"{path.name}: reviewed {reviewed} is in the future"
