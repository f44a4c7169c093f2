"""Sources and the URL policy: original pages only, archives in their own field, and every
claim backed by one of the feature's sources."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from geo.validate.context import Context, Path_, short

ARCHIVE_HOSTS = ("web.archive.org", "archive.org", "archive.ph", "archive.today", "archive.is")
# Hosts that copy other sites' pages. A citation must name the original page.
MIRROR_HOSTS = (
    "wikimili.com",
    "wikizero.com",
    "wikizero.net",
    "wikiwand.com",
    "wikiclassic.com",
    "owiki.org",
    "kiddle.co",
    "wikibrief.org",
    "zxc.wiki",
    "the-uncensored-wiki.com",
    "wikipedia-on-ipfs.org",
    "ipfs.io",
    "studentb.eu",
    "clateway.com",
    "paperai.life",
    "workers.dev",
    "netlify.app",
    "pages.dev",
    "translate.goog",
    "webcache.googleusercontent.com",
    "kiwix.org",
    "moltypedia.com",
    "azureedge.net",
    "haohe.fun",
)
MIRROR_PATTERN = re.compile(r"(^|\.)kiwix\.")
# A host is one of these or under one: one endswith() with a tuple, not a loop per host
# (100,000 rows that each cite their own page ask it 100,000 times).
_ARCHIVE = (frozenset(ARCHIVE_HOSTS), tuple("." + host for host in ARCHIVE_HOSTS))
_MIRROR = (frozenset(MIRROR_HOSTS), tuple("." + host for host in MIRROR_HOSTS))
WHITESPACE = re.compile(r"\s")
# An address of this shape is what urlsplit reads as scheme://host/rest, with no user, port,
# brackets, whitespace or non-ASCII host for it to treat specially: its host is the group, and
# the rules of its form (scheme, whitespace, readability) have nothing to say of it. Reading it
# so costs a tenth of urlsplit, which a table whose every row cites its own page calls per row.
PLAIN_URL = re.compile(r"[hH][tT][tT][pP][sS]?://([A-Za-z0-9.-]+)(?:[/?#]\S*)?")
ARCHIVE_FIX = f"use a copy on {', '.join(ARCHIVE_HOSTS[:3])}, or remove archive_url"
# What check_url says of an address's host, by code: the text (with the host) and the fix.
HOST_WORDS = {
    "archive-as-url": (
        "{host} is a web archive, not the original page",
        "put the original address in url and the archive copy in archive_url",
    ),
    "archive-host": ("archive_url {host} is not a web archive", ARCHIVE_FIX),
    "mirror": (
        "{host} is a mirror or proxy of other sites' pages",
        "cite the original page (for Wikipedia, the en.wikipedia.org article)",
    ),
}


def check_sources(ctx: Context, index: int) -> None:
    ppath: Path_ = ("features", index, "properties")
    props = ctx.doc["features"][index]["properties"]
    urls: set[str] = set()
    sources = props.get("sources")
    for number, source in enumerate(sources if isinstance(sources, list) else []):
        if not isinstance(source, dict):
            continue
        for key in ("url", "archive_url"):
            url = source.get(key)
            if isinstance(url, str):
                check_url(ctx, url, key, (*ppath, "sources", number, key))
                if key == "url":
                    urls.add(url)
    claims = props.get("claims")
    for number, claim in enumerate(claims if isinstance(claims, list) else []):
        cited = claim.get("source") if isinstance(claim, dict) else None
        if isinstance(cited, str) and cited not in urls:
            ctx.add(
                "claim-source",
                (*ppath, "claims", number, "source"),
                f"claim source {short(cited)} is not one of this feature's sources",
                "add that page to sources, or use one of their urls",
            )


def host_of(url: str) -> str | None:
    """The host of an http(s) URL, lower-case and without a trailing dot; None when the URL
    cannot be read as one."""
    plain = PLAIN_URL.fullmatch(url)
    if plain:
        return plain.group(1).lower().rstrip(".")
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return (host or "").lower().rstrip(".")


def is_mirror(host: str) -> bool:
    return _is_under(host, _MIRROR) or bool(MIRROR_PATTERN.search(host))


def _is_under(host: str, hosts: tuple[frozenset[str], tuple[str, ...]]) -> bool:
    exact, suffixes = hosts
    return host in exact or host.endswith(suffixes)


def check_url(ctx: Context, url: str, key: str, path: Path_) -> None:
    scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
    if scheme not in ("http", "https"):
        return  # the schema's pattern says why
    if WHITESPACE.search(url):
        # JSON Schema's "$" also matches before a final line break, so the pattern lets it in
        ctx.add(
            "whitespace",
            path,
            f"{path[-3]}[{path[-2]}].{key} holds a space or line break",
            "write the address alone, with spaces encoded as %20",
        )
    host = host_of(url)
    if host is None:
        ctx.add(
            "bad-url",
            path,
            f"{short(url)} cannot be read as an address (an unbalanced '[' or ']'?)",
            "copy the address from the browser's address bar; encode [ and ] as %5B and %5D",
        )
        return
    for code in host_rules(host, key):
        text, fix = HOST_WORDS[code]
        ctx.add(code, path, text.format(host=host), fix)


@lru_cache(maxsize=4096)
def host_rules(host: str, key: str) -> tuple[str, ...]:
    """The codes of the rules an address at ``key`` (url or archive_url) breaks by its host,
    in check_url's order."""
    is_archive = _is_under(host, _ARCHIVE)
    codes = []
    if key == "url" and is_archive:
        codes.append("archive-as-url")
    elif key == "archive_url" and not is_archive:
        codes.append("archive-host")
    if is_mirror(host):
        codes.append("mirror")
    return tuple(codes)


def url_is_quiet(url: str, key: str) -> bool:
    """True when check_url would say nothing of ``url`` at ``key``, decided without urlsplit;
    False when it may say something, or the address is not of the plain shape: ask check_url.
    """
    plain = PLAIN_URL.fullmatch(url)
    return plain is not None and not host_rules(plain.group(1).lower().rstrip("."), key)
