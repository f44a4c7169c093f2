"""The ``export`` command: ``python -m geo export FORMAT -o FILE [options]``.

geo/cli.py registers it with :func:`add_export_parser`; :func:`cmd_export` runs it.
"""

from __future__ import annotations

import argparse
import errno
import inspect
import os
import sys
from pathlib import Path

from geo.export.data import ExportInputError
from geo.export.view_args import ViewError, add_view_arguments, parse_size, view_from_args
from geo.io import NotAFileError, check_writable_target

FORMATS = ("html", "png", "svg", "pdf", "geojson", "csv", "kml", "gpkg")
EXIT_OK, EXIT_ERRORS = 0, 1
PROG = "python -m geo export"


class ExportError(Exception):
    """Input that cannot be exported; the text says what is wrong and how to fix it."""


def cmd_export(args: argparse.Namespace) -> int:
    """Export a view of the map as HTML, an image (PNG, SVG), a PDF briefing or data files.

    html is one self-contained page that works with no network; png and svg are slide-ready
    maps with labels, a north arrow, a scale bar and the numbered sources; pdf is a briefing
    of the map and then its numbered sources; geojson is a valid layer file; csv, kml and
    gpkg carry every field and citation.
    With no layer or date option every layer and every date is exported. Dates are YYYY,
    YYYY-MM or YYYY-MM-DD; a partial --as-of or --to means its last day, a partial --from its
    first. --filter takes country=, actor=, kind=, status= or q= (free text); repeat it to
    combine. The file is written whole or not at all: it is made beside FILE, flushed to
    disk and renamed over it, so a failed write (a full disk, say) leaves an earlier FILE as
    it was. The map fits the posture and actor layers; what lies beyond appears as arrows at
    its edge. --extent WEST,SOUTH,EAST,NORTH sets the frame instead. A symlink is written
    through; a FIFO, device or folder is refused. On bad input
    nothing is written, one line on stderr says what to fix, and the exit status is 1. On
    success one line on stdout names the file and its size.

    Example:
      python -m geo export png -o map.png --as-of 2024-01-01
      python -m geo export html -o map.html --layers us-sites,events --from 2024 --to 2025
      python -m geo export csv -o events.csv --layers events --filter country=IQ
      python -m geo export svg -o sites.svg --layers us-sites --size 1600x900 --title "US sites"
      python -m geo export pdf -o briefing.pdf --as-of 2024-02-01 --extent 30,12,60,40
    """
    try:
        _export(args)
    except (ExportError, ViewError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_ERRORS
    return EXIT_OK


def add_export_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``export`` to the CLI's subcommands, with :func:`cmd_export`'s docstring as help."""
    doc = (cmd_export.__doc__ or "").strip()
    summary = doc.splitlines()[0]
    parser = subparsers.add_parser(
        "export",
        help=summary,
        description=inspect.cleandoc(doc),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=cmd_export)
    parser.add_argument("format", choices=FORMATS, help="what to write: " + ", ".join(FORMATS))
    parser.add_argument(
        "-o", "--output", required=True, type=Path, metavar="FILE", help="the file to write"
    )
    add_view_arguments(parser)
    parser.add_argument("--title", help="the map's title (default: one naming the date)")
    parser.add_argument(
        "--tiles",
        default="none",
        metavar="none|NAME",
        help="html only: a web tile layer under the offline basemap (default: none, no network)",
    )
    parser.add_argument(
        "--size",
        default="1920x1080",
        metavar="WxH",
        help="png, svg and pdf: the map's size in pixels at 150 dpi (default: 1920x1080)",
    )
    parser.add_argument(
        "--layers-dir",
        type=Path,
        default=Path("layers"),
        metavar="DIR",
        help="the layers folder (default: layers)",
    )


def _export(args: argparse.Namespace) -> None:
    fmt = args.format
    output = Path(args.output)
    size = parse_size(args.size) if fmt in ("png", "svg", "pdf") else None
    _check_output(output)
    catalog = _load(Path(args.layers_dir))
    _check_not_an_input(output, catalog)
    view = view_from_args(args, catalog)
    if not catalog.shows_any(view):
        raise ExportError(
            "the view shows no feature: widen the dates (--as-of, --from, --to), "
            "remove a --filter, or choose other --layers"
        )
    try:
        if fmt == "html":
            data = _html(catalog, view, args.title, args.tiles)
        elif fmt in ("png", "svg", "pdf"):
            from geo.export.images import render_image

            assert size is not None
            data = render_image(catalog, view, fmt, size=size, title=args.title)
        else:
            from geo.export.data import data_bytes

            data = data_bytes(catalog, view, fmt, title=args.title, name=str(output))
        from geo.io import write_atomic

        write_atomic(output, data)
    except NotAFileError as exc:
        raise ExportError(str(exc)) from None
    except OSError as exc:
        raise ExportError(_os_problem(output, exc)) from None
    except ExportInputError as exc:
        raise ExportError(str(exc)) from None
    # The path as in error messages: quoted, and escaped where it is not valid text.
    print(f"wrote {str(output)!r}: {len(data):,} bytes of {fmt}")


def _html(catalog, view, title: str | None, tiles: str) -> bytes:
    try:
        from geo.export.html import html_bytes
        from geo.render import TILES
    except ImportError as exc:
        raise ExportError(
            f"html export is not available here ({exc}); export png, svg or a data format"
        ) from None
    if tiles not in TILES:
        raise ExportError(f"--tiles {tiles!r} is unknown: use one of {', '.join(TILES)}")
    return html_bytes(catalog, view, title=title, tiles=tiles)


def _load(folder: Path):
    from geo.catalog import load_catalog

    if not os.path.isdir(folder):  # False, not an error, for a name over the limit
        raise ExportError(
            f"layers folder {str(folder)!r} not found: run from the repository's root or pass "
            "--layers-dir DIR"
        )
    catalog = load_catalog(folder)
    if catalog.messages:
        files = sorted({message.file for message in catalog.messages})
        raise ExportError(
            f"{len(files)} layer file(s) have errors ({', '.join(files)}): run python -m geo "
            f"validate {folder} and fix them, so that the export shows every layer"
        )
    if not catalog.layers:
        raise ExportError(f"no layer files in {str(folder)!r}: pass --layers-dir DIR")
    return catalog


def _check_output(output: Path) -> None:
    """Refuse early a path that cannot be written, before any drawing."""
    try:
        if os.path.isdir(output):
            raise ExportError(
                f"{str(output)!r} is a folder: give a file name, e.g. {output}/map.png"
            )
        target = check_writable_target(output)
    except NotAFileError as exc:
        raise ExportError(str(exc)) from None
    except OSError as exc:  # a symlink loop, say
        raise ExportError(_os_problem(output, exc)) from None
    shown = str(output) if target == Path(os.path.abspath(output)) else f"{output} -> {target}"
    folder = target.parent
    if not folder.exists():
        raise ExportError(
            f"cannot write {shown!r}: folder {str(folder)!r} does not exist; create it "
            "(mkdir -p) or choose another -o"
        )
    if not folder.is_dir():
        raise ExportError(
            f"cannot write {shown!r}: {str(folder)!r} is not a folder; choose another -o"
        )
    # The new file is made in the folder and renamed over the old one, so it is the folder
    # that must be writable (a read-only file in a writable folder is refused too, as promised
    # by its mode).
    if not os.access(folder, os.W_OK | os.X_OK) or (
        target.exists() and not os.access(target, os.W_OK)
    ):
        raise ExportError(
            f"cannot write {shown!r}: permission denied; choose a folder you can write to"
        )


def _check_not_an_input(output: Path, catalog) -> None:
    """Refuse to write over a layer file the export reads: the contributor's file would
    become the export."""
    if not output.exists():
        return
    for layer in catalog.layers:
        try:
            same = layer.path.is_file() and os.path.samefile(layer.path, output)
        except OSError:
            same = False
        if same:
            raise ExportError(
                f"{str(output)!r} is the layer file {str(layer.path)!r} that this export reads; "
                "writing would replace the layer: choose another -o"
            )


# What to do about the errors a write meets most, by errno.
_FIXES = {
    errno.ENOSPC: "the disk is full; free some space or choose another folder with -o, and "
    "the earlier file is left as it was",
    errno.EDQUOT: "the disk quota is used up; free some space or choose another folder with -o",
    errno.EROFS: "the file system is read-only; choose another folder with -o",
    errno.EACCES: "permission denied; choose a folder you can write to with -o",
    errno.EPERM: "permission denied; choose a folder you can write to with -o",
    errno.ENAMETOOLONG: "the name is too long; choose a shorter one with -o",
    errno.ELOOP: "too many symlinks (a loop?); fix the link or choose another -o",
    errno.EIO: "an input/output error on the device; check it or choose another folder with -o",
}


def _os_problem(output: Path, exc: OSError) -> str:
    fix = _FIXES.get(exc.errno or 0)
    if fix is None:
        reason = " ".join((exc.strerror or str(exc)).split())
        fix = f"{reason}; choose a folder you can write to with -o"
    return f"cannot write {str(output)!r}: {fix}"
