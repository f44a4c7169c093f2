"""Untrusted text in Streamlit markdown: every active character escaped, no line can start a
block (heading, list, quote, code) because no line break survives."""

from __future__ import annotations

import string

import pytest

from geo.app.text import md, md_link

LINE_BREAKS = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\x0b", "\x0c", "\x85", "\x1c", "\x1e"]


@pytest.mark.parametrize("char", list(string.punctuation))
def test_every_ascii_punctuation_character_is_escaped(char):
    assert md(f"a{char}b") == f"a\\{char}b"


@pytest.mark.parametrize("brk", LINE_BREAKS)
@pytest.mark.parametrize(
    ("start", "escaped"),
    [
        ("# heading", "\\# heading"),
        ("- item", "\\- item"),
        ("> quote", "\\> quote"),
        ("1. item", "1\\. item"),
        ("1) item", "1\\) item"),
        ("===", "\\=\\=\\="),
        ("    code", "code"),
        ("\tcode", "code"),
    ],
)
def test_no_line_of_the_text_can_start_a_block(brk, start, escaped):
    assert md(f"text{brk}{start}") == f"text {escaped}"


def test_leading_spaces_cannot_make_a_code_block():
    assert md("    indented") == "indented"
    assert md(" \t a  b \r\n") == "a b"


def test_streamlit_directives_and_html_are_inert():
    assert md(":red[x] :smile: $x$ <img src=x onerror=alert(1)>") == (
        "\\:red\\[x\\] \\:smile\\: \\$x\\$ \\<img src\\=x onerror\\=alert\\(1\\)\\>"
    )


def test_links_only_for_http():
    assert md_link("t", "javascript:alert(1)") == "t"
    assert md_link("a]b", "https://x.org/a(b)") == "[a\\]b](https://x.org/a%28b%29)"


def test_only_http_urls_reach_a_link_column():
    from geo.app.pages import _row
    from tests.hostile import hostile_catalog

    layer = hostile_catalog().layers[0]
    assert _row(layer, layer.features[0])["first source"] == ""
    layer.features[0]["properties"]["sources"].reverse()
    assert _row(layer, layer.features[0])["first source"] == "https://example.org/a?b=1&c=2"
