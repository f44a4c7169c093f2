"""The command line: ``python -m geo COMMAND``. Each command's docstring is its --help."""

from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from geo.analysis.command import add_analyze_parser
from geo.export.command import add_export_parser
from geo.model import Message, printable

DEFAULT_LAYERS = Path("layers")
EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A command line that cannot be carried out as written (exit 2)."""


def cmd_validate(args: argparse.Namespace) -> int:
    """Check layer files against the format and report every problem.

    Each problem is one line: file:line: feature <id>: <field>: <what is wrong> - <how to fix>.
    Exit status: 0 clean, 1 errors (or warnings with --strict), 2 usage errors.

    Example:
      python -m geo validate
      python -m geo validate layers/us-sites.geojson --format github
    """
    from geo.validate import has_errors, validate_paths

    paths = _existing_paths(args.paths)
    started = time.perf_counter()
    messages = validate_paths(paths)
    elapsed = time.perf_counter() - started
    _print_messages(messages, args.format)
    errors = sum(m.level == "error" for m in messages)
    warnings = len(messages) - errors
    if args.format == "text":
        from geo.validate import layer_files

        count = len(layer_files(paths))
        print(
            f"{count} file(s) checked in {elapsed:.2f} s: {errors} error(s), {warnings} warning(s)",
            file=sys.stderr,
        )
    return EXIT_ERRORS if has_errors(messages, args.strict) else EXIT_OK


def cmd_fmt(args: argparse.Namespace) -> int:
    """Rewrite GeoJSON layer files in the one canonical form (key order, 6-decimal coordinates,
    RFC 7946 winding, one trailing newline). A file that does not parse is left untouched;
    GeoParquet layers are skipped.

    With --check nothing is written: the files that would change are listed and the exit status
    is 1 if there are any.

    Example:
      python -m geo fmt
      python -m geo fmt --check layers/events.geojson
    """
    from geo.fmt import ReadError, format_file
    from geo.validate import layer_files

    failed = changed = 0
    for path in layer_files(_existing_paths(args.paths), suffixes=(".geojson",)):
        if path.suffix.lower() == ".parquet":  # named on the command line
            print(f"{printable(str(path))}: GeoParquet has no text form to format; skipped")
            continue
        try:
            if format_file(path, check=args.check):
                changed += 1
                print(f"{'would reformat' if args.check else 'reformatted'} {path}")
        except ReadError as exc:
            failed += 1
            for message in exc.messages:
                print(message.format() + " (file left untouched)", file=sys.stderr)
        except OSError as exc:
            failed += 1
            print(
                f"{path}: cannot write the file: {exc.strerror} (file left untouched)",
                file=sys.stderr,
            )
    if failed or (args.check and changed):
        return EXIT_ERRORS
    return EXIT_OK


def cmd_layers(args: argparse.Namespace) -> int:
    """List the layers: group, feature count, the day each was last reviewed against its
    sources and its newest dated feature.

    Example:
      python -m geo layers
    """
    from geo.catalog import load_catalog

    catalog = load_catalog(_existing_paths(args.paths)[0])
    for message in catalog.messages:
        print(message.format(), file=sys.stderr)
    print(f"{'layer':<20} {'group':<16} {'features':>8}  {'reviewed':<10}  {'newest':<10}  title")
    for layer in catalog.layers:
        line = (
            f"{layer.id:<20} {layer.group:<16} {len(layer.features):>8}  "
            f"{layer.reviewed or 'never':<10}  {_newest_date(layer) or '-':<10}  {layer.title}"
        )
        print(printable(line))
    return EXIT_ERRORS if catalog.messages else EXIT_OK


def _newest_date(layer) -> str | None:
    """The latest start or end written in the layer, as written."""
    from geo.catalog import is_stored
    from geo.model import DateError, PartialDate

    if is_stored(layer):  # asked of the file, not read row by row
        return layer.features.table.newest_date()

    newest: PartialDate | None = None
    for feature in layer.features:
        for key in ("start", "end"):
            try:
                date = PartialDate.parse(feature["properties"].get(key))
            except DateError:
                continue
            if newest is None or date.last_day() > newest.last_day():
                newest = date
    return newest.iso() if newest else None


def cmd_import(args: argparse.Namespace) -> int:
    """Import an ACLED or UCDP GED export (CSV, plain, gzipped or zipped) as an events layer.

    --format acled or ucdp: each row becomes one event that keeps the dataset's id (source_id),
    actors, fatalities and source text, cites the dataset itself, and carries the dataset's
    precision codes mapped to ours (see layers/README.md, 'Imported event data').
    --format csv (the map's own CSV columns) or geojson (a FeatureCollection): features that
    fail the validator are left out. A row that cannot be placed is left out with one line
    naming its line and id; the rest are imported. The layer is written whole or not at all,
    next to the input (FILE.geojson) unless -o says where; -o NAME.parquet writes a GeoParquet
    layer, the store for big layers (no size limit). --format geoparquet reads a GeoParquet
    file (ours or a plain one) like a GeoJSON one. Exit status: 0 written, 1 nothing
    written (the file cannot be imported, or no row could be).

    Example:
      python -m geo import 2024-acled-export.csv --format acled
      python -m geo import GEDEvent_v25_1.csv.gz --format ucdp -o ucdp-syria.geojson
      python -m geo import my-points.csv --format csv
      python -m geo import 2024-acled-export.csv --format acled -o my-layers/acled-2024.parquet
    """
    from geo.ingest import ImportFileError, Options, import_file
    from geo.io import MAX_BYTES
    from geo.model import DateError, PartialDate
    from geo.validate.text import MARKUP

    source = Path(args.file)
    if not source.is_file():
        raise UsageError(f"no such file: {source}")
    if args.accessed:
        try:
            accessed = PartialDate.parse(args.accessed)
        except DateError:
            accessed = None
        if accessed is None or accessed.precision != "day" or accessed.first_day() > date.today():
            raise UsageError(f"--accessed {args.accessed!r} is not a past day YYYY-MM-DD")
    if args.title and (MARKUP.search(args.title) or not args.title.isprintable()):
        raise UsageError("--title is plain text on one line, without markup")
    if args.layer_id and not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", args.layer_id):
        raise UsageError(f"--layer-id {args.layer_id!r} is not kebab-case, e.g. ucdp-syria-2016")
    output = Path(args.output) if args.output else _import_output(source)
    if not args.output and output.exists():  # a name we chose never replaces the user's file
        raise UsageError(f"{output} exists; name the layer to write with -o")
    if output.resolve() == source.resolve():
        raise UsageError(f"the output {output} is the input file; name another with -o")
    options = Options(
        layer_id=args.layer_id,
        title=args.title,
        accessed=args.accessed,
        version=args.version,
        columnar=output.suffix.lower() == PARQUET_SUFFIX,  # the columnar import writes Parquet
    )
    started = time.perf_counter()
    try:
        result = import_file(source, args.format, options)
    except ImportFileError as exc:
        print(printable(f"{source}: {exc} (nothing written)"), file=sys.stderr)
        return EXIT_ERRORS
    for message in result.problems:
        print(message.format(), file=sys.stderr)
    imported = len(result.doc["features"])
    if not imported:
        print(printable(f"{source}: no row could be imported (nothing written)"), file=sys.stderr)
        return EXIT_ERRORS
    try:
        size = _write_import(result.doc, output)
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        print(printable(f"{output}: cannot write the layer: {reason}"), file=sys.stderr)
        return EXIT_ERRORS
    if size > MAX_BYTES and output.suffix.lower() != PARQUET_SUFFIX:
        print(
            printable(
                f"{output}: warning: the layer is {size:,} bytes, over the "
                f"{MAX_BYTES:,} a GeoJSON layer file may have, so validate and the app refuse "
                "it - write it as GeoParquet (-o NAME.parquet), or import a smaller export"
            ),
            file=sys.stderr,
        )
    elapsed = time.perf_counter() - started
    print(
        printable(
            f"{output}: {imported:,} of {result.rows:,} rows imported "
            f"({len(result.problems):,} left out) in {elapsed:.2f} s"
        ),
        file=sys.stderr,
    )
    return EXIT_OK


PARQUET_SUFFIX = ".parquet"  # as geo.validate.read, without importing the validator here


def _write_import(doc: dict, output: Path) -> int:
    """Write the imported layer atomically, as GeoParquet for a .parquet path and as canonical
    GeoJSON otherwise; the size written."""
    if output.suffix.lower() == PARQUET_SUFFIX:
        from geo.store import parquet_bytes

        payload = parquet_bytes(doc["layer"], doc["features"])
    else:
        from geo.ingest.write import layer_bytes

        payload = layer_bytes(doc)
    from geo.io import write_atomic

    write_atomic(output, payload)
    return len(payload)


def _import_output(source: Path) -> Path:
    """FILE.csv.gz -> FILE.geojson, FILE.geojson -> FILE-layer.geojson, beside the input."""
    name = source.name
    for suffix in (".gz", ".zip", ".csv", ".txt", ".geojson", ".json", ".parquet", ".geoparquet"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    output = source.with_name((name or "import") + ".geojson")
    return output if output != source else source.with_name(f"{name}-layer.geojson")


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "validate": cmd_validate,
    "fmt": cmd_fmt,
    "layers": cmd_layers,
    "import": cmd_import,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m geo",
        description="A sourced, time-aware map of US force posture in the Middle East.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, func in COMMANDS.items():
        doc = (func.__doc__ or "").strip()
        summary = doc.splitlines()[0]
        cmd = sub.add_parser(
            name,
            help=summary,
            description=inspect.cleandoc(doc),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        cmd.set_defaults(func=func)
        if name == "validate":
            cmd.add_argument(
                "paths",
                nargs="*",
                type=Path,
                default=[DEFAULT_LAYERS],
                help="files or folders (default: layers/)",
            )
            cmd.add_argument("--strict", action="store_true", help="warnings fail too")
            cmd.add_argument(
                "--format",
                choices=["text", "github", "json"],
                default="text",
                help="text (default), github annotations, or a json list",
            )
        elif name == "fmt":
            cmd.add_argument(
                "paths",
                nargs="*",
                type=Path,
                default=[DEFAULT_LAYERS],
                help="files or folders (default: layers/)",
            )
            cmd.add_argument(
                "--check",
                action="store_true",
                help="write nothing; list files that would change, exit 1 if any",
            )
        elif name == "layers":
            cmd.add_argument(
                "paths",
                nargs="?",
                type=Path,
                default=DEFAULT_LAYERS,
                help="the layers folder (default: layers/)",
            )
        elif name == "import":
            _add_import_arguments(cmd)
    add_export_parser(sub)
    add_analyze_parser(sub)
    return parser


def _add_import_arguments(cmd: argparse.ArgumentParser) -> None:
    from geo.ingest import FORMATS

    cmd.add_argument(
        "file",
        type=Path,
        help="the export as downloaded (.csv, .csv.gz, .zip, .geojson or .parquet)",
    )
    cmd.add_argument("--format", required=True, choices=FORMATS, help="what the file is")
    cmd.add_argument(
        "-o",
        "--output",
        type=Path,
        help="the layer file to write, replaced if it exists: NAME.geojson, or NAME.parquet "
        "for a GeoParquet layer (default: FILE.geojson beside the export, never replaced)",
    )
    cmd.add_argument("--layer-id", help="the layer's id (default: from the file name)")
    cmd.add_argument("--title", help="the layer's title")
    cmd.add_argument(
        "--accessed",
        help="the day you downloaded the export, YYYY-MM-DD (default: the file's date)",
    )
    cmd.add_argument("--version", help="the dataset's version, e.g. 25.1 (UCDP)")


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        # A character the terminal's encoding lacks is printed escaped, never a traceback.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    if isinstance(getattr(args, "paths", None), Path):
        args.paths = [args.paths]
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"python -m geo {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader stopped early (python -m geo validate | head): not an error of ours. Point
        # stdout at nothing so that the interpreter's final flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for a command ended by SIGPIPE


def _existing_paths(paths: Sequence[Path]) -> list[Path]:
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    return list(paths)


def _print_messages(messages: list[Message], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps([m.as_dict() for m in messages], indent=2, ensure_ascii=False))
        return
    for message in messages:
        if fmt == "github":
            print(_github_annotation(message))
        else:
            print(message.format())


def _github_annotation(message: Message) -> str:
    def escape(text: str, prop: bool = False) -> str:
        # GitHub reads %0A as a line break inside the annotation; a raw one would end it and
        # let the rest of the text forge a new workflow command.
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        text = printable(text)
        return text.replace(":", "%3A").replace(",", "%2C") if prop else text

    where = f"file={escape(message.file, True)}"
    if message.line:
        where += f",line={message.line}"
    title = "feature " + message.feature if message.feature else "layer file"
    if message.field:
        title += f": {message.field}"
    body = message.text + (f" - {message.fix}" if message.fix else "")
    return f"::{message.level} {where},title={escape(title, True)}::{escape(body)}"
