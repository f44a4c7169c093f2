"""Reading: which files are layers, and on which line each message belongs.

The strict reading of one file (size, encoding, duplicate keys, nesting) is ``geo.io``'s; this
module finds the files and places messages in them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from geo.jsonpos import index_positions
from geo.model import Message

PARQUET_SUFFIX = ".parquet"
LAYER_SUFFIXES = (".geojson", PARQUET_SUFFIX)


def layer_files(paths: Iterable[Path], suffixes: tuple[str, ...] = LAYER_SUFFIXES) -> list[Path]:
    """The files named, and the layer files (GeoJSON and GeoParquet, or only the ``suffixes``
    given) found below the folders named, sorted."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*") if p.suffix.lower() in suffixes and p.is_file()
            )
        else:
            found.append(path)
    return found


def locate(messages: list[Message], text: str) -> list[Message]:
    """Fill in each message's line from its JSON path (scanning the text once, only if needed)."""
    if not messages:
        return messages
    index = index_positions(text)
    return [
        replace(message, line=message.line or index.line_of(message.path) or None)
        for message in messages
    ]
