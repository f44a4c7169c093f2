"""A big layer's columns in two parts: what the map draws from, and the rows' long text.

At 100,000 events almost all of a payload is text that one popup shows at a time (names,
descriptions, location notes, quotes, the dataset's source text): about 70 of 77 MB of JSON in
the benchmark's ACLED-shaped layer. The map draws from the rest: positions, ids, kinds,
precision, dates and the short dictionary-encoded labels. So the long text travels apart:

- an exported page carries it in a second data element, opened once the map has drawn
  (static/posture.js ``addDetails``);
- the app sends it one row at a time, for the row a user opens (static/points.js).

A column goes with the details when it is a plain array (most rows differ, see
``payload.encode_columns``) of anything but numbers: text, quotes and notes by source; ids
(``i``), positions, numbers and the dictionary-encoded columns stay. The layer's
entry says so with ``"details": "apart"`` until they are back.
"""

from __future__ import annotations

from typing import Any

# Kept with the drawing whatever their shape: the row's position and its id.
DRAWN_KEYS = frozenset({"rows", "x", "y", "i"})
APART = "apart"


def split_details(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``payload`` without its big layers' long-text columns, and those columns as
    ``{layer index (text): {key: column}}``. The payload given is left as it is."""
    details: dict[str, dict[str, Any]] = {}
    layers = []
    for index, layer in enumerate(payload["layers"]):
        kept, apart = split_columns(layer.get("columns") or {})
        if not apart:
            layers.append(layer)
            continue
        layers.append({**layer, "columns": kept, "details": APART})
        details[str(index)] = apart
    return {**payload, "layers": layers}, details


def split_columns(columns: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A big layer's columns as (those the map draws from, the long text)."""
    apart = {k: v for k, v in columns.items() if _goes_apart(k, v)}
    return {k: v for k, v in columns.items() if k not in apart}, apart


def merge_details(payload: dict[str, Any], details: dict[str, Any]) -> dict[str, Any]:
    """The payload :func:`split_details` was given, from its two parts."""
    layers = []
    for index, layer in enumerate(payload["layers"]):
        apart = details.get(str(index))
        if apart is None:
            layers.append(layer)
            continue
        whole = {k: v for k, v in layer.items() if k != "details"}
        whole["columns"] = {**layer["columns"], **apart}
        layers.append(whole)
    return {**payload, "layers": layers}


def row_details(
    payload: dict[str, Any], details: dict[str, Any], feature_id: str | None
) -> dict[str, Any] | None:
    """The long text of one row of a big layer, ``{"layer", "row", "values"}``, for the
    feature ``feature_id``; None when it is no such row (a small layer's feature carries all
    of its text already)."""
    if not feature_id:
        return None
    for key, apart in details.items():
        ids = payload["layers"][int(key)]["columns"].get("i")
        row = row_of(ids, feature_id)
        if row is None:
            continue
        return {"layer": int(key), "row": row, "id": feature_id, "values": values_of(apart, row)}
    return None


def values_of(apart: dict[str, Any], row: int) -> dict[str, Any]:
    """One row's long text: each column's value that is not None."""
    return {name: column[row] for name, column in apart.items() if column[row] is not None}


def row_of(ids: Any, feature_id: str) -> int | None:
    """The first row with this id in an id column (plain or dictionary-encoded), or None."""
    if isinstance(ids, list):
        try:
            return ids.index(feature_id)
        except ValueError:
            return None
    if isinstance(ids, dict):  # dictionary-encoded: few rows share an id only in odd data
        try:
            code = ids["dict"].index(feature_id)
        except ValueError:
            return None
        return ids["codes"].index(code)
    return None


def _goes_apart(key: str, column: Any) -> bool:
    if key in DRAWN_KEYS or not isinstance(column, list):
        return False
    return any(value is not None and not _is_number(value) for value in column)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
