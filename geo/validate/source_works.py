"""Sources cells of a big table, checked once per cited work rather than once per row.

An imported dataset cites one work (title, publisher, url, archive_url, published, accessed) in
every row, each time with the row's own ``note`` and ``quote``. The rules on the work (the schema,
the dates, the URL policy, the text rules) are run once per distinct work and position in the
list; a row adds only the checks of its own note and quote. A dataset that cites its own page in
every row (UCDP: an article per event) has as many works as rows, so within a work each rule
takes the cheap way where it gives the same answer: the date rules once per pair of dates, the
URL rules only where an address is not plainly quiet, the text rules only for a row whose text
may break them. The messages are those the feature-by-feature rules give, in their order: a
row's date messages, then its URL messages, and its text messages in the order
:func:`geo.validate.text.check_text` walks the value.

A cell this module cannot decide (not JSON, not a list of sources that conform to the schema) is
left to the caller, which checks it the slow way; nothing is skipped.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import fastjsonschema
import orjson

from geo.model import Message
from geo.schema import layer_schema
from geo.validate.context import Context
from geo.validate.dates import check_feature_dates
from geo.validate.sources import check_sources, url_is_quiet
from geo.validate.text import _check_markup, _check_string, check_text, plain_text_fields

# The fields that name a cited work (the key in check_source_cells spells them out, in this
# order, for speed); a row's own words are the rest of the source.
WORK_FIELDS = ("title", "publisher", "url", "archive_url", "published", "accessed")
ROW_FIELDS = ("note", "quote")
# A note or a quote without any of these (table.SUSPECT_TEXT) passes every text rule: plain
# ASCII without control characters or "<" (both are free text, so line breaks are allowed).
ROW_TEXT_SUSPECT = re.compile(r"[\x00-\x1f\x7f<]|[^\x00-\x7f]")
# What the schema's plainText may say for the check of a row's note and quote to be complete.
PLAIN_TEXT_RULES = {"description", "type", "minLength", "maxLength"}
# Stands for a field the source does not have (None would be an explicit JSON null).
MISSING = object()


@dataclass
class _Work:
    """What the rules say of one work at one position of a sources list.

    The text rules are asked only for a row whose text may break them (``text`` is None until
    then): most works are cited only in rows of plain ASCII.
    """

    conforms: bool
    number: int = 0
    fields: dict[str, Any] = field(default_factory=dict)
    dates: Sequence[Message] = ()
    urls: list[Message] = field(default_factory=list)
    text: dict[str, list[Message]] | None = None

    def text_messages(self, file: str, today: dt.date) -> dict[str, list[Message]]:
        """The text rules' messages on the work's fields, by field."""
        if self.text is None:
            self.text = _work_text(file, today, self.number, self.fields)
        return self.text


@dataclass
class SourceCells:
    """The outcome for a set of rows: each decided row's messages, and the undecided rows.

    ``rules[row]`` holds the date and URL messages, ``text[row]`` the text messages, both in the
    order of the feature-by-feature check; rows without messages are absent from both.
    """

    rules: dict[int, list[Message]] = field(default_factory=dict)
    text: dict[int, list[Message]] = field(default_factory=dict)
    undecided: list[int] = field(default_factory=list)
    # Each work checked so far, by its position in the list and its fields.
    works: dict[tuple[Any, ...], _Work] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _source_rules() -> tuple[Any, frozenset[str], int, int]:
    """The compiled schema of one source, its allowed keys, and the bounds on a row's text."""
    schema = copy.deepcopy(layer_schema())
    defs = schema["$defs"]
    part = {key: schema[key] for key in ("$schema",) if key in schema}
    part.update(defs["source"])
    part["$defs"] = defs
    text = defs["plainText"]
    allowed = frozenset(defs["source"]["properties"])
    # A row's note and quote are checked here for type and length only: should the schema ask
    # more of them, no source can be decided here and every row takes the slow way.
    if set(text) - PLAIN_TEXT_RULES or any(
        defs["source"]["properties"][name] != {"$ref": "#/$defs/plainText"} for name in ROW_FIELDS
    ):
        allowed = frozenset()
    return (
        fastjsonschema.compile(part),
        allowed,
        int(text.get("minLength", 0)),
        int(text.get("maxLength", 1 << 62)),
    )


def _feature(sources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"features": [{"properties": {"sources": sources}}]}


def _check_work(file: str, today: dt.date, number: int, key: tuple[Any, ...]) -> _Work:
    conforms_to, _, _, _ = _source_rules()
    work = {
        name: value for name, value in zip(WORK_FIELDS, key, strict=True) if value is not MISSING
    }
    try:
        conforms_to(work)
    except fastjsonschema.JsonSchemaException:
        return _Work(conforms=False)
    dates = _date_messages(
        file, today, number, work.get("published", MISSING), work.get("accessed", MISSING)
    )
    urls = _url_messages(file, today, number, work)
    return _Work(conforms=True, number=number, fields=work, dates=dates, urls=urls)


def _at(number: int, source: dict[str, Any]) -> dict[str, Any]:
    """A document whose one feature holds ``source`` at ``number`` in its sources list, after
    empty stand-ins: messages name the position."""
    return _feature([{} for _ in range(number)] + [source])


@lru_cache(maxsize=65536)
def _date_messages(
    file: str, today: dt.date, number: int, published: object, accessed: object
) -> tuple[Message, ...]:
    """The date rules' messages on a source: they read only its two dates, which many works
    share (the accessed date above all), so each pair is asked once."""
    source = {
        name: value
        for name, value in (("published", published), ("accessed", accessed))
        if value is not MISSING
    }
    ctx = Context(file, today, _at(number, source))
    check_feature_dates(ctx, 0)
    return tuple(ctx.messages)


def _url_messages(file: str, today: dt.date, number: int, work: dict[str, Any]) -> list[Message]:
    """The URL rules' messages on a work; the rules themselves only where an address is not
    plainly quiet (most are: a row's own page on a news site)."""
    if all(url_is_quiet(work[key], key) for key in ("url", "archive_url") if key in work):
        return []
    ctx = Context(file, today, _at(number, work))
    check_sources(ctx, 0)
    return ctx.messages


def _work_text(
    file: str, today: dt.date, number: int, work: dict[str, Any]
) -> dict[str, list[Message]]:
    ctx = Context(file, today, _at(number, work))
    check_text(ctx)
    found: dict[str, list[Message]] = {}
    for message in ctx.messages:
        found.setdefault(str(message.path[-1]), []).append(message)
    return found


def _row_text(file: str, today: dt.date, number: int, name: str, value: str) -> list[Message]:
    """What check_text says of one string of a row's source: the same two rules."""
    if not ROW_TEXT_SUSPECT.search(value):
        return []
    ctx = Context(file, today)
    path = ("features", 0, "properties", "sources", number, name)
    _check_string(ctx, path, value, name, is_key=False)
    if name in plain_text_fields():
        _check_markup(ctx, path, value)
    return ctx.messages


def check_source_cells(
    file: str,
    today: dt.date,
    rows: Sequence[int],
    texts: Sequence[str],
    suspect: Sequence[bool],
    into: SourceCells | None = None,
) -> SourceCells:
    """The messages of each row's ``sources`` JSON text, with paths into feature 0.

    ``suspect[i]`` says whether ``texts[i]`` may hold text the text rules refuse (anything
    beyond plain ASCII, a control character, a "<" or an escape); the text rules run only there.
    Rows checked in several calls add to ``into``, and share its works.
    """
    _, allowed, shortest, longest = _source_rules()
    out = into if into is not None else SourceCells()
    works = out.works
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    for row, text, odd in zip(rows, texts, suspect, strict=True):
        try:
            items = loads(text)
        except decode_error:
            out.undecided.append(row)
            continue
        if type(items) is not list or not items:
            out.undecided.append(row)
            continue
        found: list[_Work] = []
        for number, item in enumerate(items):
            if type(item) is not dict or not item or not item.keys() <= allowed:
                break
            if not _own_text_conforms(item, shortest, longest):
                break
            key = (
                number,
                (
                    item.get("title", MISSING),
                    item.get("publisher", MISSING),
                    item.get("url", MISSING),
                    item.get("archive_url", MISSING),
                    item.get("published", MISSING),
                    item.get("accessed", MISSING),
                ),
            )
            try:
                work = works.get(key)
            except TypeError:  # a list or an object where text belongs: not a conforming work
                break
            if work is None:
                work = works[key] = _check_work(file, today, *key)
            if not work.conforms:
                break
            found.append(work)
        else:
            rules = [m for work in found for m in work.dates] + [
                m for work in found for m in work.urls
            ]
            if rules:
                out.rules[row] = rules
            if odd:
                said = _text_in_walk_order(file, today, items, found)
                if said:
                    out.text[row] = said
            continue
        out.undecided.append(row)
    return out


def _own_text_conforms(item: dict[str, Any], shortest: int, longest: int) -> bool:
    """Whether a source's note and quote, where present, are text of an allowed length."""
    for name in ROW_FIELDS:
        if name in item:
            value = item[name]
            if type(value) is not str or not shortest <= len(value) <= longest:
                return False
    return True


def _text_in_walk_order(
    file: str, today: dt.date, items: list[dict[str, Any]], found: list[_Work]
) -> list[Message]:
    """The text messages of one sources list in check_text's order: it walks a stack, so the
    last source comes first, and within a source the last field."""
    said: list[Message] = []
    for number in reversed(range(len(items))):
        item, work = items[number], found[number]
        for name in reversed(list(item)):
            if name in ROW_FIELDS:
                said += _row_text(file, today, number, name, item[name])
            else:
                said += work.text_messages(file, today).get(name, [])
    return said
