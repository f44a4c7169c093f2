"""The HTML export's bytes: :func:`geo.render.export_html`, made safe to write as UTF-8."""

from __future__ import annotations

from geo.catalog import Catalog, View
from geo.export.text import clean


def html_bytes(
    catalog: Catalog, view: View, title: str | None = None, tiles: str = "none"
) -> bytes:
    """The self-contained page as UTF-8. A lone surrogate in the data or the title (UTF-8
    cannot hold one) becomes U+FFFD instead of failing the whole export."""
    from geo.render import export_html

    return clean(export_html(catalog, view, title=title, tiles=tiles)).encode("utf-8")
