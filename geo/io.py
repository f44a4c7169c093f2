"""Strict reading of layer files and atomic writing.

Reading refuses what JSON allows only by accident (NaN, Infinity, duplicate keys), what editors add
silently (a byte-order mark) and what would hurt the app (a huge file), each with its own message.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from geo.jsonpos import index_positions, line_number
from geo.model import Message

MAX_BYTES = 20 * 1024 * 1024
MAX_DEPTH_HINT = "GeoJSON needs no more than a few levels of nesting"
# A MultiPolygon's positions sit six levels down and a claim's text five; 64 leaves room for any
# foreign member while keeping every recursive reader (schema, formatter) far from its limit.
MAX_DEPTH = 64


class ReadError(Exception):
    """A file that cannot be read as strict JSON; ``messages`` say why and where (``message`` is
    the first of them)."""

    def __init__(self, message: Message, more: list[Message] | None = None) -> None:
        super().__init__(message.format())
        self.message = message
        self.messages = [message, *(more or [])]


class _DuplicateKey(ValueError):
    pass


class _NonFinite(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise _NonFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(text)
    return value


def _error(name: str, code: str, text: str, fix: str, line: int | None = None) -> ReadError:
    return ReadError(Message("error", code, name, text, fix, line=line))


def parse_json_bytes(raw: bytes, name: str, max_bytes: int = MAX_BYTES) -> tuple[Any, str]:
    """Parse ``raw`` as strict JSON; return the document and its text.

    Raises
    ------
    ReadError
        With a message that names ``name``, the line where it can, and the fix.
    """
    if len(raw) > max_bytes:
        raise _error(
            name,
            "too-large",
            f"file is {len(raw):,} bytes, over the limit of {max_bytes:,}",
            "split the layer into several files",
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raise _error(
            name,
            "bom",
            "file starts with a UTF-8 byte-order mark",
            "save it as UTF-8 without BOM (run python -m geo fmt on it)",
            1,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = line_number(raw, exc.start)
        raise _error(
            name, "not-utf8", f"byte {exc.start} is not UTF-8", "save the file as UTF-8", line
        ) from None
    if not text.strip():
        raise _error(
            name,
            "empty",
            "file is empty",
            "write a FeatureCollection (see layers/README.md) or delete the file",
        )
    try:
        doc = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
        )
    except _DuplicateKey as exc:
        raise _duplicate_keys(name, text, exc.args[0]) from None
    except _NonFinite as exc:
        token = exc.args[0]
        constant = token in ("NaN", "Infinity", "-Infinity")
        raise _error(
            name,
            "non-finite",
            f"{token} is not valid JSON" if constant else f"{token} is too large for a number",
            "write a number, or null where there is no value",
            _line_of_token(text, token),
        ) from None
    except json.JSONDecodeError as exc:
        # json counts only LF as a line break; a file saved with CR line ends would be "line 1".
        line = line_number(text, exc.pos)
        line_start = max(text.rfind("\n", 0, exc.pos), text.rfind("\r", 0, exc.pos)) + 1
        column = exc.pos - line_start + 1
        raise _error(
            name,
            "not-json",
            f"not valid JSON: {exc.msg} (line {line}, column {column})",
            "fix the syntax there; a linter such as jsonlint points at it too",
            line,
        ) from None
    except RecursionError:
        raise _error(
            name, "too-deep", "JSON is nested too deeply to read", MAX_DEPTH_HINT
        ) from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise _error(
            name,
            "bad-number",
            f"a number cannot be read: {str(exc).split(';')[0]}",
            "write coordinates and figures as ordinary decimal numbers",
        ) from None
    if _deeper_than(doc, MAX_DEPTH):
        raise _error(
            name,
            "too-deep",
            f"JSON is nested more than {MAX_DEPTH} levels deep",
            MAX_DEPTH_HINT,
        )
    return doc, text


def _deeper_than(doc: Any, limit: int) -> bool:
    """Whether any value lies more than ``limit`` containers down, found without recursion."""
    stack = [(doc, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((child, depth + 1) for child in value.values() if _is_container(child))
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value if _is_container(child))
    return False


def _is_container(value: Any) -> bool:
    return isinstance(value, dict | list)


def _duplicate_keys(name: str, text: str, first_key: str) -> ReadError:
    """Every duplicate key, each at its own line (the parser stops at the first it meets)."""
    found = index_positions(text).duplicates or [((first_key,), None)]
    messages = [
        Message(
            "error",
            "duplicate-key",
            name,
            f"key {path[-1]!r} appears twice in one object",
            "keep one of them; JSON readers silently drop the other",
            line=line,
        )
        for path, line in found
    ]
    return ReadError(messages[0], messages[1:])


def _line_of_token(text: str, token: str) -> int | None:
    pos = text.find(token)
    return line_number(text, pos) if pos >= 0 else None


def read_json_file(path: Path, max_bytes: int = MAX_BYTES) -> tuple[Any, str]:
    """Read and strictly parse a file; see :func:`parse_json_bytes`."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _error(
                name,
                "too-large",
                f"file is {size:,} bytes, over the limit of {max_bytes:,}",
                "split the layer into several files",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise _error(
            name, "unreadable", f"cannot read the file: {exc.strerror}", "check the path"
        ) from None
    return parse_json_bytes(raw, name, max_bytes)


class NotAFileError(OSError):
    """The path names something other than a regular file (a FIFO, a device, a socket): writing
    over it would replace it, so it is refused."""


def check_writable_target(path: Path) -> Path:
    """The regular file that writing to ``path`` replaces: ``path`` itself, or the file a
    symlink at ``path`` names (it may not exist yet).

    Raises
    ------
    NotAFileError
        When ``path`` (or what a symlink at it names) exists and is not a regular file.
    OSError
        When the path cannot be looked up (a symlink loop, say).
    """
    target = Path(os.path.realpath(path, strict=False))
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    if stat.S_ISREG(mode):
        return target
    kind = _kind(mode)
    shown = str(path) if target == Path(os.path.abspath(path)) else f"{path} -> {target}"
    raise NotAFileError(
        f"{shown!r} is {kind}, not a regular file, and writing would replace it; "
        "give the name of a new or regular file with -o"
    )


def _kind(mode: int) -> str:
    for test, word in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return word
    return "not a file"


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a mix.

    The data goes to a temporary file in the same folder, is flushed to disk, and then replaces
    ``path`` in one rename; the folder is flushed too, so that the rename survives a crash. On
    any error (a full disk, say) the temporary file is removed and ``path`` is untouched. A
    symlink is written through to the file it names. Text that UTF-8 cannot hold (a lone
    surrogate) raises UnicodeEncodeError before anything is written.

    Raises
    ------
    NotAFileError
        When ``path`` exists and is not a regular file (a FIFO or a device would be replaced).
    """
    path = check_writable_target(Path(path))
    payload = data.encode("utf-8") if isinstance(data, str) else data
    # An existing file keeps its mode; a new one gets the usual 0666 less the umask, not the
    # temporary file's 0600.
    before = path.stat() if path.exists() else None
    mode = before.st_mode & 0o777 if before else 0o666 & ~_umask()
    # A short name: the target's own name may already be near the file system's limit.
    fd, tmp = tempfile.mkstemp(prefix=".posture-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if before and (before.st_uid, before.st_gid) != (os.getuid(), os.getgid()):
            _keep_owner(tmp, before)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _keep_owner(tmp: str, before: os.stat_result) -> None:
    """Give the new file the old one's owner where allowed (root exporting over a user's file
    should not leave them a file they cannot edit)."""
    with contextlib.suppress(OSError):
        os.chown(tmp, before.st_uid, before.st_gid)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # some systems cannot open a folder; the rename has still happened
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    """The process's umask, read without changing it (os.umask can only set and return)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022
