"""Putting untrusted text into Streamlit markdown safely."""

from __future__ import annotations

import re
from urllib.parse import quote

# Every ASCII punctuation character CommonMark lets a backslash escape, and all of them are
# escaped: inline marks (* _ ` ~ [ ] ( ) < > ! & \), Streamlit's own (:emoji:, :color[...],
# $math$), tables (|) and line starts (# > - + = . 1) ...).
_MARKDOWN_SPECIAL = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_SAFE_URL = re.compile(r"^https?://", re.IGNORECASE)


def md(text: object) -> str:
    """Escape every character markdown or HTML could act on, so text shows as written.

    Any run of whitespace (line breaks of every kind, tabs, leading spaces that would start a
    code block) becomes one space, as HTML would show it anyway: no line of the text can begin
    a heading, a list, a quote or a code block."""
    flat = " ".join(str(text).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def safe_url(url: str) -> str:
    """``url`` if it is http(s), else nothing: a link column would follow any scheme."""
    return url if _SAFE_URL.match(url or "") else ""


def md_link(title: str, url: str) -> str:
    """A markdown link for an http(s) URL; anything else is shown as text, not linked."""
    if not _SAFE_URL.match(url or ""):
        return md(title)
    safe_url = quote(url, safe=":/?#[]@!$&'*+,;=%-._~")
    safe_url = safe_url.replace("(", "%28").replace(")", "%29")
    return f"[{md(title)}]({safe_url})"
