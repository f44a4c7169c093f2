"""Text that a file format cannot hold, replaced so that an export never crashes or breaks.

Layer files are validated before they reach an export, but an upload, a ``--title`` or a
``--filter q=`` can still carry text that a format cannot hold:

- a lone surrogate (``"\\ud800"``, from a JSON escape or a non-UTF-8 command line) cannot be
  written as UTF-8 at all, so no export can hold it;
- XML 1.0 (KML, SVG) cannot hold most control characters (NUL, vertical tab ...) nor U+FFFE and
  U+FFFF, even escaped;
- GDAL passes text to SQLite as C strings, where NUL ends the text.

Each such character becomes U+FFFD, the replacement character, so the reader sees that something
was there; every other character is kept as it is.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
# Not UTF-8: surrogates that do not pair. (Python strings hold only lone ones.)
NOT_UTF8 = re.compile("[\ud800-\udfff]")
# Not XML 1.0 (https://www.w3.org/TR/xml/#charsets): tab, LF and CR are the only controls.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Not a C string, nor UTF-8.
NOT_C_STRING = re.compile("[\x00\ud800-\udfff]")


def clean(text: str, pattern: re.Pattern[str] = NOT_UTF8) -> str:
    """``text`` with every character ``pattern`` matches replaced by U+FFFD."""
    return pattern.sub(REPLACEMENT, text) if pattern.search(text) else text


def clean_deep(value: Any, pattern: re.Pattern[str] = NOT_UTF8) -> Any:
    """``value`` (JSON-like: dicts, lists, strings, numbers) with :func:`clean` applied to every
    string, keys included. Returns new containers; ``value`` is not changed."""
    if isinstance(value, str):
        return clean(value, pattern)
    if isinstance(value, dict):
        return {clean(k, pattern): clean_deep(v, pattern) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_deep(item, pattern) for item in value]
    return value
