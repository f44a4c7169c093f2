"""Putting untrusted text into Streamlit markdown safely."""

from __future__ import annotations

import re
from urllib.parse import quote

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])")
_SAFE_URL = re.compile(r"^https?://", re.IGNORECASE)


def md(text: object) -> str:
    """Escape every character markdown or HTML could act on, so text shows as written."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def md_link(title: str, url: str) -> str:
    """A markdown link for an http(s) URL; anything else is shown as text, not linked."""
    if not _SAFE_URL.match(url or ""):
        return md(title)
    safe_url = quote(url, safe=":/?#[]@!$&'*+,;=%-._~")
    safe_url = safe_url.replace("(", "%28").replace(")", "%29")
    return f"[{md(title)}]({safe_url})"
