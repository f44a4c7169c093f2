"""A GeoParquet layer answers every catalog question as the same layer in GeoJSON does."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from geo.catalog import Catalog, View, load_catalog
from geo.io import read_json_file
from geo.model import Layer, PartialDate
from geo.store import StoredFeatures, open_layer, write_parquet
from tests.helpers import LAYERS, feature, layer_doc, write_doc

TODAY = dt.date(2026, 12, 3)


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> tuple[Catalog, Catalog]:
    """The repository's layers as GeoJSON, and the same layers written as GeoParquet."""
    geojson = tmp_path_factory.mktemp("geojson")
    parquet = tmp_path_factory.mktemp("parquet")
    for path in sorted(LAYERS.glob("*.geojson")):
        shutil.copy(path, geojson / path.name)
        doc, _ = read_json_file(path)
        layer = Layer(path, doc["layer"], doc["features"])
        write_parquet(layer, parquet / f"{path.stem}.parquet")
    small, big = load_catalog(geojson, TODAY), load_catalog(parquet, TODAY)
    assert not small.messages and not big.messages
    assert all(isinstance(layer.features, StoredFeatures) for layer in big.layers)
    return small, big


def _answers(catalog: Catalog, view: View) -> list[tuple[str, dict]]:
    return [(layer.id, feature) for layer, feature in catalog.features(view)]


def _views(catalog: Catalog) -> list[View]:
    facets = catalog.facets()
    views = [
        View(),
        View(as_of="2001-06-01"),
        View(as_of="2014"),
        View(as_of="2024-10"),
        View(as_of="2019-12-31"),
        View(window_from="2024-01-01", window_to="2024-12-31"),
        View(window_from="2023-10-07", window_to="2023-10-07"),
        View(window_from="2020-01", as_of="2024-04-14"),
        View(layers=("events",), window_to="2019"),
        View(layers=("us-sites", "hezbollah")),
        View(query="strike"),
        View(query="AIR base"),
        View(query="reuters iran"),
        View(query="  "),
        View(query="no-such-word-anywhere"),
        View(countries=("IQ", "SY"), kinds=("airstrike", "air-base")),
    ]
    # The edges of the time rules: the last day of each end and the day after (as-of), and the
    # first and last day of some starts and the days either side (event windows).
    ends: set[dt.date] = set()
    starts: set[dt.date] = set()
    for layer in catalog.layers:
        for item in layer.features:
            props = item["properties"]
            if props.get("end"):
                ends.add(PartialDate.parse(props["end"]).last_day())
            start = PartialDate.parse(props["start"])
            starts |= {start.first_day(), start.last_day()}
    one = dt.timedelta(days=1)
    views += [View(as_of=(day + shift).isoformat()) for day in ends for shift in (0 * one, one)]
    for day in sorted(starts)[::40]:  # a sample: each view is a query per layer
        for shift in (-one, 0 * one, one):
            edge = (day + shift).isoformat()
            views += [View(window_from=edge, window_to="2026"), View(window_to=edge)]
    views += [View(countries=(code,)) for code in facets["countries"]]
    views += [View(actors=(actor,)) for actor in facets["actors"]]
    views += [View(kinds=(kind,)) for kind in facets["kinds"]]
    views += [View(statuses=(status,)) for status in facets["statuses"]]
    return views


def test_every_view_gets_the_same_features(twins: tuple[Catalog, Catalog]) -> None:
    small, big = twins
    views = _views(small)
    assert len(views) > 100
    shown = 0
    for view in views:
        expected = _answers(small, view)
        assert _answers(big, view) == expected, view
        shown += len(expected)
    assert shown > 500  # the views are not all empty


def test_whether_a_view_shows_anything_is_answered_alike(twins: tuple[Catalog, Catalog]) -> None:
    geojson, parquet = twins
    empty = View(as_of="1900-01-01", window_from="1899-01-01")
    for view in [*_views(geojson), empty]:
        expected = any(True for _ in geojson.features(view))
        assert geojson.shows_any(view) == parquet.shows_any(view) == expected, view
    assert not parquet.shows_any(empty)


def test_a_map_extent_gets_the_same_features(twins: tuple[Catalog, Catalog]) -> None:
    small, big = twins
    extents = [
        (44.0, 29.0, 48.0, 37.5),  # Iraq, roughly
        (51.315, 25.1173, 51.315, 25.1173),  # one point: the edges count
        (35.0, 33.0, 36.5, 34.7),  # Lebanon, where areas and points meet
        (0.0, 0.0, 1.0, 1.0),  # nothing there
    ]
    counts = []
    for extent in extents:
        for view in (View(), View(window_from="2020-01-01", window_to="2025-12-31")):
            expected = [(layer.id, item) for layer, item in small.features(view, extent)]
            assert [(layer.id, item) for layer, item in big.features(view, extent)] == expected
            counts.append(len(expected))
    assert max(counts) > 10 and 0 in counts


def test_facets_find_and_counts_are_the_same(twins: tuple[Catalog, Catalog]) -> None:
    small, big = twins
    assert big.facets() == small.facets()
    assert big.layer_ids() == small.layer_ids()
    for layer in small.layers:
        assert len(big.layer(layer.id).features) == len(layer.features)
        for item in layer.features[::5]:  # a query each: a sample keeps the test quick
            fid = item["properties"]["id"]
            found = big.find(fid)
            assert found is not None and found[0].id == layer.id and found[1] == item
    assert big.find("no-such-feature") is None
    assert big.reviewed_to() == small.reviewed_to()


def test_a_stored_layer_reads_back_whole(twins: tuple[Catalog, Catalog]) -> None:
    small, big = twins
    for layer in small.layers:
        stored = big.layer(layer.id)
        assert stored.meta == layer.meta
        assert list(stored.features) == layer.features
        assert stored.features[-1] == layer.features[-1]
        assert stored.features[1:3] == layer.features[1:3]


def test_search_folds_case_as_python_does(tmp_path: Path) -> None:
    """DuckDB's lower() leaves 'ß' alone; the catalog's casefold() makes it 'ss'."""
    doc = layer_doc(feature("strasse", name="Hauptstraße depot"), feature("other", lon=51.4))
    folder = tmp_path / "layers"
    folder.mkdir()
    write_parquet(Layer(folder / "x", doc["layer"], doc["features"]), folder / "t.parquet")
    catalog = load_catalog(folder, TODAY)
    found = [f["properties"]["id"] for _, f in catalog.features(View(query="STRASSE"))]
    assert found == ["strasse"]


def test_a_joint_actor_matches_either_actor(tmp_path: Path) -> None:
    doc = layer_doc(
        feature("joint", actor="United States and Israel"),
        feature("alone", lon=51.4, actor="Israel"),
        feature("other", lon=51.45, actor="Iran"),
    )
    write_parquet(Layer(tmp_path / "x", doc["layer"], doc["features"]), tmp_path / "t.parquet")
    catalog = load_catalog(tmp_path, TODAY)
    found = [f["properties"]["id"] for _, f in catalog.features(View(actors=("Israel",)))]
    assert found == ["joint", "alone"]
    assert catalog.facets()["actors"] == ["Iran", "Israel", "United States"]


def test_write_is_atomic_and_keeps_the_layer_object(tmp_path: Path) -> None:
    doc = layer_doc()
    target = tmp_path / "t.parquet"
    target.write_bytes(b"old")
    write_parquet(Layer(target, doc["layer"], doc["features"]), target)
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]  # no temporary file left
    metadata = pq.read_metadata(target).metadata
    assert b"geo" in metadata  # GeoParquet: other tools read the geometry
    assert open_layer(target).meta == doc["layer"]

    class Boom(Exception):
        pass

    bad = Layer(target, doc["layer"], [{"geometry": None, "properties": {}}])
    with pytest.raises((AttributeError, KeyError, TypeError, ValueError, Boom)):
        write_parquet(bad, target)
    assert open_layer(target).meta == doc["layer"]  # the old file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_geopandas_reads_the_file(tmp_path: Path) -> None:
    import geopandas

    doc = layer_doc(feature("a"), feature("b", lon=51.4))
    write_parquet(Layer(tmp_path / "x", doc["layer"], doc["features"]), tmp_path / "t.parquet")
    frame = geopandas.read_parquet(tmp_path / "t.parquet")
    assert list(frame["id"]) == ["a", "b"]
    assert frame.geometry.x.tolist() == [51.315, 51.4]


def test_bad_files_are_left_out_with_one_line_each(tmp_path: Path) -> None:
    write_doc(tmp_path / "good.geojson", layer_doc())
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 this is not parquet at all")
    (tmp_path / "empty.parquet").write_bytes(b"")
    import geopandas
    import shapely

    plain = geopandas.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4326")
    plain.to_parquet(tmp_path / "plain.parquet")
    good = layer_doc(feature("other-site"), layer_id="stored")
    write_parquet(Layer(tmp_path / "x", good["layer"], good["features"]), tmp_path / "ok.parquet")
    whole = (tmp_path / "ok.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(whole[: len(whole) // 2])

    catalog = load_catalog(tmp_path, TODAY)
    assert sorted(catalog.layer_ids()) == ["stored", "test-layer"]
    named = sorted(Path(m.file).name for m in catalog.messages)
    assert named == ["cut.parquet", "empty.parquet", "junk.parquet", "plain.parquet"]
    for message in catalog.messages:
        line = message.format()
        assert "\n" not in line and "Traceback" not in line
        assert line.startswith(str(tmp_path)) and message.fix
    plain_message = next(m for m in catalog.messages if m.file.endswith("plain.parquet"))
    assert plain_message.code == "not-a-layer"


def test_the_cli_names_each_bad_parquet_file_in_one_line(tmp_path: Path) -> None:
    """Through the real entry point: validate and layers over a folder with broken files."""
    from tests.helpers import run_cli

    write_doc(tmp_path / "good.geojson", layer_doc())
    good = layer_doc(feature("other-site"), layer_id="stored")
    write_parquet(Layer(tmp_path / "x", good["layer"], good["features"]), tmp_path / "ok.parquet")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    bad = layer_doc(feature("late", start="2027-05-01"), layer_id="late")
    write_parquet(Layer(tmp_path / "x", bad["layer"], bad["features"]), tmp_path / "bad.parquet")

    result = run_cli("validate", str(tmp_path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{tmp_path / 'bad.parquet'}: feature late: start: ")
    assert "is in the future" in lines[0]
    assert lines[1].startswith(f"{tmp_path / 'junk.parquet'}: cannot be read as Parquet")
    assert "4 file(s) checked" in result.stderr

    listed = run_cli("layers", str(tmp_path))
    assert "Traceback" not in listed.stderr
    assert "stored" in listed.stdout and "test-layer" in listed.stdout
    assert "junk.parquet" in listed.stderr and "bad.parquet" in listed.stderr


# --- questions that must not read every row ------------------------------------------------


def test_the_data_version_follows_the_data_not_the_path_or_the_clock(tmp_path):
    import os

    from tests.helpers import run_cli

    acled = Path(__file__).parent / "data" / "acled_sample.csv"
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    layer = first / "acled.parquet"
    assert run_cli("import", str(acled), "--format", "acled", "-o", str(layer)).returncode == 0
    shutil.copy(layer, second / "acled.parquet")
    version = load_catalog(first).data_version()
    assert load_catalog(second).data_version() == version  # same data elsewhere
    os.utime(second / "acled.parquet", ns=(1, 1))
    assert load_catalog(second).data_version() == version  # touched, not changed
    changed = acled.read_text(encoding="utf-8").replace("a strike hit a depot", "a strike hit")
    edited = tmp_path / "edited.csv"
    edited.write_text(changed, encoding="utf-8")
    out = second / "acled.parquet"
    assert run_cli("import", str(edited), "--format", "acled", "-o", str(out)).returncode == 0
    assert load_catalog(second).data_version() != version


def test_layers_lists_the_newest_date_of_a_parquet_layer_as_of_its_geojson_twin(tmp_path):
    from tests.helpers import run_cli

    acled = Path(__file__).parent / "data" / "acled_sample.csv"
    folders = {}
    for suffix in ("geojson", "parquet"):
        folder = folders[suffix] = tmp_path / suffix
        folder.mkdir()
        out = folder / f"acled.{suffix}"
        assert run_cli("import", str(acled), "--format", "acled", "-o", str(out)).returncode == 0
    lines = {
        suffix: run_cli("layers", str(folder)).stdout.splitlines()[1]
        for suffix, folder in folders.items()
    }
    assert lines["geojson"] == lines["parquet"]
    assert "2024-0" in lines["parquet"]  # the sample's newest row, not "-"


def test_the_timeline_axis_of_a_stored_event_layer_is_its_twins(twins) -> None:
    """The timeline's span of a Parquet event layer comes from DuckDB, not row by row, and is
    the span the same layer gives as GeoJSON."""
    from geo.render.payload import build_payload

    small, big = twins
    view = View(layers=("events",), as_of=TODAY.isoformat())
    axis = build_payload(big, view)["time"]
    assert axis == build_payload(small, view)["time"]
    assert axis["first"] is not None and axis["first"] < axis["last"]


def test_rows_are_read_by_file_row_number_in_the_order_asked(tmp_path: Path) -> None:
    """A lean held part reads rows back by their numbers in the file (geo/render/held.py):
    the answer keeps the order asked, whatever order the scan gives."""
    from tests.helpers import write_events_parquet

    path = write_events_parquet(
        tmp_path / "ordered.parquet", (2024,), 30, lambda _year, n: (37.0 + n * 0.01, 35.0)
    )
    table = open_layer(path).features.table
    asked = [17, 3, 29, 0, 3]
    answer = table.at_rows(asked, '"id", "name"')
    assert answer.column_names == ["id", "name"]
    assert answer.column("id").to_pylist() == [f"ev-2024-{n}" for n in asked]
    assert table.at_rows([]).num_rows == 0
