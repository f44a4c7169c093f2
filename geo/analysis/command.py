"""The ``analyze`` command: ``python -m geo analyze distance|rings|exposure ...``.

geo/cli.py registers it with :func:`add_analyze_parser`; :func:`cmd_analyze` runs it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import sys
from pathlib import Path

from geo.model import DateError, PartialDate

PROG = "python -m geo analyze"
EXIT_OK, EXIT_ERRORS = 0, 1


class AnalyzeError(Exception):
    """Input the analysis cannot use; the text says what is wrong and how to fix it."""


def cmd_analyze(args: argparse.Namespace) -> int:
    """Measure distances, draw range rings and tabulate the exposure of US sites.

    distance ID ID prints the geodesic distance (WGS84) and the initial bearing from the first
    feature to the second; an area is measured to the nearest point of its boundary. Iran's
    territory is the id country-ir.
    rings writes a layer file of geodesic range rings, one per sourced range of --class, around
    the --origin areas as they stood on --as-of (iran, houthis, south-lebanon, iraqi-militias).
    exposure writes one CSV row per US site active on --as-of: the distance to each actor's
    nearest area, the classes in data/missile_ranges.csv that reach it and the strikes it has
    taken; --layers-out DIR also writes the sites as layer files, one per count of classes.
    A layer file written here can be exported with the other layers (copy it into a layers
    folder and run python -m geo export ... --layers-dir FOLDER). --as-of defaults to today.
    Files are written whole or not at all; on bad input one line on stderr says what to fix and
    the exit status is 1.

    Example:
      python -m geo analyze distance al-udeid-air-base country-ir
      python -m geo analyze rings --origin houthis --class Burkan-2H -o rings.geojson
      python -m geo analyze exposure --as-of 2025-06-30 -o exposure.csv
    """
    try:
        return _run(args)
    except AnalyzeError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_ERRORS


def add_analyze_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``analyze`` to the CLI's subcommands, with :func:`cmd_analyze`'s docstring as help."""
    doc = (cmd_analyze.__doc__ or "").strip()
    parser = subparsers.add_parser(
        "analyze",
        help=doc.splitlines()[0],
        description=inspect.cleandoc(doc),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=cmd_analyze)
    parser.add_argument("task", choices=("distance", "rings", "exposure"), help="what to do")
    parser.add_argument("ids", nargs="*", metavar="ID", help="distance: the two feature ids")
    parser.add_argument("--as-of", metavar="DATE", help="YYYY, YYYY-MM or YYYY-MM-DD")
    parser.add_argument("--origin", help="rings: iran, houthis, south-lebanon or iraqi-militias")
    parser.add_argument("--class", dest="weapon", metavar="CLASS", help="rings: a class name")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="the file to write")
    parser.add_argument("--layers-out", type=Path, metavar="DIR", help="exposure: layer files")
    parser.add_argument(
        "--layers-dir", type=Path, default=Path("layers"), metavar="DIR", help="default: layers"
    )


def _run(args: argparse.Namespace) -> int:
    catalog = _catalog(args.layers_dir)
    as_of = _as_of(args.as_of)
    if args.task == "distance":
        return _distance(catalog, args.ids)
    if args.ids:
        raise AnalyzeError(f"{args.task} takes no feature ids: remove {' '.join(args.ids)}")
    if args.output is None:
        raise AnalyzeError(f"{args.task} needs -o FILE: the file to write")
    if args.task == "rings":
        return _rings(catalog, args, as_of)
    return _exposure(catalog, args, as_of)


def _distance(catalog, ids: list[str]) -> int:
    from geo.analysis.distance import between
    from geo.analysis.features import geometry_of

    if len(ids) != 2:
        raise AnalyzeError(f"distance takes two feature ids, not {len(ids)}")
    first, second = (geometry_of(catalog, feature_id) for feature_id in ids)
    if first is None or second is None:
        missing = ids[0] if first is None else ids[1]
        raise AnalyzeError(
            f"no feature {missing!r}: python -m geo layers lists the layers; country-ir is Iran"
        )
    result = between(first, second)
    bearing = "-" if result.bearing is None else f"{result.bearing:.1f}°"
    print(f"{ids[0]} -> {ids[1]}: {result.km:,.1f} km, initial bearing {bearing}")
    print(
        f"  from {result.start[1]:.5f}, {result.start[0]:.5f} to "
        f"{result.end[1]:.5f}, {result.end[0]:.5f} (lat, lon; WGS84 geodesic)"
    )
    return EXIT_OK


def _rings(catalog, args: argparse.Namespace, as_of: dt.date) -> int:
    from geo.analysis.layers import layer_document, ring_layer
    from geo.analysis.origins import ORIGINS, OriginError
    from geo.analysis.ranges import classes
    from geo.analysis.rings import RingError

    if args.origin not in ORIGINS:
        raise AnalyzeError(f"--origin {args.origin!r}: use one of {', '.join(ORIGINS)}")
    known = {weapon.name: weapon for weapon in classes(_table())}
    if args.weapon not in known:
        raise AnalyzeError(f"--class {args.weapon!r}: use one of {', '.join(sorted(known))}")
    try:
        layer = ring_layer(catalog, args.origin, known[args.weapon], as_of)
    except (OriginError, RingError) as exc:
        raise AnalyzeError(str(exc)) from None
    _write(args.output, json.dumps(layer_document(layer), ensure_ascii=False, indent=1) + "\n")
    print(f"{args.output}: {len(layer.features)} ring(s) on {as_of.isoformat()}", file=sys.stderr)
    return EXIT_OK


def _exposure(catalog, args: argparse.Namespace, as_of: dt.date) -> int:
    from geo.analysis.exposure import csv_text, exposure
    from geo.analysis.layers import exposure_layers, layer_document
    from geo.analysis.ranges import classes

    rows = exposure(catalog, as_of, classes(_table()))
    if not rows:
        raise AnalyzeError(f"no US site is active on {as_of.isoformat()}: choose a later --as-of")
    if args.layers_out is not None and not args.layers_out.is_dir():
        raise AnalyzeError(f"--layers-out {str(args.layers_out)!r} is not a folder: create it")
    _write(args.output, csv_text(rows))
    if args.layers_out is not None:
        for layer in exposure_layers(rows, as_of):
            text = json.dumps(layer_document(layer), ensure_ascii=False, indent=1) + "\n"
            _write(args.layers_out / f"{layer.id}.geojson", text)
    print(f"{args.output}: {len(rows)} site(s) on {as_of.isoformat()}", file=sys.stderr)
    return EXIT_OK


def _table():
    from geo.analysis.ranges import TableError, read_table

    try:
        return read_table()
    except TableError as exc:
        raise AnalyzeError(str(exc)) from None


def _catalog(folder: Path):
    from geo.catalog import load_catalog

    if not folder.is_dir():
        raise AnalyzeError(f"layers folder {str(folder)!r} not found: pass --layers-dir DIR")
    catalog = load_catalog(folder)
    if catalog.messages:
        files = sorted({message.file for message in catalog.messages})
        raise AnalyzeError(
            f"layer file(s) with errors ({', '.join(files)}): run python -m geo validate"
        )
    return catalog


def _as_of(text: str | None) -> dt.date:
    """A partial date means its last day, as in the export command."""
    if not text:
        return dt.date.today()
    try:
        return PartialDate.parse(text).last_day()
    except DateError as exc:
        raise AnalyzeError(f"--as-of: {exc}") from None


def _write(path: Path, text: str) -> None:
    from geo.io import write_atomic

    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise AnalyzeError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise AnalyzeError(f"cannot write {str(path)!r}: {exc.strerror}") from None
