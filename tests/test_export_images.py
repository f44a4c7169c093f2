"""Static map images: exact size, the same bytes twice, not blank, a measured scale bar."""

from __future__ import annotations

import io
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


def test_svg_has_no_date_and_no_system_fonts(catalog):
    text = render_image(catalog, View(layers=("us-sites",)), "svg", SMALL).decode("utf-8")
    assert "<dc:date>" not in text
    assert "font-family" not in text  # text is drawn as paths from the bundled DejaVu Sans
    assert "US force posture in the Middle East, all dates" in text  # the SVG title


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
