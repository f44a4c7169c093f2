"""Input built to make a rule slow or a command crash: every command still answers, at once."""

from __future__ import annotations

import re
import time

from hypothesis import given
from hypothesis import strategies as st

from geo.validate import MARKUP
from tests.helpers import feature, layer_doc, run_cli, write_doc

# The markup pattern as it was before it was made linear: the reference for what must match.
BACKTRACKING_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!?][^<>]*>|<\s*[A-Za-z][\w-]*\s*/?\s*$")
MEGABYTE = 1_000_000


@given(st.text(alphabet="<>/ \t\n!?ab-_9", max_size=40))
def test_the_linear_markup_check_matches_what_the_old_one_did(text):
    old, new = BACKTRACKING_MARKUP.search(text), MARKUP.search(text)
    assert (old and old.span()) == (new and new.span())


def hostile_names() -> list[str]:
    """Text shapes that made the old markup check take hours: a "<" and a long run of spaces."""
    return [
        "<" + " " * MEGABYTE,
        "<a" + " " * MEGABYTE + "x",
        "<" + " " * MEGABYTE + "/" + " " * MEGABYTE,
        "< " * (MEGABYTE // 2),
    ]


def test_validate_answers_on_a_hostile_5_mb_file(tmp_path):
    features = [feature(f"hostile-{n}", name=name) for n, name in enumerate(hostile_names())]
    path = write_doc(tmp_path / "hostile.geojson", layer_doc(*features))
    assert path.stat().st_size > 5 * MEGABYTE
    started = time.monotonic()
    # The old check took about 40 s on 60 kB and hours on this; the bound only proves it ends.
    result = run_cli("validate", str(path))
    assert time.monotonic() - started < 60
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4 and all("is longer than 4000 characters" in line for line in lines)
