"""Validation time and DuckDB view time for big GeoParquet layers.

    .venv/bin/python benchmarks/store_bench.py [--rows 100000] [--big 1000000] [--runs 3]

Builds a synthetic events layer of --rows features (points inside their countries, partial
dates of every precision, a tenth of the names in Arabic script, 200 distinct sources) and
writes it with ``geo.store.write_parquet``; then a layer of --big rows made of copies of it with
new ids. Prints, each the median of --runs runs:

- the time to validate the --rows layer (``geo.validate.table.check_table``), and again with a
  distinct source on every row (the worst case for the nested columns);
- the time for the catalog to answer a one-month and a one-year event window over each layer
  (``Catalog.features``: the SQL, and the features that reach Python as GeoJSON dicts), and
  the time of the same query's SQL alone, counting the rows.

Synthetic data: figures measure the code, not the map.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import shapely  # noqa: E402

from geo.catalog import View, load_catalog, stored_filter  # noqa: E402
from geo.countries import country_shapes  # noqa: E402
from geo.model import Layer  # noqa: E402
from geo.store import write_parquet  # noqa: E402
from geo.validate.table import check_table  # noqa: E402

TODAY = dt.date(2026, 12, 3)
COUNTRIES = ("IQ", "SY", "YE", "IR", "LB", "IL")
KINDS = ("airstrike", "missile-attack", "drone-attack", "ground-attack")
ACTORS = ("United States", "Israel", "Houthis", "Iran", "United States and Israel")


def _points_in(code: str, count: int, rng: np.random.Generator) -> np.ndarray:
    outline = country_shapes()[code]
    west, south, east, north = outline.bounds
    found: list[np.ndarray] = []
    total = 0
    while total < count:
        xs = rng.uniform(west, east, count * 3)
        ys = rng.uniform(south, north, count * 3)
        # Well inside: a point within 5 km of the coast may be a fair warning, not a test case.
        inside = shapely.contains_xy(outline.buffer(-0.1), xs, ys)
        found.append(np.column_stack([xs[inside], ys[inside]]))
        total += int(inside.sum())
    return np.concatenate(found)[:count]


def synthetic_features(rows: int, distinct_sources: int, seed: int = 1) -> list[dict]:
    rng = np.random.default_rng(seed)
    codes = rng.choice(COUNTRIES, rows)
    positions = np.zeros((rows, 2))
    for code in COUNTRIES:
        mine = np.flatnonzero(codes == code)
        positions[mine] = _points_in(code, len(mine), rng)
    days = rng.integers(0, (TODAY - dt.date(2000, 1, 1)).days, rows)
    precision = rng.choice([10, 7, 4], rows, p=[0.8, 0.15, 0.05])
    features = []
    for n in range(rows):
        day = (dt.date(2000, 1, 1) + dt.timedelta(days=int(days[n]))).isoformat()
        source = n % distinct_sources
        name = f"Strike {n}" if n % 10 else f"غارة {n}"
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [*map(float, positions[n])]},
                "properties": {
                    "id": f"event-{n:07d}",
                    "name": name,
                    "kind": KINDS[n % len(KINDS)],
                    "start": day[: int(precision[n])],
                    "location_precision": "approximate",
                    "location_note": "Synthetic point for a benchmark.",
                    "country": str(codes[n]),
                    "description": "A synthetic event for the store benchmark.",
                    "actor": ACTORS[n % len(ACTORS)],
                    "claim_status": "claimed",
                    "sources": [
                        {
                            "title": f"Synthetic report {source}",
                            "publisher": "Benchmark",
                            "url": f"https://example.org/report/{source}",
                            "accessed": "2026-11-01",
                        }
                    ],
                },
            }
        )
    return features


def layer_of(features: list[dict]) -> Layer:
    meta = {
        "id": "synthetic-events",
        "title": "Synthetic events",
        "group": "events",
        "description": "Synthetic events for a benchmark.",
        "visible": True,
        "style": {"color": "#aa3300"},
    }
    return Layer(Path("synthetic.parquet"), meta, features)


def copies(path: Path, target: Path, times: int) -> None:
    """``times`` copies of a layer's rows, ids made unique, in one file."""
    table = pq.read_table(path)
    ids = table.column("id")
    parts = []
    for n in range(times):
        suffix, empty = pa.scalar(f"-{n}", ids.type), pa.scalar("", ids.type)
        renamed = pc.binary_join_element_wise(ids, suffix, empty)
        parts.append(table.set_column(table.column_names.index("id"), "id", renamed))
    merged = pa.concat_tables(parts)
    pq.write_table(merged.replace_schema_metadata(table.schema.metadata), target)


def median_time(action: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        small, big, worst = base / "small", base / "big", base / "worst"
        for path in (small, big, worst):
            path.mkdir()
        started = time.perf_counter()
        write_parquet(layer_of(synthetic_features(args.rows, 200)), small / "events.parquet")
        print(f"built and wrote {args.rows:,} rows in {time.perf_counter() - started:.1f} s")
        write_parquet(layer_of(synthetic_features(args.rows, args.rows)), worst / "events.parquet")
        copies(small / "events.parquet", big / "events.parquet", max(1, args.big // args.rows))

        for label, path in (
            ("200 distinct sources", small),
            ("a distinct source per row", worst),
        ):
            seconds, messages = median_time(
                lambda path=path: check_table(path / "events.parquet", TODAY), args.runs
            )
            assert not messages, [m.format() for m in messages[:3]]
            print(f"validate {args.rows:,} rows ({label}): {seconds:.2f} s")

        for folder_ in (small, big):
            catalog = load_catalog(folder_, TODAY) if folder_ is small else None
            if catalog is None:  # a million rows: load without validating them again
                from geo.catalog import Catalog
                from geo.store import open_layer

                catalog = Catalog([open_layer(folder_ / "events.parquet")])
            rows = len(catalog.layers[0].features)
            for window in (("2024-06-01", "2024-06-30"), ("2024-01-01", "2024-12-31")):
                view = View(window_from=window[0], window_to=window[1])
                seconds, shown = median_time(
                    lambda v=view, c=catalog: list(c.features(v)), args.runs
                )
                print(
                    f"view {window[0]}..{window[1]} over {rows:,} rows: {seconds * 1000:.0f} ms, "
                    f"{len(shown):,} features to Python"
                )
                layer = catalog.layers[0]
                spec = stored_filter(layer, view)
                sql_seconds, count = median_time(
                    lambda s=spec, t=layer.features.table: t.count(s), args.runs
                )
                print(f"  of which the SQL alone (count {count:,}): {sql_seconds * 1000:.0f} ms")


if __name__ == "__main__":
    main()
