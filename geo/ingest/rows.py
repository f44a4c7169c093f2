"""The loop every CSV importer runs: rows in, features out, one message per row left out."""

from __future__ import annotations

import csv
import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from geo import countries
from geo.ingest.common import (
    FIELD_LIMIT,
    Dataset,
    ImportResult,
    Options,
    RowError,
    build_layer,
    clip,
    dataset_source,
    open_text,
    problem,
    read_rows,
    wrong_width,
)
from geo.model import Message

RowFeature = Callable[[dict[str, str], Options, dict[str, Any]], dict[str, Any]]


def run_import(
    path: Path,
    options: Options,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    what: str,
    row_feature: RowFeature,
    dataset: Dataset,
    prefix: str,
    color: str,
) -> ImportResult:
    """Read ``path`` and build the layer; see :class:`ImportResult`.

    Raises
    ------
    ImportFileError
        When the file as a whole cannot be read as ``what``.
    """
    accessed = options.accessed or modified_day(path)
    source = dataset_source(dataset, accessed)
    # The limit is the csv module's, for the whole process: raised for this import only.
    limit = csv.field_size_limit(FIELD_LIMIT)
    # Features hold no reference cycles, yet each cyclic collection would walk all of them built
    # so far, again and again: a third of the import's time at 100,000 rows.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with open_text(path) as handle:
            header, records = read_rows(handle, required, what)
            features, problems, rows = _collect(
                header, records, (*required, *optional), str(path), options, source, row_feature
            )
    finally:
        csv.field_size_limit(limit)
        if collecting:
            gc.enable()
    drop_distant_countries(features)
    doc = build_layer(features, dataset, path, options, accessed, rows, prefix, color)
    return ImportResult(doc, rows, problems)


def _collect(
    header: list[str],
    records: Iterator[tuple[int, list[str]]],
    columns: tuple[str, ...],
    name: str,
    options: Options,
    source: dict[str, Any],
    row_feature: RowFeature,
) -> tuple[list[dict[str, Any]], list[Message], int]:
    """The features of the rows that can be placed, a message for each that cannot, and the
    number of rows read. The first of ``columns`` is the row's id."""
    features: list[dict[str, Any]] = []
    problems: list[Message] = []
    seen: set[str] = set()
    rows = 0
    width = len(header)
    # Only the columns the importer reads, by position: a dict of all 31 or 49 columns per row
    # would cost more than the rest of the row's work.
    wanted = [(column, header.index(column)) for column in columns if column in header]
    id_column = header.index(columns[0])
    for line, record in records:
        rows += 1
        row_id = record[id_column].strip() if len(record) > id_column else None
        try:
            if len(record) != width:
                raise wrong_width(
                    record, line, width, "quote fields that hold commas; export the file again"
                )
            feature = row_feature({c: record[i] for c, i in wanted}, options, source)
            fid = feature["properties"]["id"]
            if fid in seen:
                raise RowError(
                    f"its id {row_id!r} appears on an earlier row too",
                    "each row of the export has its own id; remove the repeated row",
                )
            seen.add(fid)
            features.append(feature)
        except RowError as error:
            problems.append(problem(name, line, row_id or None, error))
    return features, problems, rows


def modified_day(path: Path) -> str:
    """The day the export was saved here: the nearest thing to its download date the file
    itself carries (``--accessed`` says it exactly)."""
    saved = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date()
    return min(saved, dt.date.today()).isoformat()  # a clock ahead cannot date it tomorrow


def drop_distant_countries(features: list[dict[str, Any]]) -> None:
    """Leave out ``country`` where the dataset's point lies outside that country's outline by
    more than the validator's slack (a sea area, a centroid across a coast): the point is the
    dataset's, the country stays named in ``location_note``, and the layer validates.
    """
    codes = [feature["properties"].get("country") for feature in features]
    coords = np.array([f["geometry"]["coordinates"][:2] for f in features], dtype=float)
    for index, distance in distant_countries(codes, coords.reshape(-1, 2)).items():
        props = features[index]["properties"]
        props["location_note"] = distant_note(
            props["location_note"], props.pop("country"), distance
        )


def distant_countries(codes: list[str | None], coords: np.ndarray) -> dict[int, float]:
    """Row index -> km outside the outline, for each point farther than the slack from the
    country its row names (``codes[i]``, None for no country).

    One vectorised covers() per country; distances only for the few points outside.
    """
    by_country: dict[str, list[int]] = defaultdict(list)
    shapes = countries.country_shapes()
    for index, code in enumerate(codes):
        if code in shapes:
            by_country[code].append(index)
    distant: dict[int, float] = {}
    for code, indexes in by_country.items():
        inside = shapely.covers(shapes[code], shapely.points(coords[indexes]))
        for index, covered in zip(indexes, inside, strict=True):
            if covered:
                continue
            lon, lat = coords[index]
            distance = countries.distance_km(code, float(lon), float(lat))
            if distance is not None and distance > countries.SLACK_KM:
                distant[index] = distance
    return dict(sorted(distant.items()))


def distant_note(location_note: str, code: str, distance: float) -> str:
    """The location note of a row whose point lies ``distance`` km outside country ``code``."""
    return clip(
        f"{location_note} The dataset names the country {code}, but the "
        f"point lies {distance:,.0f} km outside its outline."
    )
