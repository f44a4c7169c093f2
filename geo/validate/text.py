"""Text: plain text holds no markup, and no character that hides, reorders or forges what a
reader sees, or that splits one name into two.

Every string of the document is checked, keys included, in one pass; each check is linear in the
text's length.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from geo.schema import layer_schema
from geo.validate.context import Context, Path_, field_of

# Possessive quantifiers (*+) never give back what they took, so a "<" followed by megabytes of
# spaces costs one pass instead of one pass per space: the check stays linear in the text.
MARKUP = re.compile(r"<\s*+/?\s*+[A-Za-z!?][^<>]*+>|<\s*+[A-Za-z][\w-]*+\s*+/?\s*+$")
# Control characters other than tab, line feed and carriage return, lone surrogates and
# noncharacters: they make SVG and KML invalid, cut names short in GeoPackage, or cannot be
# written out at all.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
    "|[\U0001fffe\U0001ffff\U0010fffe\U0010ffff]"
)
# Characters that reorder text (the "Trojan Source" trick): never in layer text.
BIDI_OVERRIDES = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Invisible characters. Persian needs the zero-width non-joiner in running text, so these are
# refused only where text names something: one invisible character would make two actors.
INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\u061c\u180e\ufeff\u00ad]")
NAMING_FIELDS = frozenset(
    {"id", "name", "actor", "kind", "country", "title", "publisher", "group", "target", "topic"}
)
# Free text may run over several lines; everything else is one line.
MULTILINE_FIELDS = frozenset(
    {
        "description",
        "note",
        "quote",
        "date_note",
        "location_note",
        "actor_note",
        "outcome",
        "relation_to_iran",
        "value",
    }
)
# Dates and addresses say their own words about a stray line break.
OWN_WHITESPACE_RULE = frozenset(
    {"start", "end", "published", "accessed", "as_of", "reviewed", "url", "archive_url", "source"}
)
CHARACTER_NAMES = {
    "\t": "a tab",
    "\n": "a line break",
    "\r": "a carriage return",
    "\x00": "a NUL character",
    "\x0b": "a vertical tab",
}


@lru_cache(maxsize=1)
def plain_text_fields() -> frozenset[str]:
    """Every property the schema declares as plain text (or a list of it): the fields the
    markup check scans, derived so that a new field cannot be forgotten."""
    plain = "#/$defs/plainText"
    names = set()
    for definition_name in ("layer", "properties", "source", "claim", "origin"):
        for name, schema in layer_schema()["$defs"][definition_name]["properties"].items():
            if plain in (schema.get("$ref"), schema.get("items", {}).get("$ref")):
                names.add(name)
    return frozenset(names)


def check_text(ctx: Context) -> None:
    """Every key and string value of the document, without recursion (nesting is bounded when
    the file is read, but a stack costs nothing)."""
    plain = plain_text_fields()
    stack: list[tuple[Path_, object, str | None]] = [((), ctx.doc, None)]
    while stack:
        path, value, key = stack.pop()
        if isinstance(value, dict):
            for child_key, child in value.items():
                _check_string(ctx, (*path, child_key), child_key, None, is_key=True)
                stack.append(((*path, child_key), child, child_key))
        elif isinstance(value, list):
            stack.extend(((*path, n), child, key) for n, child in enumerate(value))
        elif isinstance(value, str):
            _check_string(ctx, path, value, key, is_key=False)
            if key in plain:
                _check_markup(ctx, path, value)


def _check_string(ctx: Context, path: Path_, text: str, key: str | None, is_key: bool) -> None:
    what = "a key" if is_key else "text"
    bad = FORBIDDEN.search(text)
    if bad:
        ctx.add(
            "control-character",
            path,
            f"{what} holds {_character_name(bad.group())} at character {bad.start() + 1}",
            "delete it; it is invisible, and exports cannot write it",
        )
        return
    if text.isascii():
        if not is_key and key not in MULTILINE_FIELDS and key not in OWN_WHITESPACE_RULE:
            _check_one_line(ctx, path, text, what)
        return
    bidi = BIDI_OVERRIDES.search(text)
    if bidi:
        ctx.add(
            "bidi-control",
            path,
            f"{what} holds {_character_name(bidi.group())}, which reorders what is shown",
            "delete it; write the text in the order it is read",
        )
        return
    if is_key or key in NAMING_FIELDS:
        hidden = INVISIBLE.search(text)
        if hidden:
            ctx.add(
                "invisible-character",
                path,
                f"{what} holds {_character_name(hidden.group())}: the same name would then "
                "look alike but not match",
                "delete it",
            )
            return
    if not unicodedata.is_normalized("NFC", text):
        ctx.add(
            "not-nfc",
            path,
            f"{what} is not in composed Unicode form (NFC): an accented letter is written as "
            "two characters, so the same name would not match",
            "write it composed; unicodedata.normalize('NFC', text) or an editor's "
            "'normalize' gives that form",
        )
        return
    if not is_key and key not in MULTILINE_FIELDS and key not in OWN_WHITESPACE_RULE:
        _check_one_line(ctx, path, text, what)


def _check_one_line(ctx: Context, path: Path_, text: str, what: str) -> None:
    char = next((c for c in "\n\r\t" if c in text), None)
    if char:
        ctx.add(
            "line-break",
            path,
            f"{what} holds {_character_name(char)}; {field_of(path) or 'this field'} is one line",
            "write it on one line",
        )


def _check_markup(ctx: Context, path: Path_, text: str) -> None:
    match = MARKUP.search(text)
    if match:
        ctx.add(
            "markup",
            path,
            f"text holds HTML markup {match.group()[:40]!r}",
            "write plain text; the map shows text exactly as written",
        )


def _character_name(char: str) -> str:
    if char in CHARACTER_NAMES:
        return CHARACTER_NAMES[char]
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name.lower()})" if name else "")
