"""Compare two dates (geo/compare.py) on small synthetic layers: every kind of change and the
edges A (excluded) and B (included) as the module documents them."""

import datetime as dt
from pathlib import Path

import pytest

from geo.catalog import Catalog, View
from geo.compare import CompareError, compare, compare_pairs, compare_view, parse_span
from geo.model import Layer
from tests.helpers import feature

A, B = dt.date(2024, 1, 1), dt.date(2024, 12, 31)


def square(x0: float, y0: float, size: float = 1.0) -> dict:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def area(fid: str, actor: str, start: str, end: str | None = None, where=(40.0, 30.0)) -> dict:
    item = feature(fid, kind="area-of-control", actor=actor, start=start, name=fid)
    if end:
        item["properties"]["end"] = end
    item["geometry"] = square(*where)
    return item


def site(fid: str, start: str, end: str | None = None) -> dict:
    item = feature(fid, start=start, name=fid)
    if end:
        item["properties"]["end"] = end
    return item


def event(fid: str, start: str, kind: str = "airstrike", end: str | None = None) -> dict:
    item = feature(fid, kind=kind, start=start, name=fid, claim_status="confirmed")
    if end:
        item["properties"]["end"] = end
    return item


def catalog(*layers: tuple[str, str, list[dict]]) -> Catalog:
    return Catalog(
        [
            Layer(Path(f"{lid}.geojson"), {"id": lid, "title": lid, "group": group}, feats)
            for lid, group, feats in layers
        ]
    )


def kinds(cat: Catalog, view: View | None = None, a=A, b=B) -> dict[str, str]:
    return {change.id: change.kind for change in compare(cat, view or View(), a, b)}


def test_sites_open_and_close_with_a_excluded_and_b_included():
    cat = catalog(
        (
            "sites",
            "us-posture",
            [
                site("opened-on-a", "2024-01-01"),  # on the map at A: not new
                site("opened-day-after-a", "2024-01-02"),
                site("opened-on-b", "2024-12-31"),
                site("opened-after-b", "2025-01-01"),
                site("closed-on-a", "2020", "2024-01-01"),  # there at A, gone on A+1
                site("closed-day-before-a", "2020", "2023-12-31"),  # gone before A
                site("closed-on-b", "2020", "2024-12-31"),  # still there on B
                site("closed-day-before-b", "2020", "2024-12-30"),
                site("open-and-shut", "2024-03", "2024-05"),
                site("unchanged", "2000"),
            ],
        )
    )
    assert kinds(cat) == {
        "opened-day-after-a": "opened",
        "opened-on-b": "opened",
        "closed-on-a": "closed",
        "closed-day-before-b": "closed",
        "open-and-shut": "closed",
    }
    notes = {c.id: c.note for c in compare(cat, View(), A, B)}
    assert notes["open-and-shut"] == "opened Mar 2024"


def test_a_partial_date_counts_from_its_first_day_and_ends_on_its_last():
    cat = catalog(
        (
            "sites",
            "us-posture",
            [site("in-2024", "2024"), site("to-2024", "2010", "2024")],
        )
    )
    # "2024" starts on 1 Jan 2024 (not after A) and ends on 31 Dec 2024 (= B, still there).
    assert kinds(cat) == {}
    assert kinds(cat, a=dt.date(2023, 12, 31), b=dt.date(2025, 1, 1)) == {
        "in-2024": "opened",
        "to-2024": "closed",
    }


def test_events_in_the_span_are_struck_or_events():
    cat = catalog(
        (
            "events",
            "events",
            [
                event("on-a", "2024-01-01"),  # A is excluded
                event("after-a", "2024-01-02"),
                event("on-b", "2024-12-31"),
                event("after-b", "2025-01-01"),
                event("spans-a", "2023-12-20", end="2024-01-05"),
                event("talks", "2024-06-01", kind="diplomacy"),
                event("handover", "2024-06-02", kind="handover"),
            ],
        )
    )
    assert kinds(cat) == {
        "after-a": "struck",
        "on-b": "struck",
        "spans-a": "struck",
        "talks": "event",
        "handover": "event",
    }


def test_an_area_that_another_holder_leaves_changes_hands():
    cat = catalog(
        (
            "actors",
            "regional-actors",
            [
                area("held-by-x", "X", "2010", "2024-06-10"),
                area("held-by-y", "Y", "2024-06-10"),  # same ground, next holder: changed
                area("x-redrawn", "X", "2024-06-10", where=(40.2, 30.2)),  # same holder
                area("far-y", "Y", "2024-06-10", where=(50.0, 20.0)),  # other ground: opened
                area("late-y", "Y", "2024-09-01", where=(40.5, 30.5)),  # other time: opened
            ],
        )
    )
    found = {c.id: c for c in compare(cat, View(), A, B)}
    assert {fid: c.kind for fid, c in found.items()} == {
        "held-by-x": "closed",
        "held-by-y": "changed-hands",
        "x-redrawn": "opened",
        "far-y": "opened",
        "late-y": "opened",
    }
    assert found["held-by-y"].note == "from X (held-by-x)"


def test_filters_apply_but_not_the_views_dates():
    cat = catalog(
        ("sites", "us-posture", [site("a-site", "2024-05")]),
        ("events", "events", [event("a-strike", "2024-05-05")]),
    )
    dated = View(as_of="1990-01-01", window_from="1990-01-01", window_to="1990-02-01")
    assert kinds(cat, dated) == {"a-site": "opened", "a-strike": "struck"}
    assert kinds(cat, View(layers=("events",))) == {"a-strike": "struck"}
    assert kinds(cat, View(query="nothing-matches-this")) == {}


def test_the_comparison_view_shows_b_and_keeps_what_closed():
    cat = catalog(
        (
            "sites",
            "us-posture",
            [site("kept", "2000"), site("gone", "2000", "2024-06"), site("new", "2024-06")],
        ),
        ("events", "events", [event("old-strike", "2023-05-05"), event("strike", "2024-05-05")]),
    )
    view = compare_view(View(), A, B)
    assert (view.as_of, view.window_from, view.window_to) == (
        "2024-12-31",
        "2024-01-02",
        "2024-12-31",
    )
    drawn = {feat["properties"]["id"]: kind for _layer, feat, kind in compare_pairs(cat, view)}
    assert drawn == {"kept": None, "gone": "closed", "new": "opened", "strike": "struck"}


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("2024-01-01..2024-12-31", (A, B)),
        ("2024..2024", (A, B)),
        (" 2024-01 .. 2024-12 ", (A, B)),
    ],
)
def test_parse_span(text, span):
    assert parse_span(text) == span


@pytest.mark.parametrize("text", ["2024", "2024-12-31..2024-01-01", "2024-02-30..2025", "x..y"])
def test_parse_span_refuses_with_the_form_to_use(text):
    with pytest.raises(CompareError, match=r"A\.\.B|A must be before B"):
        parse_span(text)


# ---------------------------------------------------------------------------------------------
# The export command follows --compare (real files, the real CLI)


@pytest.fixture(scope="module")
def real_changes():
    from geo.catalog import load_catalog
    from tests.helpers import LAYERS

    return compare(load_catalog(Path(LAYERS)), View(), dt.date(2024, 11, 1), dt.date(2026, 2, 1))


def test_csv_and_geojson_exports_carry_each_change(tmp_path, real_changes):
    import csv
    import json

    from tests.helpers import run_cli

    span = "2024-11-01..2026-02-01"
    for fmt in ("csv", "geojson"):
        result = run_cli("export", fmt, "-o", str(tmp_path / f"c.{fmt}"), "--compare", span)
        assert result.returncode == 0, result.stderr
    with open(tmp_path / "c.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {row["id"]: row["change"] for row in csv.DictReader(handle)}
    doc = json.loads((tmp_path / "c.geojson").read_text(encoding="utf-8"))
    props = {f["properties"]["id"]: f["properties"]["change"] for f in doc["features"]}
    assert rows == props
    changed = {fid: kind for fid, kind in rows.items() if kind != "unchanged"}
    assert changed == {c.id: c.kind for c in real_changes}
    assert rows["ain-al-asad-air-base"] == "closed"  # gone at B, exported all the same
    assert rows["al-udeid-air-base"] == "unchanged"
    assert "changes from 1 Nov 2024 to 1 Feb 2026" in doc["layer"]["title"]


def test_an_image_export_names_the_comparison(tmp_path):
    from tests.helpers import run_cli

    out = tmp_path / "c.svg"
    result = run_cli("export", "svg", "-o", str(out), "--compare", "2024-11-01..2026-02-01")
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "changes from 1 Nov 2024 to 1 Feb 2026" in text
    assert "#1a9850" in text and "#7b3294" in text  # opened and changed-hands outlines


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--compare", "2026..2024"], "A must be before B"),
        (["--compare", "2024-02-30..2025"], "write two dates as A..B"),
        (["--compare", "2024..2025", "--as-of", "2025"], "drop --as-of, --from and --to"),
    ],
)
def test_a_bad_compare_is_one_line_and_writes_nothing(tmp_path, options, words):
    from tests.helpers import run_cli

    out = tmp_path / "c.csv"
    result = run_cli("export", "csv", "-o", str(out), *options)
    assert result.returncode == 1
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and not out.exists()


def test_the_map_payload_carries_dates_changes_and_the_view_time():
    from geo.render.payload import build_payload

    cat = catalog(
        (
            "sites",
            "us-posture",
            [site("kept", "2000-05"), site("gone", "2000", "2024-06"), site("new", "2024-06-03")],
        ),
        ("events", "events", [event("strike", "2024-05", end="2024-07-02")]),
    )
    payload = build_payload(cat, compare_view(View(), A, B))
    features = {f["i"]: f for layer in payload["layers"] for f in layer["features"]}
    assert {fid: f.get("ch") for fid, f in features.items()} == {
        "kept": None,
        "gone": "closed",
        "new": "opened",
        "strike": "struck",
    }
    assert (features["kept"]["s0"], features["kept"].get("s1")) == ("2000-05-01", None)
    assert (features["gone"]["s0"], features["gone"]["s1"]) == ("2000-01-01", "2024-06-30")
    assert (features["strike"]["s0"], features["strike"]["s1"]) == ("2024-05-01", "2024-07-02")
    assert [c["i"] for c in payload["changes"]] == ["strike", "gone", "new"]  # by first day
    assert payload["time"] == {
        "asOf": "2024-12-31",
        "from": "2024-01-02",
        "to": "2024-12-31",
        "compare": ["2024-01-01", "2024-12-31"],
        "first": "2024-05-01",
        "last": "2024-07-02",
    }
    plain = build_payload(cat, View(as_of="2024-01-01"))
    assert plain["changes"] == [] and plain["time"]["compare"] is None
    assert all("ch" not in f for layer in plain["layers"] for f in layer["features"])
