"""The timeline under the map and the comparison of two dates, in a real browser: an HTML
export opened from disk, and the app served on localhost."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from geo.catalog import View, load_catalog
from geo.compare import compare
from tests.helpers import LAYERS, run_cli

pytestmark = pytest.mark.browser
TODAY = dt.date.today()
DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(Path(LAYERS))


def day_ms(day: str) -> int:
    return int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp() * 1000)


def export(tmp_path: Path, *options: str) -> Path:
    out = tmp_path / "map.html"
    result = run_cli("export", "html", "-o", str(out), *options)
    assert result.returncode == 0, result.stderr
    return out


def open_export(context, path: Path):
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_selector(".posture-timeline[data-timeline-ready='1']")
    return page


def test_marks_sit_where_their_dates_are(context, tmp_path, catalog):
    page = open_export(context, export(tmp_path, "--layers", "events", "--to", "2025-12-31"))
    marks = page.eval_on_selector_all(
        ".posture-timeline-mark",
        "els => els.map(e => [e.dataset.id, e.dataset.start, +e.getAttribute('cx')])",
    )
    expected = {
        f["properties"]["id"]
        for _l, f in catalog.features(View(layers=("events",), window_to="2025-12-31"))
    }
    assert {fid for fid, _d, _x in marks} == expected
    # Position is a linear function of the date, and later is further right: fit it on the
    # first and last mark, then every other mark lies on that line to within a pixel.
    marks.sort(key=lambda m: m[1])
    (_, d0, x0), (_, d1, x1) = marks[0], marks[-1]
    assert x1 - x0 > 300
    per_ms = (x1 - x0) / (day_ms(d1) - day_ms(d0))
    for fid, day, x in marks:
        assert abs(x0 + (day_ms(day) - day_ms(d0)) * per_ms - x) < 1.0, fid
    tower = next(x for fid, _d, x in marks if fid == "tower-22-drone-attack-2024")
    soleimani = next(x for fid, _d, x in marks if fid == "soleimani-killing-2020")
    assert soleimani < tower
    assert context.recorder.outside == []


def test_the_export_shows_its_window_and_cursor(context, tmp_path):
    page = open_export(
        context,
        export(tmp_path, "--as-of", "2024-06-30", "--from", "2024-01-01", "--to", "2024-06-30"),
    )
    box = page.locator(".posture-timeline-window")
    assert box.get_attribute("data-from") == "2024-01-01"
    assert box.get_attribute("data-to") == "2024-06-30"
    assert page.locator(".posture-timeline-cursor").get_attribute("data-date") == "2024-06-30"
    x = page.evaluate("window.posture.timeline.x(Date.parse('2024-01-01T00:00:00Z'))")
    assert abs(float(box.get_attribute("x")) - x) < 0.5


def test_an_export_with_compare_lists_and_styles_the_changes(context, tmp_path, catalog):
    page = open_export(context, export(tmp_path, "--compare", "2024-11-01..2026-02-01"))
    changes = compare(catalog, View(), dt.date(2024, 11, 1), dt.date(2026, 2, 1))
    rows = page.locator(".posture-compare tr")
    assert rows.count() == len(changes) > 20
    assert (
        page.locator(".posture-compare summary")
        .inner_text()
        .startswith("Changes 2024-11-01 → 2026-02-01")
    )
    listed = page.eval_on_selector_all(
        ".posture-compare tr",
        "rows => rows.map(r => [r.dataset.change, r.querySelector('a').dataset.id])",
    )
    assert listed == [[c.kind, c.id] for c in changes]
    kinds = {c.kind for c in changes}
    assert {"opened", "closed", "changed-hands", "struck"} <= kinds
    # A closed base is drawn (though gone at B), grey and dashed; a new area outlined green.
    style = page.evaluate("id => window.posture.byId[id].drawn[0].options", "ain-al-asad-air-base")
    assert style["dashArray"] and style["color"] == "#7f7f7f"
    opened = next(c.id for c in changes if c.kind == "opened")
    colour = page.evaluate(
        "id => { const d = window.posture.byId[id].drawn[0];"
        " return (d.getLayers ? d.getLayers()[0] : d).options.color; }",
        opened,
    )
    assert colour == "#1a9850"
    # Each entry opens its feature.
    page.locator(".posture-compare a[data-id='sdf-raqqa-deir-ez-zor']").click()
    popup = page.locator(".posture-popup[data-feature-id='sdf-raqqa-deir-ez-zor']")
    popup.wait_for(timeout=5000)
    assert context.recorder.outside == []


@pytest.mark.parametrize("group", ["events", "regional-actors"])
def test_a_large_event_layer_is_a_monthly_histogram(context, tmp_path, group):
    """A big layer's rows (drawn from columns) counted by month; in a group other than
    events, its sites last and are not counted as events, and an event is one by its kind
    (an airstrike without a claim status) or by a field only events carry (a claim status)."""
    from tests.helpers import feature, layer_doc, write_doc

    events = []
    # 5,000 events over 25 months, 200 a month; outside the events group half are events by
    # their kind and half by a field, each half past the 2,000 marks a row draws one by one.
    for number in range(5000):
        month = dt.date(2023, 1, 1) + dt.timedelta(days=31 * (number % 25))
        by_field = group == "events" or number % 2
        events.append(
            feature(
                f"event-{number}",
                kind="other" if group != "events" and by_field else "airstrike",
                start=f"{month:%Y-%m}-{1 + number % 28:02d}",
                actor="A test actor",
                **({"claim_status": "confirmed"} if by_field else {}),
            )
        )
    sites = []
    if group != "events":  # sites that last, in a month of their own
        sites = [
            feature(f"site-{n}", start=f"2021-03-0{n}", actor="A test actor") for n in range(1, 8)
        ]
    folder = tmp_path / "layers"
    folder.mkdir()
    write_doc(folder / "many.geojson", layer_doc(*events, *sites, group=group, layer_id="many"))
    out = tmp_path / "many.html"
    result = run_cli("export", "html", "-o", str(out), "--layers-dir", str(folder))
    assert result.returncode == 0, result.stderr
    page = open_export(context, out)
    assert page.locator(".posture-timeline-mark").count() == 0
    bins = page.eval_on_selector_all(
        ".posture-timeline-bin",
        "els => els.map(e => [e.dataset.month, e.querySelector('title').textContent])",
    )
    assert len(bins) == 25
    assert all(title == f"200 events in {month}" for month, title in bins)
    label = page.locator(".posture-timeline-label title").first.text_content()
    assert label == f"Test layer ({5000 + len(sites)})"


def test_the_cursor_moves_from_the_keyboard_and_the_export_filters(context, tmp_path):
    page = open_export(context, export(tmp_path, "--as-of", "2025-06-30"))
    cursor = page.locator(".posture-timeline-cursor")
    cursor.focus()
    for _ in range(12):
        page.keyboard.press("ArrowLeft")  # a month each
    assert cursor.get_attribute("data-date") == "2024-06-30"
    page.keyboard.press("Enter")
    # The page holds the features of 30 Jun 2025: the sites and areas that began after
    # 30 Jun 2024 are hidden, the rest stay.
    later = page.evaluate(
        "Object.values(window.posture.byId).filter(e => e.feature.s0 > '2024-06-30'"
        " && e.layer.group !== 'events').map(e => e.feature.i)"
    )
    assert later  # sites and areas that began after the new date ...
    hidden = page.evaluate(
        "ids => ids.filter(i => !window.posture.groups.some(g =>"
        " g.hasLayer(window.posture.byId[i].drawn[0])))",
        later,
    )
    assert hidden == later  # ... are hidden
    count = int(page.locator("#map_posture").get_attribute("data-feature-count"))
    assert count == page.evaluate("Object.keys(window.posture.byId).length") - len(later)


# ---------------------------------------------------------------------------------------------
# The app


def map_frame(page, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if frame.url == "about:srcdoc":
                try:
                    if frame.evaluate(
                        "!!(window.posture && window.posture.payload && window.posture.timeline"
                        " && window.posture.timeline.payload === window.posture.payload)"
                    ):
                        return frame
                except Exception:  # the frame is being replaced
                    pass
        page.wait_for_timeout(100)
    raise AssertionError("the map never drew")


def params(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def wait_for_param(page, key: str, pattern: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = (params(page).get(key) or [""])[0]
        if re.fullmatch(pattern, value):
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"{key} stayed {params(page).get(key)} in {page.url}")


def wait_for_map_count(page, expected: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    count = None
    while time.monotonic() < deadline:
        count = map_frame(page).evaluate("window.posture.payload.count")
        if count == expected:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the map shows {count} features, not {expected}")


def x_of(frame, day: str) -> float:
    """Where a day is on the timeline, in page coordinates."""
    inner = frame.evaluate(f"window.posture.timeline.x(Date.parse('{day}T00:00:00Z'))")
    box = frame.locator(".posture-timeline-svg").bounding_box()
    return box["x"] + inner


def row_y(frame, group: str) -> float:
    box = frame.locator(f".posture-timeline-row[data-group='{group}'] line").bounding_box()
    return box["y"] - 6  # just above the row's bottom rule: inside the row


def drag(page, x0: float, x1: float, y: float) -> None:
    page.mouse.move(x0, y)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, y, steps=4)
    page.mouse.move(x1, y, steps=4)
    page.mouse.up()


def days_apart(a: str, b: str) -> int:
    return abs((dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days)


def test_brushing_sets_the_apps_event_window(context, app_url, catalog):
    page = context.new_page()
    page.goto(app_url)
    frame = map_frame(page)
    before = frame.evaluate("window.posture.payload.count")
    y = row_y(frame, "events")
    drag(page, x_of(frame, "2024-01-01"), x_of(frame, "2025-01-01"), y)
    wait_for_param(page, "window", "custom")
    start = wait_for_param(page, "from", r"\d{4}-\d\d-\d\d")
    end = wait_for_param(page, "to", r"\d{4}-\d\d-\d\d")
    assert days_apart(start, "2024-01-01") <= 3 and days_apart(end, "2024-12-31") <= 3
    expected = sum(
        1 for _ in catalog.features(View(as_of=TODAY.isoformat(), window_from=start, window_to=end))
    )
    wait_for_map_count(page, expected)
    assert expected < before
    frame = map_frame(page)
    box = frame.locator(".posture-timeline-window")
    assert (box.get_attribute("data-from"), box.get_attribute("data-to")) == (start, end)
    assert context.recorder.outside == []


def test_dragging_the_cursor_sets_the_as_of_date(context, app_url, catalog):
    page = context.new_page()
    page.goto(app_url)
    frame = map_frame(page)
    handle = frame.locator(".posture-timeline-handle").bounding_box()
    x0, y = handle["x"] + handle["width"] / 2, handle["y"] + 3
    drag(page, x0, x_of(frame, "2023-06-15"), y)
    as_of = wait_for_param(page, "asof", r"2023-06-\d\d")
    assert days_apart(as_of, "2023-06-15") <= 3
    wait_for_map_count(page, sum(1 for _ in catalog.features(View(as_of=as_of))))
    assert map_frame(page).locator(".posture-timeline-cursor").get_attribute("data-date") == as_of


def test_clicking_a_mark_selects_its_feature(context, app_url):
    page = context.new_page()
    page.goto(app_url)
    frame = map_frame(page)
    frame.locator(".posture-timeline-mark[data-id='tower-22-drone-attack-2024']").click()
    frame.locator(".posture-popup[data-feature-id='tower-22-drone-attack-2024']").wait_for(
        timeout=10000
    )
    wait_for_param(page, "sel", "tower-22-drone-attack-2024")
    page.get_by_role("heading", name=re.compile("Tower 22")).first.wait_for(timeout=15000)


def test_a_typed_date_is_applied_on_enter(context, app_url, catalog):
    page = context.new_page()
    page.goto(app_url)
    map_frame(page)
    # Enter is taken by a small script the app adds beside the sidebar; it loads in its own
    # frame, within a second or so of the page (a person types later than a test does).
    page.wait_for_function("window.__postureEnterDates === true", timeout=20000)
    page.get_by_role("spinbutton", name="year, As of").click()
    page.keyboard.type("20210304")  # year, month, day: the field moves on by itself
    assert page.get_by_role("spinbutton", name="day, As of").inner_text() == "04"
    page.keyboard.press("Enter")
    wait_for_param(page, "asof", "2021-03-04", timeout=10)
    wait_for_map_count(page, sum(1 for _ in catalog.features(View(as_of="2021-03-04"))))


def test_compare_in_the_url_lists_the_changes_below_the_map(context, app_url, catalog):
    page = context.new_page()
    page.goto(f"{app_url}/?compare=2024-11-01..2026-02-01")
    frame = map_frame(page)
    shown = tuple(layer.id for layer in catalog.layers if layer.meta.get("visible", True))
    changes = compare(catalog, View(layers=shown), dt.date(2024, 11, 1), dt.date(2026, 2, 1))
    page.get_by_text(re.compile(r"^Changes from 1 Nov 2024 to 1 Feb 2026")).wait_for(timeout=15000)
    link = page.get_by_role("link", name="Ain al-Asad Air Base")
    assert "sel=ain-al-asad-air-base" in link.get_attribute("href")
    assert "compare=2024-11-01..2026-02-01" in link.get_attribute("href")
    drawn = frame.evaluate(
        "Object.values(window.posture.byId).filter(e => e.feature.ch).map(e => e.feature.i)"
    )
    assert sorted(drawn) == sorted(c.id for c in changes)
    assert frame.locator(".posture-timeline-compare").count() == 2
    # While comparing, the cursor is B and a brushed span is A..B.
    handle = frame.locator(".posture-timeline-handle").bounding_box()
    drag(page, handle["x"] + handle["width"] / 2, x_of(frame, "2025-06-15"), handle["y"] + 3)
    span = wait_for_param(page, "compare", r"2024-11-01\.\.2025-06-\d\d")
    assert days_apart(span.split("..")[1], "2025-06-15") <= 3
    frame = map_frame(page)
    drag(page, x_of(frame, "2024-01-01"), x_of(frame, "2025-01-01"), row_y(frame, "events"))
    span = wait_for_param(page, "compare", r"2023-12-\d\d\.\.2024-12-\d\d")
    assert days_apart(span.split("..")[0], "2023-12-31") <= 3
    assert "window" not in params(page)
