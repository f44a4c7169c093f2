"""Shared builders for tests: a valid layer document and ways to run the real CLI."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ROOT / "layers"
TODAY_ACCESSED = "2026-11-01"

SOURCE = {
    "title": "Al Udeid Air Base in Qatar: Key facts about the US Military hub targeted by Iran",
    "publisher": "Mint",
    "url": "https://www.livemint.com/news/world/al-udeid-air-base-in-qatar-key-facts-about-the-"
    "us-military-hub-targeted-by-iran-11750711573017.html",
    "published": "2025-06-24",
    "accessed": TODAY_ACCESSED,
}


def feature(fid: str = "test-site", lon: float = 51.315, lat: float = 25.1173, **props: Any):
    properties = {
        "id": fid,
        "name": "Test site",
        "kind": "air-base",
        "start": "2001",
        "location_precision": "exact",
        "country": "QA",
        "description": "A site used in tests.",
        "sources": [copy.deepcopy(SOURCE)],
    }
    properties.update(props)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    }


def layer_doc(*features: dict, group: str = "us-posture", layer_id: str = "test-layer"):
    return {
        "type": "FeatureCollection",
        "layer": {
            "id": layer_id,
            "title": "Test layer",
            "group": group,
            "description": "A layer used in tests.",
            "visible": True,
            "style": {"color": "#123456"},
        },
        "features": list(features) if features else [feature()],
    }


def write_events_parquet(
    path: Path,
    years: tuple[int, ...],
    per_year: int,
    place: Callable[[int, int], tuple[float, float]],
    kind: Callable[[int], str] = lambda _n: "airstrike",
    prefix: str = "ev",
) -> Path:
    """A GeoParquet events layer named after ``path``: ``per_year`` events on 10 May of each
    year, the ``n``-th of a year at ``place(year, n)`` (inside Syria) and of ``kind(n)``."""
    from geo.model import Layer
    from geo.store import write_parquet

    rows = [
        feature(
            f"{prefix}-{year}-{n}",
            *place(year, n),
            kind=kind(n),
            start=f"{year}-05-10",
            country="SY",
            actor="A test actor",
            claim_status="reported",
        )
        for year in years
        for n in range(per_year)
    ]
    doc = layer_doc(*rows, group="events", layer_id=path.stem)
    write_parquet(Layer(path, doc["layer"], doc["features"]), path)
    return path


def write_doc(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``python -m geo`` as a user would, in a subprocess."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "geo", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def map_args(app: Any) -> dict[str, Any]:
    """What an AppTest app hands the map in the browser, read as the map's frame reads it:
    the page (``shell``, UTF-8 bytes), the payload (gzipped JSON bytes) and the big layers'
    parts (gzipped JSON, one after another, ``part_sizes`` long) opened, ``None`` where this
    run sent none."""
    import gzip

    for element in app.main:
        proto = getattr(element, "proto", None)
        if getattr(element, "type", None) == "component_instance" and proto.json_args:
            args = json.loads(proto.json_args)
            sent = {special.key: special.bytes for special in proto.special_args}
            args["shell"] = sent["shell"].decode("utf-8") if "shell" in sent else None
            args["payload"] = (
                json.loads(gzip.decompress(sent["payload"])) if "payload" in sent else None
            )
            parts, start = [], 0
            for size in args["part_sizes"] if "parts" in sent else []:
                parts.append(json.loads(gzip.decompress(sent["parts"][start : start + size])))
                start += size
            args["parts"] = parts or None
            return args
    raise AssertionError("no map on the page")


def choose_option(page: Any, label: str, option: str) -> None:
    """Pick an option of a Streamlit select box in a real browser; a rerun that lands as it
    opens closes it, so retry (the tests and benchmarks/app_timing.py use this)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    for _ in range(3):
        page.get_by_role("combobox", name=label).click()
        choice = page.get_by_role("option", name=option, exact=True)
        try:
            choice.wait_for(timeout=5000)
        except PlaywrightTimeoutError:
            continue
        choice.click()
        return
    raise AssertionError(f"the {label} select box never showed {option!r}")
