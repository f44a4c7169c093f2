"""Dates: each must exist, none may lie in the future, and an interval must not run backwards."""

from __future__ import annotations

import re

from geo.model import DateError, PartialDate
from geo.validate.context import Context, Path_, short

DATE_SHAPE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def check_feature_dates(ctx: Context, index: int) -> None:
    ppath: Path_ = ("features", index, "properties")
    props = ctx.doc["features"][index]["properties"]
    start = parse_date(ctx, props, "start", ppath)
    end = parse_date(ctx, props, "end", ppath)
    if start and end and end.last_day() < start.first_day():
        ctx.add(
            "end-before-start",
            (*ppath, "end"),
            f"end {end.iso()} comes before start {start.iso()}",
            "swap them, or correct the one that is wrong",
        )
    for number, source in _items(props.get("sources")):
        spath = (*ppath, "sources", number)
        published = parse_date(ctx, source, "published", spath)
        accessed = parse_date(ctx, source, "accessed", spath)
        if published and accessed and published.first_day() > accessed.last_day():
            ctx.add(
                "published-after-accessed",
                (*spath, "published"),
                f"published {published.iso()} is after accessed {accessed.iso()}",
                "a page cannot be read before it is published; correct one of them",
            )
    for number, claim in _items(props.get("claims")):
        parse_date(ctx, claim, "as_of", (*ppath, "claims", number))


def check_layer_dates(ctx: Context) -> None:
    meta = ctx.doc.get("layer")
    if isinstance(meta, dict):
        parse_date(ctx, meta, "reviewed", ("layer",))


def parse_date(ctx: Context, holder: dict, key: str, path: Path_) -> PartialDate | None:
    """The date at ``holder[key]``, or None (with a message when it is wrong)."""
    value = holder.get(key)
    if not isinstance(value, str):
        return None
    try:
        date = PartialDate.parse(value)
    except DateError as exc:
        if DATE_SHAPE.fullmatch(value):
            ctx.add(
                "no-such-date",
                (*path, key),
                f"date {exc}",
                "write a date that exists, at the precision the source gives",
            )
        elif DATE_SHAPE.fullmatch(value.strip()):
            ctx.add(
                "whitespace",
                (*path, key),
                f"date {short(value)} has a space or line break around it",
                "write the date alone",
            )
        return None
    if date.first_day() > ctx.today:
        ctx.add(
            "future-date",
            (*path, key),
            f"date {value} is in the future (today is {ctx.today.isoformat()})",
            "the map records what has happened; correct the date",
        )
    return date


def _items(value: object) -> list[tuple[int, dict]]:
    if not isinstance(value, list):
        return []
    return [(number, item) for number, item in enumerate(value) if isinstance(item, dict)]
