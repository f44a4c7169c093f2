"""ACLED exports (Armed Conflict Location & Event Data): one row, one event.

The precision codes, as ACLED's codebook defines them (quoted from its paraphrase in the
mapme.biodiversity documentation of ``calc_fatalities_acled``, which links the codebook at
https://acleddata.com/knowledge-base/codebook/):

``geo_precision``
    1: "the source reporting indicates a particular town, and coordinates are available for
    that town"; 2: the activity took place "in a small part of a region" or "near a town or a
    city", and "the event is coded to a town with geo-referenced coordinates to represent that
    area"; 3: "a larger region is mentioned, the closest natural location noted in reporting
    ... or a provincial capital is used".

``time_precision``
    1: "the source material includes an actual date of an event"; 2: "the source material
    indicates that an event happened sometime during the week or within a similar period of
    time"; 3: the source "only indicates that an event took place sometime during a month ...
    the month mid-point is chosen".

How we map them (ours are ``location_precision`` and partial dates, see layers/README.md):

- geo 1 -> ``approximate``: the point is the town's, not the site's, so it is roughly right but
  not within the few hundred metres that ``exact`` promises.
- geo 2 -> ``stand-in``: a nearby town stands in for the place, as our ``stand-in`` means.
- geo 3 -> ``region``: only a region is known; the point must stay visibly imprecise.
- time 1 -> the day, ``YYYY-MM-DD``.
- time 2 -> the month, ``YYYY-MM``, or the two months ``start``/``end`` when the period could
  cross a month's end. ACLED does not say where in the week its date falls, and our partial
  dates cannot say "a week", so we take the coded day plus or minus six days (any seven-day
  period that holds the coded day) and write the months that span covers. A day would claim
  more than the sources give; a month claims less, which is true.
- time 3 -> the month, ``YYYY-MM``: the coded day is a mid-point, not a date.

The coded day is kept in ``date_note`` whenever the partial date is coarser.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from geo.ingest.common import (
    IMPORTED_CLAIM_STATUS,
    MAX_TEXT,
    Dataset,
    ImportResult,
    Options,
    RowError,
    alpha2_from_name,
    alpha2_from_numeric,
    build_layer,
    clean,
    clip,
    code,
    count,
    dataset_source,
    day_part,
    no_markup,
    number,
    row_id,
    slug,
)
from geo.ingest.rows import modified_day, run_import

WHAT = "an ACLED export"
REQUIRED = (
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "country",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
)
OPTIONAL = (
    "disorder_type",
    "assoc_actor_1",
    "actor2",
    "assoc_actor_2",
    "iso",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "source",
    "source_scale",
    "notes",
)
DATASET = Dataset(
    name="ACLED",
    source_title="Armed Conflict Location & Event Data (ACLED)",
    publisher="Armed Conflict Location & Event Data (ACLED)",
    url="https://acleddata.com/",
    terms=(
        "ACLED's terms of use and attribution policy apply: acknowledge ACLED clearly and "
        "prominently, with a full citation that links to its website; say how the data were "
        "changed; do not give any other user direct access to ACLED's original or raw data, so "
        "do not publish or share this layer file as it is."
    ),
    terms_url="https://epo.acleddata.com/terms-of-use-and-attribution-policy",
)
COLOR = "#b45309"
GEO_PRECISION = {
    1: (
        "approximate",
        "ACLED geo precision 1: the sources name the town; the point is the town's "
        "coordinates, not the exact site",
    ),
    2: (
        "stand-in",
        "ACLED geo precision 2: the sources place the event near a town or in a small part of "
        "a region; a nearby town's coordinates stand in for it",
    ),
    3: (
        "region",
        "ACLED geo precision 3: the sources name only a larger region; the point is a natural "
        "location named in the reporting or a provincial capital standing for the region",
    ),
}
TIME_PRECISION = {1: "day", 2: "week", 3: "month"}
# Our kinds are few; ACLED's own type always travels in event_type. Unlisted types are 'other'.
KINDS = {
    "air/drone strike": "airstrike",
    "armed clash": "ground-attack",
    "attack": "ground-attack",
    "government regains territory": "ground-attack",
    "non-state actor overtakes territory": "ground-attack",
    "suicide bomb": "ground-attack",
    "grenade": "ground-attack",
    "agreement": "diplomacy",
    "non-violent transfer of territory": "handover",
}


def import_acled(path: Path, options: Options) -> ImportResult:
    """An events layer from an ACLED export; rows that cannot be placed are reported.

    With ``options.columnar`` the rows are mapped on whole columns
    (:mod:`geo.ingest.acled_columns`) unless the file needs the row path.
    """
    if options.columnar:
        from geo.ingest.acled_columns import import_columns

        accessed = options.accessed or modified_day(path)
        done = import_columns(path, options, dataset_source(DATASET, accessed))
        if done is not None:
            features, problems, rows = done
            doc = build_layer(features, DATASET, path, options, accessed, rows, "acled", COLOR)
            return ImportResult(doc, rows, problems)
    return run_import(path, options, REQUIRED, OPTIONAL, WHAT, row_feature, DATASET, "acled", COLOR)


def row_feature(row: dict[str, str], options: Options, dataset_source: dict) -> dict[str, Any]:
    """One ACLED row as a feature. Raises RowError with the reason when it cannot be placed."""
    event_id = row_id(row["event_id_cnty"], "event_id_cnty", "ACLED")
    lat = number(row["latitude"], "latitude", -90, 90)
    lon = number(row["longitude"], "longitude", -180, 180)
    geo_code = code(row["geo_precision"], "geo_precision", GEO_PRECISION)
    time_code = code(row["time_precision"], "time_precision", TIME_PRECISION)
    day = _event_date(row["event_date"].strip())
    if day > options.today:
        raise RowError(f"event_date {day} lies in the future", "check the row's date")
    start, end, date_note = acled_dates(day, time_code)
    where, location_note, country = _place(
        row.get("location", ""), row.get("admin2", ""), row.get("admin1", ""), row["country"],
        row.get("iso", ""), geo_code,
    )  # fmt: skip
    texts = _texts(
        row["event_type"], row["sub_event_type"], row["actor1"], row.get("assoc_actor_1", ""),
        row.get("actor2", ""), row.get("assoc_actor_2", ""), where,
    )  # fmt: skip
    props: dict[str, Any] = {
        "id": f"acled-{slug(event_id)}"[:80].rstrip("-"),
        "name": texts.name,
        "kind": texts.kind,
        "event_type": texts.event_type,
        "start": start,
    }
    if end:
        props["end"] = end
    if date_note:
        props["date_note"] = date_note
    props["location_precision"] = GEO_PRECISION[geo_code][0]
    props["location_note"] = location_note
    if country:
        props["country"] = country
    props["description"] = texts.description
    props["actor"] = texts.actor
    props["actor_note"] = texts.actor_note
    props["claim_status"] = IMPORTED_CLAIM_STATUS
    if row["fatalities"].strip():  # a blank is no figure, not zero
        props["fatalities"] = count(row["fatalities"], "fatalities")
    props["source_id"] = event_id
    props["sources"] = [_source(row, event_id, dataset_source)]
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": props,
    }


@lru_cache(maxsize=65536)
def _place(
    location: str, admin2: str, admin1: str, country_name: str, iso: str, geo_code: int
) -> tuple[str, str, str | None]:
    """(where, location_note, country code or None); cached, as places repeat."""
    where = place_words(location, admin2, admin1, country_name)
    note = no_markup(clip(f"{GEO_PRECISION[geo_code][1]}: {where}."), "location")
    return where, note, country_code(iso, country_name)


@lru_cache(maxsize=65536)
def place_words(location: str, admin2: str, admin1: str, country_name: str) -> str:
    """The place as words: its named parts, most local first, each once."""
    # The place is part of the name, where an invisible character would split one name in two.
    parts = [clean(part, naming=True) for part in (location, admin2, admin1, country_name)]
    return ", ".join(dict.fromkeys(p for p in parts if p)) or "an unnamed place"


@lru_cache(maxsize=4096)
def country_code(iso: str, country_name: str) -> str | None:
    """The row's country as ISO alpha-2: from ``iso`` (numeric), else its name, else None."""
    return alpha2_from_numeric(iso) or alpha2_from_name(clean(country_name))


@dataclass(frozen=True)
class _Texts:
    name: str
    kind: str
    event_type: str
    description: str
    actor: str
    actor_note: str


@lru_cache(maxsize=65536)
def _texts(
    event_type: str, sub_type: str, actor1: str, assoc1: str, actor2: str, assoc2: str, where: str
) -> _Texts:
    """The row's words that repeat across rows: cached by what they are made of."""
    head, kind, type_text, type_words = type_texts(event_type, sub_type)
    actor1 = no_markup(actor_name(actor1), "actor1")
    actor2 = clean(actor2, naming=True)
    description = (
        f"ACLED codes this as {type_words} involving {actor1}"
        + (f" and {actor2}" if actor2 else "")
        + f" at {where}."
    )
    note = f"ACLED actor 1: {actor1}" + (f" (with {clean(assoc1)})" if clean(assoc1) else "")
    if actor2:
        note += f"; actor 2: {actor2}" + (f" (with {clean(assoc2)})" if clean(assoc2) else "")
    note += ". " + ACTORS_CAVEAT
    return _Texts(
        name=no_markup(clip(f"{head} in {where}", 300), "name"),
        kind=kind,
        event_type=no_markup(type_text, "event_type"),
        description=no_markup(clip(description), "description"),
        actor=clip(actor1, 300),
        actor_note=no_markup(clip(note), "actor2"),
    )


ACTORS_CAVEAT = "ACLED's actor 1 and actor 2 do not say who attacked whom."


@lru_cache(maxsize=4096)
def type_texts(event_type: str, sub_type: str) -> tuple[str, str, str, str]:
    """(the name's head, our kind, the event_type text, the description's words) for ACLED's
    event type and sub-event type; markup is not checked here."""
    event_type, sub_type = clean(event_type, naming=True), clean(sub_type, naming=True)
    return (
        sub_type or event_type or "Event",
        KINDS.get(sub_type.lower(), "other"),
        clip(f"{event_type}: {sub_type}" if sub_type else event_type or "-"),
        (event_type or "an event") + (f" ({sub_type})" if sub_type else ""),
    )


def actor_name(actor1: str) -> str:
    """ACLED's actor 1 as our ``actor``, before the markup check."""
    return clean(actor1, naming=True) or "Unidentified"


def _source(row: dict[str, str], event_id: str, dataset_source: dict) -> dict[str, Any]:
    source = dict(dataset_source)
    notes = clean(row.get("notes", ""), one_line=False)
    cited = clean(row.get("source", ""))
    scale = clean(row.get("source_scale", ""))
    note = f"ACLED event {event_id}"
    if cited:
        note += f"; ACLED's sources: {cited}" + (f" (scale: {scale})" if scale else "")
    if notes and len(notes) > MAX_TEXT:
        note += f"; ACLED's notes: {notes}"
        notes = ""
    source["note"] = no_markup(clip(note + "."), "source")
    if notes:
        source["quote"] = no_markup(notes, "notes")
    return source


@lru_cache(maxsize=65536)
def _event_date(text: str) -> dt.date:
    """ACLED's event_date: ISO ('2024-01-15') from the API, or '15 January 2024' from the
    export tool; '15/01/2024', day first, as a spreadsheet may save it. A slash date that could
    be read either way ('03/04/2024') is refused, never guessed."""
    numbers = text.strip().split("/")
    if len(numbers) == 3 and all(n.isdigit() for n in numbers):
        first, second = int(numbers[0]), int(numbers[1])
        if 1 <= first <= 12 and 1 <= second <= 12 and first != second:
            raise RowError(
                f"event_date {text!r} could be day/month or month/day",
                "a spreadsheet rewrote ACLED's dates: export the file again, or save the "
                "dates as 2024-01-15",
            )
    for pattern in ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d/%m/%Y"):
        written = (day_part(text) or "") if pattern == "%Y-%m-%d" else text
        try:
            return dt.datetime.strptime(written, pattern).date()
        except ValueError:
            continue
    raise RowError(
        f"event_date {text!r} is not a date", "ACLED writes it as 2024-01-15 or 15 January 2024"
    )


@lru_cache(maxsize=65536)
def acled_dates(day: dt.date, time_code: int) -> tuple[str, str | None, str | None]:
    """(start, end or None, date_note or None) for an ACLED date and its time_precision."""
    if time_code == 1:
        return day.isoformat(), None, None
    if time_code == 3:
        return (
            f"{day:%Y-%m}",
            None,
            f"ACLED time precision 3: the sources give only the month; ACLED codes its "
            f"mid-point, {day.isoformat()}.",
        )
    first, last = day - dt.timedelta(days=6), day + dt.timedelta(days=6)
    start, end = f"{first:%Y-%m}", f"{last:%Y-%m}"
    return (
        start,
        end if end != start else None,
        f"ACLED time precision 2: the sources say the event happened sometime during a week "
        f"or a similar period; ACLED codes it as {day.isoformat()}, so it is shown as the "
        "month(s) a week around that day covers.",
    )
