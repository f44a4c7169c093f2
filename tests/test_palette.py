"""The layers' colours stay apart for readers with a colour-vision deficiency.

Each colour is passed through the Machado et al. (2009) simulation of full protanopia,
deuteranopia and tritanopia (``colorspacious``) and compared in CAM02-UCS, where a distance of
about 1 is just noticeable; categorical map colours want roughly ten times that.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE

from tests.helpers import LAYERS, ROOT

MIN_DISTANCE = 10.0  # CAM02-UCS; Paul Tol's muted set keeps at least 11.8 under every simulation
VISIONS = ("normal", "protanomaly", "deuteranomaly", "tritanomaly")
# The offline basemap's land fill, drawn under every layer (posture.js).
LAND = "#efece4"
MIN_MARK_CONTRAST = 3.0  # WCAG 2.2 1.4.11: graphics a reader must see need 3:1 to what is next


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)])


def simulate(hex_color: str, vision: str) -> np.ndarray:
    """The sRGB colour a reader with ``vision`` sees (severity 100: the full deficiency)."""
    rgb = _rgb(hex_color)
    if vision == "normal":
        return rgb
    space = {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}
    return np.clip(cspace_convert(rgb, space, "sRGB1"), 0, 1)


def distance(a: str, b: str, vision: str) -> float:
    return float(
        deltaE(
            simulate(a, vision), simulate(b, vision), input_space="sRGB1", uniform_space="CAM02-UCS"
        )
    )


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours."""

    def luminance(hex_color: str) -> float:
        c = _rgb(hex_color)
        c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])

    low, high = sorted((luminance(a), luminance(b)))
    return (high + 0.05) / (low + 0.05)


def default_layers() -> list[dict]:
    """The layer files the app shows together when it opens."""
    docs = [
        json.loads(p.read_text(encoding="utf-8")) for p in sorted(Path(LAYERS).glob("*.geojson"))
    ]
    return [doc for doc in docs if doc["layer"]["visible"]]


def too_close(colors: dict[str, str]) -> list[str]:
    """Every pair of named colours nearer than MIN_DISTANCE under some vision, described."""
    found = []
    for vision in VISIONS:
        for (a, ca), (b, cb) in itertools.combinations(colors.items(), 2):
            d = distance(ca, cb, vision)
            if d < MIN_DISTANCE:
                found.append(f"{a} {ca} and {b} {cb}: {d:.1f} under {vision}")
    return found


def test_the_layers_shown_together_stay_apart_under_every_colour_vision():
    colors = {doc["layer"]["id"]: doc["layer"]["style"]["color"] for doc in default_layers()}
    assert len(colors) >= 2
    problems = too_close(colors)
    assert not problems, f"layer colours closer than {MIN_DISTANCE} in CAM02-UCS:\n" + "\n".join(
        problems
    )


def test_layers_drawn_as_points_or_lines_stand_out_from_the_land():
    """A point or a line is a mark, not a tint: it needs 3:1 to the land under it. Areas are
    outlined and tinted; a pale colour serves them."""
    assert LAND in (ROOT / "geo/render/static/posture.js").read_text(encoding="utf-8"), (
        "the basemap's land colour changed in posture.js: update LAND here"
    )
    weak = []
    for doc in default_layers():
        kinds = {f["geometry"]["type"] for f in doc["features"]}
        if kinds & {"Point", "MultiPoint", "LineString", "MultiLineString"}:
            color = doc["layer"]["style"]["color"]
            ratio = contrast(color, LAND)
            if ratio < MIN_MARK_CONTRAST:
                weak.append(f"{doc['layer']['id']} {color}: {ratio:.2f}:1")
    assert not weak, "point and line layers too faint on the land:\n" + "\n".join(weak)


@pytest.mark.parametrize(
    ("a", "b", "vision"),
    [
        ("#d62728", "#2ca02c", "deuteranomaly"),  # matplotlib's red and green
        ("#1f4e9c", "#8e44ad", "protanomaly"),  # our old US sites and Iraqi militias
        ("#2e8b57", "#1b8e8e", "tritanomaly"),  # our old Hamas and post-Assad Syria
    ],
)
def test_the_check_catches_pairs_that_only_a_deficiency_merges(a, b, vision):
    """Pairs far apart for normal vision fall together under one deficiency: the check must
    name that pair under that vision, so it can fail."""
    assert distance(a, b, "normal") > MIN_DISTANCE
    assert [p for p in too_close({"a": a, "b": b}) if p.endswith(vision)] != []
