"""Time and size of exporting the whole repository view (no options) in every format.

    .venv/bin/python benchmarks/export_bench.py [--runs 3] [--layers-dir layers]

Two timings per format, each the median of --runs runs: "in process" calls the export function
with the catalog already loaded (the cost a Streamlit download button pays); "CLI" runs
``python -m geo export FORMAT -o FILE`` in a fresh interpreter (what a presenter waits for,
start-up, imports and layer validation included). The CLI column is n/a until geo/cli.py
registers the export command.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.catalog import View, load_catalog  # noqa: E402
from geo.export.data import export_data  # noqa: E402
from geo.export.images import export_image  # noqa: E402

FORMATS = ("png", "svg", "geojson", "csv", "kml", "gpkg", "html")


def in_process(catalog, fmt: str, path: Path) -> None:
    if fmt in ("png", "svg"):
        export_image(catalog, View(), path, fmt)
    elif fmt == "html":
        from geo.io import write_atomic
        from geo.render import export_html

        write_atomic(path, export_html(catalog, View()))
    else:
        export_data(catalog, View(), path, fmt)


def timed(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run_cli(command: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)


def cli_available() -> bool:
    result = subprocess.run(
        [sys.executable, "-m", "geo", "export", "--help"],
        cwd=ROOT,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return result.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--layers-dir", type=Path, default=ROOT / "layers")
    args = parser.parse_args()
    catalog = load_catalog(args.layers_dir)
    features = sum(1 for _ in catalog.features(View()))
    with_cli = cli_available()
    print(
        f"Whole view: {features} features in {len(catalog.layers)} layers, "
        f"data version {catalog.data_version()}; median of {args.runs} runs\n"
    )
    print("| format  | in process (s) | CLI (s) | size (bytes) |")
    print("| ------- | -------------: | ------: | -----------: |")
    with tempfile.TemporaryDirectory() as folder:
        for fmt in FORMATS:
            path = Path(folder) / f"view.{fmt}"
            try:
                in_process(catalog, fmt, path)  # warm-up: imports, caches
            except ImportError as exc:
                print(f"| {fmt:<7} | n/a ({exc}) | | |")
                continue
            seconds = timed(lambda fmt=fmt, path=path: in_process(catalog, fmt, path), args.runs)
            size = path.stat().st_size
            cli = "n/a"
            if with_cli:
                out = Path(folder) / f"cli.{fmt}"
                command = [sys.executable, "-m", "geo", "export", fmt, "-o", str(out)]
                cli = f"{timed(lambda c=command: run_cli(c), args.runs):.2f}"
            print(f"| {fmt:<7} | {seconds:>14.3f} | {cli:>7} | {size:>12,} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
