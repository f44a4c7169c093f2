"""The README's lines for running ``python -m geo`` after ``make run`` or ``make test`` work as
printed, from the repository's root, in a shell with nothing of ours on its path."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

MARKER = "<!-- tests/test_readme_run.py runs each line of this block from a copy of the root -->"


def readme_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(re.escape(MARKER) + r"\n```sh\n(.*?)```", text, re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def root_after_make(tmp_path: Path) -> Path:
    """The repository's root as ``make`` leaves it: our files, and ``.venv`` holding the
    project's dependencies. Here ``.venv`` is the Python running the tests (the checkout's own
    ``.venv`` when there is one); everything else links to the checkout."""
    root = tmp_path / "root"
    root.mkdir()
    for entry in ROOT.iterdir():
        if entry.name != ".venv":
            (root / entry.name).symlink_to(entry)
    (root / ".venv").symlink_to(Path(sys.prefix))
    return root


def clean_env() -> dict[str, str]:
    """A login shell's environment: no venv active, nothing of ours on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    return env


def test_the_readme_says_how_to_run_the_command_line():
    lines = readme_lines()
    assert len(lines) >= 2, "the README lost its marked blocks for running python -m geo"
    assert all("-m geo" in line for line in lines)


@pytest.mark.parametrize("line", readme_lines())
def test_each_readme_line_runs_from_the_root(tmp_path, line):
    if Path(sys.prefix) == Path(sys.base_prefix):
        pytest.fail("run the tests from a venv (make test does), as the README's lines need one")
    root = root_after_make(tmp_path)
    result = subprocess.run(
        ["/bin/sh", "-c", line],
        cwd=root,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{line!r} failed:\n{result.stderr[-2000:]}"
    assert re.search(r"^us-sites\s+us-posture", result.stdout, re.MULTILINE), result.stdout
    assert "Traceback" not in result.stderr
