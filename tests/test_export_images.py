"""Static map images: exact size, the same bytes twice, not blank, a measured scale bar."""

from __future__ import annotations

import io
import re
import struct
import xml.etree.ElementTree as ET

import pytest

from geo.catalog import View, load_catalog
from geo.export.data import EmptyViewError
from geo.export.images import export_image, km_per_degree_lon, nice_length, render_image
from tests.helpers import LAYERS, run_cli

SMALL = (640, 400)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(LAYERS)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(data: bytes, gid: str | None = None) -> list[str]:
    """The text of the SVG's <text> elements (inside the group ``gid`` when given)."""
    root = ET.fromstring(data)
    groups = [g for g in root.iter(f"{SVG}g") if gid is None or g.get("id") == gid]
    if gid is None:
        groups = [root]
    texts = []
    for group in groups:
        for element in group.iter(f"{SVG}text"):
            texts.append("".join(element.itertext()))
    return texts


def pixels(data: bytes):
    import matplotlib.image as mpimg
    import numpy as np

    return (mpimg.imread(io.BytesIO(data), format="png")[:, :, :3] * 255).round().astype(np.uint8)


@pytest.mark.parametrize("size", [(1920, 1080), (1001, 777), (333, 1234)])
def test_png_has_exactly_the_asked_size(catalog, size):
    data = render_image(catalog, View(layers=("us-sites",)), "png", size)
    assert png_size(data) == size
    assert pixels(data).shape[:2] == (size[1], size[0])


def test_svg_has_the_asked_size_in_pixels(catalog):
    data = render_image(catalog, View(layers=("hezbollah",)), "svg", (1600, 900))
    root = ET.fromstring(data)
    assert (root.get("width"), root.get("height")) == ("1600", "900")
    _x, _y, width, height = (float(v) for v in root.get("viewBox").split())
    assert width / height == pytest.approx(1600 / 900, rel=1e-3)


def test_same_view_same_bytes(catalog):
    view = View(as_of="2024-06-01")
    for fmt in ("png", "svg"):
        assert render_image(catalog, view, fmt, SMALL) == render_image(catalog, view, fmt, SMALL)


def test_svg_has_no_date_and_its_text_is_text(catalog):
    data = render_image(catalog, View(layers=("us-sites",)), "svg", SMALL)
    text = data.decode("utf-8")
    assert "<dc:date>" not in text
    # Real text (svg.fonttype none) in the bundled font's family, for search and screen readers.
    assert "US force posture in the Middle East, all dates" in svg_texts(data)
    families = set(re.findall(r"font-family: ([^;\"]+)", text))
    assert families == {"'DejaVu Sans', sans-serif"}, families


def test_text_uses_the_font_bundled_with_matplotlib():
    import matplotlib
    from matplotlib.font_manager import FontProperties, findfont

    from geo.export.images import _rc

    with matplotlib.rc_context(_rc()):
        for weight in ("normal", "bold"):
            path = findfont(FontProperties(weight=weight), fallback_to_default=False)
            assert path.startswith(matplotlib.get_data_path()), path
            assert "DejaVuSans" in path


def test_png_has_no_date(catalog):
    data = render_image(catalog, View(layers=("us-sites",)), "png", SMALL)
    assert b"Creation Time" not in data
    assert b"tIME" not in data


def test_not_blank_and_differs_from_the_basemap(catalog):
    import numpy as np

    view = View(layers=("us-sites", "houthis"))
    drawn = pixels(render_image(catalog, view, "png", (960, 540)))
    basemap = pixels(render_image(catalog, view, "png", (960, 540), basemap_only=True))
    packed = (drawn[:, :, 0].astype(np.uint32) << 16) | (drawn[:, :, 1] << 8) | drawn[:, :, 2]
    assert len(np.unique(packed)) > 100
    changed = (np.abs(drawn.astype(int) - basemap.astype(int)).sum(axis=2) > 30).sum()
    assert changed > 2000
    # The US sites' colour (their layer's style.color) fills their markers.
    color = next(layer for layer in catalog.layers if layer.id == "us-sites").meta["style"]["color"]
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    site = (np.abs(drawn.astype(int) - rgb).sum(axis=2) <= 3).sum()
    assert site > 20


def test_image_written_atomically_to_a_file(catalog, tmp_path):
    out = tmp_path / "map.png"
    export_image(catalog, View(layers=("events",)), out, "png", size=SMALL, title="Events")
    assert png_size(out.read_bytes()) == SMALL
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]
    with pytest.raises(OSError):
        export_image(catalog, View(), tmp_path / "missing" / "map.png", "png", size=SMALL)
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]


def test_empty_view_is_refused(catalog):
    with pytest.raises(EmptyViewError):
        render_image(catalog, View(layers=("us-sites",), as_of="1900-01-01"), "png", SMALL)


def test_center_and_zoom_are_honoured(catalog):
    near = render_image(
        catalog, View(layers=("us-sites",), center=(25.1, 51.3), zoom=8), "png", SMALL
    )
    far = render_image(catalog, View(layers=("us-sites",)), "png", SMALL)
    assert png_size(near) == SMALL
    assert near != far


def test_scale_bar_is_measured_on_the_ellipsoid():
    assert km_per_degree_lon(0) == pytest.approx(111.32, abs=0.01)
    assert km_per_degree_lon(60) == pytest.approx(55.80, abs=0.02)
    assert km_per_degree_lon(30) < km_per_degree_lon(20)


@pytest.mark.parametrize(
    ("km", "nice"), [(0.9, 0.5), (1, 1), (3.3, 2.5), (7, 5), (180, 100), (260, 250), (999, 500)]
)
def test_nice_length(km, nice):
    assert nice_length(km) == pytest.approx(nice)


def test_dollar_signs_in_a_title_are_text_not_mathematics(tmp_path):
    path = tmp_path / "money.svg"
    result = run_cli(
        "export", "svg", "-o", str(path), "--title", r"Budget $\foo$ from $200 to $300"
    )
    assert result.returncode == 0, result.stderr
    assert path.stat().st_size > 0


# The 1 February 2024 view with events from 2022 to 2025: the Nord Stream event lies in the
# Baltic and the B-2 strike was launched from Missouri, both far outside the region.
FEB_2024 = View(as_of="2024-02-01", window_from="2022-01-01", window_to="2025-12-31")


def svg_groups(data: bytes, prefix: str) -> list[str]:
    """The text inside the SVG groups whose id starts with ``prefix``."""
    root = ET.fromstring(data)
    found = []
    for group in root.iter(f"{SVG}g"):
        if (group.get("id") or "").startswith(prefix):
            found.append(" ".join("".join(t.itertext()) for t in group.iter(f"{SVG}text")))
    return found


@pytest.fixture(scope="module")
def feb_svg(catalog):
    return render_image(catalog, FEB_2024, "svg")


def test_svg_labels_sites_as_text_with_their_source_numbers(feb_svg):
    labels = svg_groups(feb_svg, "site-label-")
    assert len(labels) >= 15, labels
    assert any(re.fullmatch(r"Al Udeid Air Base \[[0-9–, ]+\]", text) for text in labels), labels
    assert any(text.startswith("Incirlik Air Base [") for text in labels), labels


def test_svg_labels_do_not_overlap(catalog):
    import matplotlib

    from geo.export import images

    with matplotlib.rc_context(images._rc()):
        pairs = list(catalog.features(FEB_2024))
        figure = images._draw(catalog, FEB_2024, pairs, (1920, 1080), None, False)
        renderer = figure.canvas.get_renderer()
        boxes = [
            text.get_window_extent(renderer)
            for text in figure.axes[0].texts
            if (text.get_gid() or "").startswith(("site-label-", "area-label-"))
        ]
    assert len(boxes) >= 15
    overlaps = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]
    assert not overlaps


def test_svg_has_a_north_arrow_and_a_measured_scale(feb_svg):
    assert svg_groups(feb_svg, "north-arrow") == ["N"]
    texts = svg_texts(feb_svg)
    scale = [t for t in texts if re.fullmatch(r"\d[\d,.]* km", t)]
    assert scale and scale[0] in {"500 km", "1000 km", "250 km"}, scale
    assert any(re.fullmatch(r"at \d+°N", t) for t in texts)


def test_svg_lists_the_numbered_sources(catalog, feb_svg):
    from geo.catalog import bibliography

    entries = svg_groups(feb_svg, "source-entry-")
    works = bibliography(catalog.features(FEB_2024))
    assert entries[0].startswith("1. ")
    first_title = " ".join(works[0]["title"].split())
    assert first_title[:20] in entries[0]
    numbers = [int(e.split(".", 1)[0]) for e in entries if e[0].isdigit()]
    assert numbers == list(range(1, len(numbers) + 1))
    # All that do not fit are counted, none silently dropped.
    if len(numbers) < len(works):
        assert entries[-1] == f"… and {len(works) - len(numbers)} more: see the PDF or HTML export"


def test_far_features_are_edge_arrows_not_a_wider_frame(catalog, feb_svg):
    edges = " | ".join(svg_groups(feb_svg, "edge-label-"))
    assert "Whiteman Air Force Base, Missouri (B-2 bombers), launch point" in edges
    assert "Nord Stream pipelines sabotage" in edges
    arrows = [
        g
        for g in ET.fromstring(feb_svg).iter(f"{SVG}g")
        if g.get("id", "").startswith("edge-arrow-")
    ]
    assert len(arrows) >= 3
    # The frame is the region: Missouri and the Baltic are not on the map.
    from geo.export.images import _extent

    west, east, south, north = _extent(list(catalog.features(FEB_2024)), FEB_2024, 9.2, 4.4, 1380)
    assert 0 < west < 30 and 58 < east < 90 and 0 < south < 15 and 38 < north < 50


def test_an_extent_frames_the_image(catalog):
    from geo.export.images import _extent

    view = FEB_2024.with_(extent=(45.0, 22.0, 58.0, 30.0))
    west, east, south, north = _extent(list(catalog.features(view)), view, 8.0, 4.0, 1200)
    # Widened to the box's aspect, never cut: the asked frame stays inside.
    assert west <= 45 and east >= 58 and south <= 22 and north >= 30
    assert east - west < 20 and north - south < 10


def test_pdf_briefing_has_the_map_then_the_sources_as_text(catalog):
    from pypdf import PdfReader

    data = render_image(catalog, FEB_2024, "pdf")
    assert data == render_image(catalog, FEB_2024, "pdf")  # the same bytes for the same view
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 2
    first = reader.pages[0].extract_text()
    assert "Al Udeid Air Base [" in first
    assert "Nord Stream pipelines sabotage" in first
    assert "N" in first.split()
    rest = " ".join(page.extract_text() for page in reader.pages[1:])
    assert "Sources" in rest and "Features and their sources" in rest
    from geo.catalog import bibliography

    works = bibliography(catalog.features(FEB_2024))
    flat = " ".join(rest.split())
    assert f"{len(works)}. " in flat
    assert works[-1]["url"][:30] in flat.replace(" ", "")


def test_a_labels_numbers_point_at_its_own_sources_in_the_list(catalog, feb_svg):
    label = next(t for t in svg_groups(feb_svg, "site-label-") if t.startswith("Al Udeid"))
    numbers = []
    for part in label[label.index("[") + 1 : -1].split(", "):
        low, _, high = part.partition("–")
        numbers.extend(range(int(low), int(high or low) + 1))
    entries = {
        int(e.split(".", 1)[0]): e for e in svg_groups(feb_svg, "source-entry-") if e[0].isdigit()
    }
    titles = [
        " ".join(source["title"].split())
        for source in catalog.find("al-udeid-air-base")[1]["properties"]["sources"]
    ]
    assert len(numbers) == len(titles)
    for number in numbers:
        assert any(entries[number].startswith(f"{number}. {title[:15]}") for title in titles), (
            entries[number],
            titles,
        )


def test_country_names_are_clipped_to_the_map_frame(catalog):
    """A country's name near the frame's edge is cut there, not drawn over the legend: each
    country label sits under the map axes' clip path, as the features do."""
    svg = render_image(catalog, View(as_of="2024-02-01"), "svg")
    root = ET.fromstring(svg)
    parent = {child: node for node in root.iter() for child in node}

    def clipped(node) -> bool:
        while node is not None:
            if node.get("clip-path"):
                return True
            node = parent.get(node)
        return False

    names = [t for t in root.iter(f"{SVG}text") if "".join(t.itertext()) in ("IRAN", "PAKISTAN")]
    assert len(names) == 2
    assert all(clipped(t) for t in names)
