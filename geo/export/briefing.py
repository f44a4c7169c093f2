"""The PDF briefing: the map on page one, then the numbered source list and each feature's
numbers, with matplotlib's PdfPages. Text stays text (TrueType fonts), so a reader can search
and copy it."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from typing import Any

from geo.catalog import Catalog, View
from geo.export.sources import entry, numbered, refs_label
from geo.export.text import NOT_XML, clean
from geo.model import Layer

INK = "#1a1a1a"
MUTED = "#555555"
PAGE_MARGIN = 0.5  # inches
FONT_SIZE = 7.5
LINE = FONT_SIZE * 1.35 / 72  # inches per line
COLUMNS = 2


def render_pdf(
    catalog: Catalog,
    view: View,
    pairs: list[tuple[Layer, dict[str, Any]]],
    size: tuple[int, int],
    title: str,
    draw: Callable[..., Any],
) -> bytes:
    """The briefing's bytes: ``draw`` (the image export's map figure, without its source band)
    on page one, the list on the pages after it. The same view gives the same bytes."""
    from matplotlib.backends.backend_pdf import PdfPages

    figure = draw(catalog, view, pairs, size, title, False, sources_panel=False)
    fig_w, fig_h = figure.get_size_inches()
    buffer = io.BytesIO()
    metadata = {"Title": title, "Creator": "posture-map", "Producer": "posture-map"}
    metadata["CreationDate"] = None
    with PdfPages(buffer, metadata=metadata) as pdf:
        pdf.savefig(figure)
        for page in _list_pages(pairs, title, (fig_w, fig_h)):
            pdf.savefig(page)
    return buffer.getvalue()


def source_lines(pairs: list[tuple[Layer, dict[str, Any]]], width: int) -> list[tuple[str, str]]:
    """(style, text) lines of the list pages: the numbered works, then each feature with its
    numbers; long entries wrap to ``width`` characters."""
    works, numbers = numbered(pairs)
    lines: list[tuple[str, str]] = [("heading", "Sources")]
    for number, work in enumerate(works, start=1):
        wrapped = textwrap.wrap(
            entry(number, work),
            width,
            subsequent_indent="    ",
            break_long_words=True,
            break_on_hyphens=False,
        )
        lines.extend(("body", line) for line in wrapped)
    lines.append(("gap", ""))
    lines.append(("heading", "Features and their sources"))
    for _layer, feature in pairs:
        props = feature["properties"]
        text = clean(f"{props['name']} {refs_label(numbers.get(props['id'], []))}", NOT_XML)
        lines.extend(
            ("body", line) for line in textwrap.wrap(text, width, subsequent_indent="    ")
        )
    return lines


def _list_pages(
    pairs: list[tuple[Layer, dict[str, Any]]], title: str, size: tuple[float, float]
) -> list[Any]:
    from matplotlib.figure import Figure

    fig_w, fig_h = size
    column_w = (fig_w - 2 * PAGE_MARGIN - 0.3 * (COLUMNS - 1)) / COLUMNS
    width = int(column_w * 72 / (FONT_SIZE * 0.55))
    rows = int((fig_h - 2 * PAGE_MARGIN - 0.4) / LINE)
    lines = source_lines(pairs, width)
    per_page = rows * COLUMNS
    pages = []
    for start in range(0, len(lines), per_page):
        figure = Figure(figsize=(fig_w, fig_h), facecolor="white")
        figure.text(
            PAGE_MARGIN / fig_w,
            1 - PAGE_MARGIN / fig_h,
            title,
            ha="left",
            va="top",
            fontsize=11,
            fontweight="bold",
            color=INK,
        )
        chunk = lines[start : start + per_page]
        # One text per column (a text per line made a 300-source briefing take 15 s).
        for column in range(COLUMNS):
            part = chunk[column * rows : (column + 1) * rows]
            if not part:
                break
            figure.text(
                (PAGE_MARGIN + column * (column_w + 0.3)) / fig_w,
                (fig_h - PAGE_MARGIN - 0.4) / fig_h,
                "\n".join(text for _style, text in part),
                ha="left",
                va="top",
                fontsize=FONT_SIZE,
                linespacing=LINE * 72 / FONT_SIZE / 1.2,
                color=INK,
            )
        pages.append(figure)
    return pages
