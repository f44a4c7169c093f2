"""Accessibility in a real browser: an axe-core scan of the app and of an exported page, and
every control of the map reachable by Tab with a focus ring that shows.

axe-core comes bundled in ``axe-playwright-python`` (no CDN). It runs in each document on its
own (the Streamlit page, the component's frame, the map's frame): the map's frame is sandboxed,
so axe's own messaging between frames could not reach it.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image

from geo.catalog import View, load_catalog
from geo.render import export_html
from tests.helpers import LAYERS
from tests.test_browser_app import map_frame

pytestmark = pytest.mark.browser

FAILING_IMPACTS = ("serious", "critical")
# Rules and selectors excluded because the violation is in Streamlit's own UI, which we cannot
# change: none today. Add {rule id: [selectors]} with the reason beside each.
STREAMLIT_EXCLUDED: dict[str, list[str]] = {}
SITE = "al-udeid-air-base"
# Elements a keyboard user can operate on the map page: its controls, panels and open popup.
CONTROLS = """() => {
  const focusable = 'a[href], button, input, select, textarea, summary, ' +
    '[tabindex]:not([tabindex="-1"])';
  const found = [];
  document.querySelectorAll('[data-a11y-control]')
    .forEach(n => n.removeAttribute('data-a11y-control'));
  document.body.querySelectorAll(focusable).forEach(node => {
    // The map itself and the features drawn on it are not controls (map-ux tests them).
    if (node.classList.contains('leaflet-container')) { return; }
    if (node.closest('.leaflet-map-pane') && !node.closest('.leaflet-popup-pane')) { return; }
    if (node.disabled || !node.getClientRects().length) { return; }
    // Hidden by style, or inside a closed <details> (its summary stays): not operable now.
    if (!node.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true})) {
      return;
    }
    node.setAttribute('data-a11y-control', String(found.length));
    const panel = node.closest('.leaflet-control, .leaflet-popup');
    const where = panel ? panel.className.split(/\\s+/)
      .filter(c => !/^leaflet-(control|zoom-animated)$/.test(c)).join(' ')
      : node.parentElement.id || node.parentElement.getAttribute('class') || 'the page';
    const kind = node.getAttribute('class') || '';
    found.push(node.tagName.toLowerCase() + ' ' + kind + ' in ' + where +
      ': ' + (node.getAttribute('aria-label') || (node.labels && node.labels.length
        ? node.labels[0].textContent : node.textContent)).trim().slice(0, 40));
  });
  return found;
}"""
FOCUSED = """() => {
  const node = document.activeElement;
  return node && node.hasAttribute('data-a11y-control')
    ? Number(node.getAttribute('data-a11y-control')) : null;
}"""

# WCAG 2.2 2.4.11: the focused control is not hidden under something else (a panel, a popup).
OBSCURED = """() => {
  const node = document.activeElement;
  const rect = node.getClientRects()[0];
  const hit = document.elementFromPoint(rect.left + rect.width / 2, rect.top + rect.height / 2);
  const labels = node.labels ? Array.from(node.labels) : [];
  return !hit || !(node.contains(hit) || labels.some(label => label.contains(hit)));
}"""


def axe_violations(target, excluded: dict[str, list[str]] | None = None) -> list[str]:
    """Serious and critical axe-core violations in ``target``'s document (a Page or a Frame),
    one line each: rule, impact, help and the elements."""
    axe = Axe()
    target.evaluate(axe.axe_script)
    context = {"exclude": [[s] for selectors in (excluded or {}).values() for s in selectors]}
    found = target.evaluate(
        "([context, options]) => axe.run(context.exclude.length ? context : document, options)"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))})))",
        [context, {"resultTypes": ["violations"], "iframes": False}],
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: {'; '.join(v['nodes'][:5])}"
        for v in found
        if v["impact"] in FAILING_IMPACTS
    ]


def open_popup(target, fid: str = SITE) -> None:
    """Centre the map on a point feature and open its popup, clear of the corner controls."""
    target.evaluate(
        """fid => {
          const drawn = window.posture.byId[fid].drawn[0];
          window.posture.map.setView(drawn.getLatLng(), 6, {animate: false});
          drawn.openPopup();
        }""",
        fid,
    )
    target.wait_for_selector(".leaflet-popup .posture-popup")


@pytest.fixture(scope="module")
def export_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("a11y") / "map.html"
    path.write_text(export_html(load_catalog(Path(LAYERS)), View()), encoding="utf-8")
    return path


def open_export(context, path: Path):
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_selector("[data-ready='1']", timeout=20000)
    return page


def open_app_page(context, url: str):
    page = context.new_page()
    page.goto(url)
    map_frame(page)
    return page


# --- axe-core -------------------------------------------------------------------------------


def test_an_exported_page_has_no_serious_violations(context, export_path):
    page = open_export(context, export_path)
    page.evaluate("document.querySelector('.posture-sources details').open = true")
    open_popup(page)
    problems = axe_violations(page)
    assert not problems, "axe-core, exported page:\n" + "\n".join(problems)
    assert context.recorder.outside == []


def test_the_apps_map_page_has_no_serious_violations(context, app_url):
    page = open_app_page(context, app_url)
    frame = map_frame(page)
    open_popup(frame)
    wrapper = frame.parent_frame
    problems = [f"Streamlit page: {p}" for p in axe_violations(page, STREAMLIT_EXCLUDED)]
    problems += [f"component frame: {p}" for p in axe_violations(wrapper)]
    problems += [f"map frame: {p}" for p in axe_violations(frame)]
    assert not problems, "axe-core, the app's map page:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("link", "shown"), [("Sources", "cited works behind"), ("About", "Data licence.")]
)
def test_the_sources_and_about_pages_have_no_serious_violations(context, app_url, link, shown):
    page = open_app_page(context, app_url)
    page.get_by_role("link", name=link).first.click()
    page.get_by_text(shown).first.wait_for()
    page.wait_for_timeout(500)  # let Streamlit finish drawing the page's elements
    problems = axe_violations(page, STREAMLIT_EXCLUDED)
    assert not problems, f"axe-core, the {link} page:\n" + "\n".join(problems)


def test_the_scan_finds_what_it_looks_for(context, export_path):
    """The scan fails a page where a control has no name and text has too little contrast."""
    page = open_export(context, export_path)
    page.evaluate(
        """() => {
          const zoom = document.querySelector('.leaflet-control-zoom-in');
          zoom.removeAttribute('aria-label');
          zoom.removeAttribute('title');
          zoom.textContent = '';
          document.querySelector('.posture-title p').style.color = '#bbbbbb';
        }"""
    )
    problems = "\n".join(axe_violations(page))
    assert "link-name (serious)" in problems
    assert "color-contrast (serious)" in problems


# --- keyboard -------------------------------------------------------------------------------


def tab_through(page, doc, presses: int) -> tuple[list[int], set[int]]:
    """Press Tab ``presses`` times: the controls of ``doc`` that took the focus, in order, and
    those of them that were hidden under something else while they had it."""
    reached: list[int] = []
    obscured: set[int] = set()
    for _ in range(presses):
        page.keyboard.press("Tab")
        index = doc.evaluate(FOCUSED)
        if index is not None and index not in reached:
            reached.append(index)
            if doc.evaluate(OBSCURED):
                obscured.add(index)
    return reached, obscured


# Resolves once ``doc`` has drawn two more frames (so a focus change is painted), or after a
# second where the browser draws none.
TWO_FRAMES = """() => new Promise(done => {
  setTimeout(done, 1000);
  requestAnimationFrame(() => requestAnimationFrame(() => done()));
})"""
RING_WAIT = 5.0  # s a picture may take to settle, and a ring to appear


def ring_shows(page, doc, index: int) -> bool:
    """Whether the control, focused from the keyboard, shows a ring around it: pixels just
    outside its box change between unfocused and focused (a colour change inside is not a
    ring).

    The map runs in a sandboxed frame, which Chromium draws in a process of its own: the page's
    screenshot shows that frame as its process last painted it, which under load can be a
    focus change (or a scroll) behind. So no picture is taken after a fixed sleep: the
    unfocused picture is one that holds still, the focused one is taken again until the ring
    shows (or ``RING_WAIT`` passes), and the verdict stands only when the control, unfocused
    again, looks as it did before (else the reference was stale and the round is repeated).

    A ring counts when at least ``width + height`` pixels around the box change (a one-pixel
    line along half its outline; a real ring is two or three times that). The map under a
    control may redraw a few anti-aliased pixels of a line between two pictures, so "looks as
    it did" allows fewer than half that many."""
    node = doc.locator(f"[data-a11y-control='{index}']")

    def arrive() -> None:  # from the keyboard, as a user does; this scrolls it into view
        node.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        assert doc.evaluate(FOCUSED) == index, f"control {index}: Shift+Tab, Tab did not return"

    arrive()
    box = node.bounding_box()
    assert box, f"control {index} is not on screen"
    pad = 6
    clip = {
        "x": max(box["x"] - pad, 0),
        "y": max(box["y"] - pad, 0),
        "width": box["width"] + 2 * pad,
        "height": box["height"] + 2 * pad,
    }
    left = int(np.floor(box["x"] - clip["x"]))
    top = int(np.floor(box["y"] - clip["y"]))
    right = int(np.ceil(box["x"] + box["width"] - clip["x"]))
    bottom = int(np.ceil(box["y"] + box["height"] - clip["y"]))

    ring = int(box["width"] + box["height"])

    def picture() -> np.ndarray:
        doc.evaluate(TWO_FRAMES)
        return np.asarray(Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB"))

    def ring_pixels(a: np.ndarray, b: np.ndarray) -> int:
        changed = np.any(a.astype(int) - b.astype(int) != 0, axis=2)
        changed[top:bottom, left:right] = False
        return int(changed.sum())

    def settled() -> np.ndarray:
        """The picture once two in a row are the same."""
        deadline = time.monotonic() + RING_WAIT
        last = picture()
        while True:
            now = picture()
            if np.array_equal(now, last):
                return now
            assert time.monotonic() < deadline, f"control {index}: its picture never settled"
            last = now

    def blur() -> np.ndarray:
        doc.evaluate("() => document.activeElement.blur()")
        return settled()

    before = blur()
    for _ in range(3):
        arrive()
        assert node.bounding_box() == box, f"control {index} moved when focused"
        deadline = time.monotonic() + RING_WAIT
        after = picture()
        while ring_pixels(before, after) < ring and time.monotonic() < deadline:
            after = picture()
        again = blur()
        if ring_pixels(before, again) < ring / 2:
            return ring_pixels(before, after) >= ring
        before = again
    raise AssertionError(f"control {index}: unfocused, it never looked the same twice")


def one_of_each_kind(names: list[str]) -> list[int]:
    """One control per kind (element, class and panel): a ring is styled per kind."""
    kinds: dict[str, int] = {}
    for index, name in enumerate(names):
        kinds.setdefault(name.split(":")[0], index)
    return list(kinds.values())


def check_controls(
    page, doc, names: list[str], walk: tuple[list[int], set[int]], *, unhidden: bool = True
) -> None:
    """Every control was reached, (if ``unhidden``) none was under something else when it had
    the focus, and one of each kind shows a ring."""
    reached, obscured = walk
    missing = [names[i] for i in range(len(names)) if i not in reached]
    assert not missing, "controls that Tab never reaches:\n" + "\n".join(missing)
    if unhidden:
        hidden = [names[i] for i in sorted(obscured)]
        assert not hidden, "controls hidden under something when focused:\n" + "\n".join(hidden)
    no_ring = [names[i] for i in one_of_each_kind(names) if not ring_shows(page, doc, i)]
    assert not no_ring, "controls with no visible focus ring:\n" + "\n".join(no_ring)


def check_keyboard(page, doc, enter: Callable[[], None], *, unhidden: bool = True) -> list[str]:
    """Every control of ``doc`` as it stands is reached by Tab after ``enter()`` and shows a
    focus ring; the controls, named."""
    names = doc.evaluate(CONTROLS)
    enter()
    walk = tab_through(page, doc, len(names) + 10)
    check_controls(page, doc, names, walk, unhidden=unhidden)
    return names


def test_every_control_of_an_exported_page_takes_the_keyboard(context, export_path):
    page = open_export(context, export_path)

    def enter() -> None:
        page.evaluate("() => document.activeElement && document.activeElement.blur()")

    # As the page opens (the legend and its switches), then with a popup open.
    names = check_keyboard(page, page, enter)
    assert any(n.startswith("input ") for n in names)  # the layer switches
    assert any(n.startswith("summary") and "posture-sources" in n for n in names)
    open_popup(page)
    names = check_keyboard(page, page, enter)
    assert any("leaflet-popup-close-button" in n for n in names)
    # The sources list opens from the keyboard, and its links are next in the Tab order.
    summary = next(i for i, n in enumerate(names) if n.startswith("summary") and "sources" in n)
    page.locator(f"[data-a11y-control='{summary}']").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.querySelector('.posture-sources details').open")
    page.keyboard.press("Tab")
    assert page.evaluate(
        "document.activeElement.closest('.posture-sources li') !== null"
        " && /^https?:/.test(document.activeElement.href)"
    )
    assert context.recorder.outside == []


def enter_app_map(page, frame) -> Callable[[], None]:
    def enter() -> None:
        """From the top of the Streamlit page, Tab through the sidebar into the map."""
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        for _ in range(300):
            page.keyboard.press("Tab")
            if frame.evaluate("document.hasFocus()"):
                return
        raise AssertionError("300 presses of Tab never reached the map")

    return enter


def test_every_control_of_the_apps_map_takes_the_keyboard(context, app_url):
    page = open_app_page(context, app_url)
    frame = map_frame(page)
    enter = enter_app_map(page, frame)
    check_keyboard(page, frame, enter)
    open_popup(frame)
    # Whether the legend hides part of the popup is the next test's.
    names = check_keyboard(page, frame, enter, unhidden=False)
    assert any("leaflet-popup-close-button" in n for n in names)


def test_no_link_of_an_open_popup_in_the_app_is_hidden_when_focused(context, app_url):
    page = open_app_page(context, app_url)
    frame = map_frame(page)
    open_popup(frame)
    names = frame.evaluate(CONTROLS)
    enter_app_map(page, frame)()
    _, obscured = tab_through(page, frame, len(names) + 10)
    hidden = [names[i] for i in sorted(obscured)]
    assert not hidden, "controls hidden under something when focused:\n" + "\n".join(hidden)


def test_the_ring_check_fails_a_control_whose_ring_is_removed(context, export_path):
    page = open_export(context, export_path)
    names = page.evaluate(CONTROLS)
    zoom = next(i for i, n in enumerate(names) if "leaflet-control-zoom-in" in n)
    assert ring_shows(page, page, zoom)
    page.add_style_tag(content=".leaflet-control-zoom-in:focus { outline: none; }")
    assert not ring_shows(page, page, zoom)


def test_a_control_out_of_the_tab_order_is_found(context, export_path):
    page = open_export(context, export_path)
    names = page.evaluate(CONTROLS)
    page.evaluate("document.querySelector('.leaflet-control-zoom-out').tabIndex = -1")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    reached, _ = tab_through(page, page, len(names) + 10)
    missing = [names[i] for i in range(len(names)) if i not in reached]
    assert [m for m in missing if "leaflet-control-zoom-out" in m]


def test_a_control_hidden_under_a_panel_is_found(context, export_path):
    page = open_export(context, export_path)
    names = page.evaluate(CONTROLS)
    page.evaluate(
        """() => {
          const r = document.querySelector('.leaflet-control-zoom-out').getBoundingClientRect();
          const cover = document.createElement('div');
          cover.style.cssText = `position:fixed;left:${r.left}px;top:${r.top}px;` +
            `width:${r.width}px;height:${r.height}px;background:#fff;z-index:2000`;
          document.body.appendChild(cover);
          document.activeElement && document.activeElement.blur();
        }"""
    )
    _, obscured = tab_through(page, page, len(names) + 10)
    assert [names[i] for i in obscured] == [n for n in names if "leaflet-control-zoom-out" in n]
