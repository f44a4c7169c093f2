"""UCDP GED exports (the Uppsala Conflict Data Program's Georeferenced Event Dataset).

The precision codes, as the GED codebook defines them (quoted from its paraphrase in the
mapme.biodiversity documentation of ``calc_fatalities_ucdp``; the codebook ships with each
release at https://ucdp.uu.se/downloads/):

``where_prec``
    1: "the location information corresponds exactly to the geographical coordinates
    available"; 2: "a limited area around a specified location"; 3: a second-order
    administrative division (district, municipality), "the GED uses centroid point
    coordinates for that ADM2"; 4: a first-order division (province), its centroid; 5: parts of
    a country larger than ADM1, a point between two places, or a place mentioned only vaguely;
    6: "an entire country and its centroid is used"; 7: over water or in international
    airspace, the centroid of the water area or estimated coordinates.

``date_prec``
    1: "the exact date of an event is known"; 2: start and end dates "spanning more than one
    calendar day though no longer than six days"; 3: dates "specified to a certain week";
    4: "to a certain month"; 5: "to a certain year".

How we map them:

- where 1 -> ``approximate``: the coordinates are the named place's, which is roughly right
  but not the few hundred metres our ``exact`` promises.
- where 2 -> ``stand-in``: the named place stands in for an area around it.
- where 3 to 7 -> ``region``: a district, province, part of a country, the country or a sea
  area; a country's centroid must stay visibly imprecise.
- date 1 -> the day; 2 and 3 -> the days ``date_start`` to ``date_end`` as ``start``/``end``
  (UCDP gives those bounds; the event lies between them); 4 -> the month(s) ``YYYY-MM``;
  5 -> the year(s) ``YYYY``.

Fatalities keep all three estimates, ``{low, best, high}``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from geo.ingest.common import (
    IMPORTED_CLAIM_STATUS,
    Dataset,
    ImportResult,
    Options,
    RowError,
    alpha2_from_name,
    clean,
    clip,
    code,
    count,
    day_part,
    no_markup,
    number,
    row_id,
    slug,
)
from geo.ingest.rows import run_import

WHAT = "a UCDP GED export"
REQUIRED = (
    "id",
    "type_of_violence",
    "side_a",
    "side_b",
    "where_prec",
    "latitude",
    "longitude",
    "country",
    "date_prec",
    "date_start",
    "date_end",
    "best",
    "low",
    "high",
)
OPTIONAL = (
    "conflict_name",
    "dyad_name",
    "number_of_sources",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
    "source_original",
    "where_coordinates",
    "where_description",
    "adm_1",
    "adm_2",
)
DATASET = Dataset(
    name="UCDP GED",
    source_title="UCDP Georeferenced Event Dataset (GED) Global",
    publisher="Uppsala Conflict Data Program (UCDP), Uppsala University",
    url="https://ucdp.uu.se/downloads/",
    terms=(
        "Cite the dataset and its codebook as UCDP asks on its download page, and check "
        "the terms given there before you publish; the importer has not checked them for you."
    ),
    terms_url="https://ucdp.uu.se/downloads/",
)
WHERE_PRECISION = {
    1: (
        "approximate",
        "UCDP where_prec 1: the sources name the place; the point is its coordinates",
    ),
    2: (
        "stand-in",
        "UCDP where_prec 2: the sources give a limited area around a named place, which stands "
        "in for it",
    ),
    3: (
        "region",
        "UCDP where_prec 3: the sources give only the district or municipality (ADM2); the "
        "point is its centroid",
    ),
    4: (
        "region",
        "UCDP where_prec 4: the sources give only the province (ADM1); the point is its centroid",
    ),
    5: (
        "region",
        "UCDP where_prec 5: the sources give a part of the country larger than a province, two "
        "places, or a vague place; the point only represents it",
    ),
    6: (
        "region",
        "UCDP where_prec 6: the sources give only the country; the point is the country's "
        "centroid, not a place of the event",
    ),
    7: (
        "region",
        "UCDP where_prec 7: at sea or in international airspace; the point is the centroid of "
        "the water area or an estimate",
    ),
}
DATE_PRECISION = {
    1: None,
    2: "UCDP date_prec 2: the event ran over more than one day but no more than six, between "
    "these days.",
    3: "UCDP date_prec 3: the sources give only the week; the days are its bounds.",
    4: "UCDP date_prec 4: the sources give only the month.",
    5: "UCDP date_prec 5: the sources give only the year.",
}
VIOLENCE = {1: "state-based conflict", 2: "non-state conflict", 3: "one-sided violence"}
SOURCE_TEXT = (
    ("source_article", "articles"),
    ("source_original", "original sources"),
    ("source_headline", "headlines"),
    ("source_office", "offices"),
    ("source_date", "dates"),
)


def import_ucdp(path: Path, options: Options) -> ImportResult:
    """An events layer from a UCDP GED export; rows that cannot be placed are reported."""
    version = options.version or version_from_name(path.name)
    dataset = DATASET
    if version:
        dataset = dataclasses.replace(
            DATASET, version=version, source_title=f"{DATASET.source_title} version {version}"
        )
    return run_import(
        path, options, REQUIRED, OPTIONAL, WHAT, row_feature, dataset, "ucdp", "#7c3aed"
    )


def version_from_name(name: str) -> str | None:
    """'GEDEvent_v25_1.csv' or 'ged251-csv.zip' -> '25.1'; None when the name does not say."""
    match = re.search(r"v(\d{2})[_.](\d+)", name) or re.search(r"ged(\d{2})(\d)", name, re.I)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def row_feature(row: dict[str, str], options: Options, dataset_source: dict) -> dict[str, Any]:
    """One GED row as a feature. Raises RowError with the reason when it cannot be placed."""
    event_id = row_id(row["id"], "id", "GED")
    lat = number(row["latitude"], "latitude", -90, 90)
    lon = number(row["longitude"], "longitude", -180, 180)
    where_code = code(row["where_prec"], "where_prec", WHERE_PRECISION)
    date_code = code(row["date_prec"], "date_prec", DATE_PRECISION)
    violence = code(row["type_of_violence"], "type_of_violence", VIOLENCE)
    first, last = _day(row["date_start"], "date_start"), _day(row["date_end"], "date_end")
    if last < first:
        raise RowError(f"date_end {last} comes before date_start {first}", "check the row")
    if last > options.today:
        raise RowError(f"date_end {last} lies in the future", "check the row's dates")
    start, end = ucdp_dates(first, last, date_code)
    low, best, high = (count(row[k], k) for k in ("low", "best", "high"))
    if not low <= best <= high:
        raise RowError(
            f"the estimates are not in order: low {low}, best {best}, high {high}",
            "check the row against the dataset",
        )
    side_a = no_markup(clean(row["side_a"], naming=True), "side_a") or "Unidentified"
    side_b = no_markup(clean(row["side_b"], naming=True), "side_b")
    # The place is part of the name, where an invisible character would split one name in two.
    country_name = clean(row["country"], naming=True)
    place = [clean(row.get(k, ""), naming=True) for k in ("where_description", "adm_2", "adm_1")]
    where = ", ".join(dict.fromkeys(p for p in [*place, country_name] if p)) or "an unnamed place"
    precision, meaning = WHERE_PRECISION[where_code]
    conflict = clean(row.get("conflict_name", ""))
    props: dict[str, Any] = {
        "id": f"ucdp-ged-{slug(event_id)}"[:80].rstrip("-"),
        "name": no_markup(clip(f"{VIOLENCE[violence].capitalize()} at {where}", 300), "name"),
        "kind": "other",
        "start": start,
    }
    if end:
        props["end"] = end
    if DATE_PRECISION[date_code]:
        props["date_note"] = DATE_PRECISION[date_code]
    props["location_precision"] = precision
    props["location_note"] = no_markup(clip(f"{meaning}: {where}."), "where_description")
    if where_code != 7:  # at sea the country is only the nearest one
        country = alpha2_from_name(country_name)
        if country:
            props["country"] = country
    props["description"] = no_markup(
        clip(
            f"UCDP codes this as {VIOLENCE[violence]}"
            + (f" in the conflict {conflict}" if conflict else "")
            + f", between {side_a}"
            + (f" and {side_b}" if side_b else "")
            + f", at {where}."
        ),
        "description",
    )
    props["actor"] = clip(side_a, 300)
    props["actor_note"] = clip(f"UCDP side A: {side_a}; side B: {side_b or 'not given'}.")
    if violence == 3 and side_b:
        props["target"] = clip(side_b, 300)  # one-sided violence: side B is its victims
    props["claim_status"] = IMPORTED_CLAIM_STATUS
    props["source_id"] = event_id
    props["event_type"] = VIOLENCE[violence]
    props["fatalities"] = {"low": low, "best": best, "high": high}
    props["sources"] = [_source(row, event_id, dataset_source)]
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": props,
    }


def _source(row: dict[str, str], event_id: str, dataset_source: dict) -> dict[str, Any]:
    source = dict(dataset_source)
    parts = [f"UCDP GED event {event_id}"]
    sources = no_markup(clean(row.get("number_of_sources", "")), "number_of_sources")
    if sources:
        parts[0] += f" ({sources} source{'s' if sources != '1' else ''})"
    for column, label in SOURCE_TEXT:
        text = clean(row.get(column, ""))
        if text:
            parts.append(f"{label}: {no_markup(text, column)}")
    source["note"] = clip("; ".join(parts) + ".")
    return source


@lru_cache(maxsize=65536)
def _day(text: str, column: str) -> dt.date:
    """GED dates: '2016-01-05' or '2016-01-05 00:00:00.000'."""
    try:
        return dt.date.fromisoformat(day_part(text) or "")
    except ValueError:
        raise RowError(f"{column} {text!r} is not a date", "GED writes it as 2016-01-05") from None


@lru_cache(maxsize=65536)
def ucdp_dates(first: dt.date, last: dt.date, date_code: int) -> tuple[str, str | None]:
    """(start, end or None) at the precision date_prec gives."""
    if date_code <= 3:
        start, end = first.isoformat(), last.isoformat()
    elif date_code == 4:
        start, end = f"{first:%Y-%m}", f"{last:%Y-%m}"
    else:
        start, end = f"{first:%Y}", f"{last:%Y}"
    return start, end if end != start else None
