"""The numbered source list of an image or PDF export, and each feature's numbers in it.

Works are numbered in order of first citation (:func:`geo.catalog.bibliography`), so the same
view always gives the same numbers; a feature's label on the map carries its numbers,
e.g. "Al Udeid Air Base [3, 4]".
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

from geo.catalog import bibliography
from geo.export.text import NOT_XML, clean
from geo.model import Layer, PartialDate

Pair = tuple[Layer, dict[str, Any]]


def numbered(pairs: Iterable[Pair]) -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
    """(works in order, feature id -> its works' numbers, counting from 1)."""
    works = bibliography(pairs)
    numbers: dict[str, list[int]] = {}
    for number, work in enumerate(works, start=1):
        for feature_id in work["cited_by"]:
            numbers.setdefault(feature_id, []).append(number)
    return works, numbers


def refs_label(numbers: Sequence[int]) -> str:
    """[1, 2, 3, 7] -> '[1–3, 7]'; '' for none."""
    if not numbers:
        return ""
    runs: list[list[int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    parts = [
        str(run[0])
        if len(run) == 1
        else f"{run[0]}, {run[1]}"
        if len(run) == 2
        else f"{run[0]}–{run[-1]}"
        for run in runs
    ]
    return "[" + ", ".join(parts) + "]"


def entry(number: int, work: dict[str, Any], with_url: bool = True) -> str:
    """'12. Title. Publisher, 3 Jan 2024. https://... (accessed 3 Dec 2026)'."""
    text = f"{number}. {work['title']}. {work['publisher']}"
    if work.get("published"):
        text += f", {_label(work['published'])}"
    text += "."
    if with_url:
        text += f" {work['url']} (accessed {_label(work['accessed'])})"
    return clean(" ".join(text.split()), NOT_XML)


def short_entry(number: int, work: dict[str, Any], width: int) -> str:
    """:func:`entry` without the url, cut to ``width`` characters with an ellipsis."""
    return textwrap.shorten(entry(number, work, with_url=False), width, placeholder="…")


def _label(text: str) -> str:
    try:
        return PartialDate.parse(text).label()
    except ValueError:
        return text
