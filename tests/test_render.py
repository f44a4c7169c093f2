"""The render layer: compact payload, offline page, escaping, byte-identical output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo.catalog import View, load_catalog
from geo.render import export_html
from geo.render.payload import build_payload
from tests.helpers import LAYERS


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(Path(LAYERS))


def test_sources_are_stored_once(catalog):
    """Each citation once: a cited work is the whole citation, not its url alone (two features
    citing one page with different notes keep their own; tests/test_export_hardening.py)."""
    payload = build_payload(catalog, View())
    works = [tuple(sorted(s.items())) for s in payload["sources"]]
    assert len(works) == len(set(works))
    cited = {i for layer in payload["layers"] for f in layer["features"] for i in f["src"]}
    assert cited == set(range(len(works)))
    assert payload["count"] == sum(len(layer["features"]) for layer in payload["layers"])


def test_export_is_byte_identical_and_asks_for_nothing(catalog):
    first = export_html(catalog, View(as_of="2024-06-01"), title="Briefing")
    second = export_html(catalog, View(as_of="2024-06-01"), title="Briefing")
    assert first == second
    assert not re.search(r"<(script|link)[^>]+(src|href)=", first)
    assert not re.search(r"https?://(cdn|unpkg|code\.jquery|cdnjs|netdna)", first)
    assert "<title>Briefing</title>" in first


def test_hostile_text_never_reaches_the_page_as_markup():
    from tests.hostile import hostile_catalog

    html = export_html(hostile_catalog(), View(), title="<script>alert(1)</script>")
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>" in html
    assert "window.top.__pwned" in html  # the text is there, as JSON data
    assert "</script><script>window.top" not in html
    assert "<img src=x" not in html


def test_template_syntax_in_data_stays_text():
    from tests.hostile import hostile_catalog

    html = export_html(hostile_catalog(), View())
    assert "{{ 7*7 }} {% raw %}" in html
    assert "{{ 'zq' ~ 'xj' }}" in html or "{{ \\u0027zq\\u0027 ~ \\u0027xj\\u0027 }}" in html
    assert "zqxj" not in html  # what the template engine would have made of it
