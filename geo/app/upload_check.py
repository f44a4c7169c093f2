"""Check an upload in a separate process, so that no file can hold the app's server.

Streamlit serves every session from one Python process. A check that runs in the script thread
shares the interpreter lock with the web server: pure Python yields it every few milliseconds,
but one long C call (a regular expression, a JSON parse) does not, and while it runs no page,
no other session and not even the health endpoint answers. In a child process the worst an
upload can do is use one core until it is stopped after :data:`CHECK_TIMEOUT_S`.

The upload is written to a file in the session's upload folder, and the child gets its path
(not 200 MB of bytes down a pipe). The child reads a pickled request on stdin, reports its stage
on stderr one line at a time and writes a pickled result on stdout: a small layer as features,
a big one as the path of the GeoParquet layer it wrote in the upload folder.
``python -m geo.app.upload_check`` is that child.
"""

from __future__ import annotations

import datetime as dt
import pickle
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from geo.app.upload import MAX_UPLOAD_BYTES, Taken, load_upload_file, new_workdir, too_big
from geo.model import Layer, Message

CHECK_TIMEOUT_S = 60.0  # for any file, plus CHECK_S_PER_MB for each megabyte
CHECK_S_PER_MB = 2.0
MAX_MESSAGES = 200  # kept and shown; the rest are counted
POLL_S = 0.2
ROOT = Path(__file__).resolve().parents[2]  # where ``-m geo...`` finds this package


@dataclass
class Outcome:
    """A checked upload: the layer (or None), the first messages and how many there were."""

    layer: Layer | None
    messages: list[Message]
    total: int = 0
    seconds: float = 0.0
    stages: list[str] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.total - len(self.messages)


def check_upload(
    name: str,
    raw: bytes | Path,
    taken: Taken,
    on_progress: Callable[[str, float], None] | None = None,
    timeout: float | None = None,
    today: dt.date | None = None,
    fmt: str = "auto",
    workdir: Path | None = None,
) -> Outcome:
    """Run :func:`geo.app.upload.load_upload_file` in a child process and wait for it, calling
    ``on_progress(stage, seconds)`` every :data:`POLL_S` while it works.

    ``raw`` is the upload's bytes or a file that holds them; a big upload's layer is written in
    ``workdir`` (a new temporary folder if not given). If the caller is interrupted (Streamlit
    stops a script run by raising in it), the child is killed on the way out."""
    started = time.monotonic()
    size = raw.stat().st_size if isinstance(raw, Path) else len(raw)
    if size > MAX_UPLOAD_BYTES:  # not worth a process
        return Outcome(None, [too_big(name, size)], 1)
    if timeout is None:
        timeout = CHECK_TIMEOUT_S + CHECK_S_PER_MB * size / 1024**2
    workdir = workdir or new_workdir()
    workdir.mkdir(parents=True, exist_ok=True)
    staging = None
    if isinstance(raw, Path):
        path = raw
    else:  # under the user's file name, which the layer's provenance records
        staging = workdir / f"upload-{time.time_ns()}"
        staging.mkdir()
        path = staging / _file_name(name)
        path.write_bytes(raw)
    before = set(workdir.iterdir())
    outcome = None
    try:
        outcome = _run_child(name, path, fmt, taken, today, workdir, on_progress, timeout, started)
        return outcome
    finally:
        if staging is not None:
            path.unlink(missing_ok=True)
            staging.rmdir()
        if outcome is None or outcome.layer is None:  # stopped or refused: nothing is kept
            _remove_new(workdir, before)


def _remove_new(workdir: Path, before: set[Path]) -> None:
    """Remove what a check that gave no layer left in ``workdir``: a child stopped at its
    time limit or killed leaves its half-written files (an expanded GeoJSON, a layer's
    temporary file), which would otherwise stay until the session ends."""
    for entry in set(workdir.iterdir()) - before:
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _run_child(
    name: str,
    path: Path,
    fmt: str,
    taken: Taken,
    today: dt.date | None,
    workdir: Path,
    on_progress: Callable[[str, float], None] | None,
    timeout: float,
    started: float,
) -> Outcome:
    request = pickle.dumps((name, path, fmt, taken, today or dt.date.today(), workdir))
    child = subprocess.Popen(
        [sys.executable, "-m", "geo.app.upload_check"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    stages: list[str] = ["starting the check"]
    output: list[bytes] = []
    threads = [
        threading.Thread(target=_feed, args=(child, request), daemon=True),
        threading.Thread(target=lambda: output.append(child.stdout.read()), daemon=True),
        threading.Thread(target=_follow, args=(child, stages), daemon=True),
    ]
    try:
        for thread in threads:
            thread.start()
        while child.poll() is None:
            elapsed = time.monotonic() - started
            if elapsed > timeout:  # the finally clause stops the child
                return Outcome(None, [_stopped(name, timeout)], 1, elapsed, stages)
            if on_progress:
                on_progress(stages[-1], elapsed)
            time.sleep(POLL_S)
        for thread in threads:
            thread.join(timeout=5)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
    elapsed = time.monotonic() - started
    try:
        layer, messages, total = pickle.loads(output[0])
    except Exception:  # the child died (out of memory, killed) before it could answer
        text = f"the check stopped without an answer (exit status {child.returncode})"
        return Outcome(None, [_failed(name, text)], 1, elapsed, stages)
    return Outcome(layer, messages, total, elapsed, stages)


def _file_name(name: str) -> str:
    """The user's file name if it can name a file here, else ``upload``."""
    base = Path(name.replace("\\", "/")).name.strip(". ")
    fits = base.isprintable() and 0 < len(base.encode("utf-8")) <= 200
    return base if fits else "upload"


def _feed(child: subprocess.Popen, request: bytes) -> None:
    try:
        child.stdin.write(request)
        child.stdin.close()
    except OSError:  # the child is gone; its exit status tells the rest
        pass


def _follow(child: subprocess.Popen, stages: list[str]) -> None:
    for line in child.stderr:
        text = line.decode("utf-8", "replace").strip()
        if text.startswith("stage: "):
            stages.append(text.removeprefix("stage: "))


def _stopped(name: str, timeout: float) -> Message:
    return Message(
        "error",
        "upload-timeout",
        name,
        f"the check took longer than {timeout:.0f} s and was stopped",
        "check the file with python -m geo validate, or upload a smaller one",
    )


def _failed(name: str, text: str) -> Message:
    return Message("error", "upload-failed", name, text, "check it with python -m geo validate")


def _child() -> None:
    name, path, fmt, taken, today, workdir = pickle.loads(sys.stdin.buffer.read())

    def tell(stage: str) -> None:
        sys.stderr.write(f"stage: {stage}\n")
        sys.stderr.flush()

    try:
        layer, messages = load_upload_file(name, path, taken, workdir, fmt, today, tell)
    except Exception as exc:  # a bug in a check must not reach the analyst as a traceback
        layer, messages = (
            None,
            [_failed(name, f"the check failed: {type(exc).__name__}: {str(exc)[:200]}")],
        )
    result = (layer, messages[:MAX_MESSAGES], len(messages))
    sys.stdout.buffer.write(pickle.dumps(result))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _child()
