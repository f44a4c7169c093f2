"""Data files of a view: GeoJSON, CSV, KML and GeoPackage.

- ``geojson``: one valid layer file (``python -m geo validate`` passes it) with the layer id
  ``export`` in the group ``user``, whose title and description say what the view is, and the
  view's features unchanged, every citation field included. Written in the canonical form.
- ``csv``: one row per feature, every field flattened to text; see :func:`write_csv`.
- ``kml`` and ``gpkg``: made by GDAL through pyogrio in memory, with the same flattened text
  columns. KML sets each placemark's name and description; the GeoPackage holds one table named
  after the view.

A comparison (``--compare A..B``, :mod:`geo.compare`) also exports what closed between A and B,
and every feature gets a ``change`` property or column: opened, closed, changed-hands, struck,
event, or unchanged. Such a GeoJSON is then a change list rather than a layer file (the layer
format has no ``change`` property, so ``python -m geo validate`` refuses it).

Every export says to which date its data was reviewed (:meth:`Catalog.reviewed_to`): the
GeoJSON layer's ``reviewed`` and description, the ``data_reviewed_to`` column of CSV, KML and
GeoPackage, the KML document's description, the GeoPackage table's description and metadata.
Every writer is atomic: the file is made whole in memory, written beside the target, flushed
and renamed over it, so the file appears whole or not at all. Text a format cannot hold is
replaced, never a crash; see geo/export/text.py.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from geo.catalog import Catalog, View
from geo.export.text import NOT_C_STRING, NOT_XML, clean, clean_deep
from geo.export.view_args import default_title, describe_view, view_slug
from geo.io import check_writable_target, write_atomic
from geo.model import Layer

DATA_FORMATS = ("geojson", "csv", "kml", "gpkg")
EXPORT_COLOR = "#1f4e9c"
SOURCE_FIELDS = (
    "title",
    "publisher",
    "url",
    "archive_url",
    "published",
    "accessed",
    "quote",
    "note",
)
CLAIM_FIELDS = ("topic", "value", "as_of", "source")
ORIGIN_FIELDS = ("name", "longitude", "latitude", "location_precision", "location_note")
# The columns every row has, in order; sources and claims follow, numbered.
BASE_COLUMNS = (
    "id",
    "layer",
    "name",
    "kind",
    "start",
    "end",
    "date_note",
    "location_precision",
    "location_note",
    "country",
    "actor",
    "target",
    "claim_status",
    "outcome",
    "operator",
    "units",
    "icao",
    "relation_to_iran",
    "description",
    "longitude",
    "latitude",
    "geometry_type",
    "geometry_wkt",
    *(f"origin_{key}" for key in ORIGIN_FIELDS),
    "data_reviewed_to",
)
# Properties that have their own column or columns; any others get a column of their own.
_HANDLED = set(BASE_COLUMNS) | {"sources", "claims", "origin"}
# A cell starting with one of these is read as a formula by spreadsheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMERIC_COLUMNS = frozenset({"longitude", "latitude", "origin_longitude", "origin_latitude"})


class ExportInputError(ValueError):
    """The view or the options cannot make this export; the text says what to change."""


class EmptyViewError(ExportInputError):
    """The view shows no feature, so there is nothing to export."""


def export_data(
    catalog: Catalog, view: View, path: Path, fmt: str, title: str | None = None
) -> None:
    """Write the view's features to ``path`` as ``fmt`` (geojson, csv, kml or gpkg), atomically:
    the file is made whole in memory, then written beside ``path`` and renamed over it.

    Raises
    ------
    EmptyViewError
        When the view shows no feature.
    ExportWriteError
        When GDAL cannot make the KML or GeoPackage.
    OSError
        When the file cannot be written (a full disk, a FIFO at ``path``); ``path`` is left as
        it was then.
    """
    check_writable_target(Path(path))  # before the work, not after it
    write_atomic(Path(path), data_bytes(catalog, view, fmt, title, name=str(path)))


def data_bytes(
    catalog: Catalog, view: View, fmt: str, title: str | None = None, name: str = "export"
) -> bytes:
    """The bytes of the view's features as ``fmt``; ``name`` is the file's name in messages."""
    pairs = view_pairs(catalog, view)
    if not pairs:
        raise EmptyViewError("the view shows no feature")
    reviewed = catalog.reviewed_to()
    if fmt == "geojson":
        doc = geojson_document(catalog, view, pairs, title)
        if not view.compare:  # a change list is not a layer file; see the module's text
            _check_layer_document(doc, name)
        from geo.fmt import canonical_text

        return canonical_text(doc).encode("utf-8")
    if fmt == "csv":
        return csv_bytes(pairs, reviewed)
    if fmt in ("kml", "gpkg"):
        return ogr_bytes(pairs, fmt, view_slug(view), _summary(catalog, view, pairs, title), name)
    raise ValueError(f"unknown data format {fmt!r}: use one of {', '.join(DATA_FORMATS)}")


def view_pairs(catalog: Catalog, view: View) -> list[tuple[Layer, dict[str, Any]]]:
    """The view's features; in a comparison, with what closed and a ``change`` property each."""
    if not view.compare:
        return list(catalog.features(view))
    from geo.compare import compare_pairs

    return [
        (layer, {**feature, "properties": {**feature["properties"], "change": kind or "unchanged"}})
        for layer, feature, kind in compare_pairs(catalog, view)
    ]


def _summary(
    catalog: Catalog, view: View, pairs: list[tuple[Layer, dict[str, Any]]], title: str | None
) -> dict[str, str]:
    """What the file is: title, description (with the review date) and the review date."""
    return {
        "title": title or default_title(view),
        "description": export_description(catalog, view, pairs),
        "reviewed_to": catalog.reviewed_to() or "",
    }


# ---------------------------------------------------------------------------------------------
# GeoJSON


def geojson_document(
    catalog: Catalog,
    view: View,
    pairs: list[tuple[Layer, dict[str, Any]]],
    title: str | None = None,
) -> dict[str, Any]:
    """A layer document holding the view's features as they are in the layer files."""
    reviewed = catalog.reviewed_to()
    meta: dict[str, Any] = {
        "id": "export",
        "title": title or default_title(view),
        "group": "user",
        "description": export_description(catalog, view, pairs),
        "visible": True,
        "style": {"color": EXPORT_COLOR},
    }
    if reviewed:
        meta["reviewed"] = reviewed
    # A copy (clean_deep makes new containers) in which text UTF-8 cannot hold (a lone
    # surrogate) becomes U+FFFD; see geo/export/text.py.
    return clean_deep(
        {
            "type": "FeatureCollection",
            "layer": meta,
            "features": [feature for _layer, feature in pairs],
        }
    )


def export_description(
    catalog: Catalog, view: View, pairs: list[tuple[Layer, dict[str, Any]]]
) -> str:
    """What the export holds, from which layers and data version, reviewed to which date."""
    layer_titles: list[str] = []
    for layer, _feature in pairs:
        if layer.title not in layer_titles:
            layer_titles.append(layer.title)
    return (
        f"{describe_view(view, catalog)} Exported from the layers {', '.join(layer_titles)} "
        f"(data version {catalog.data_version()}); {reviewed_phrase(catalog.reviewed_to())}; "
        "every feature keeps its sources."
    )


def reviewed_phrase(reviewed: str | None) -> str:
    """'data reviewed to 2026-11-22', or that no layer records a review."""
    return f"data reviewed to {reviewed}" if reviewed else "no review date recorded"


def _check_layer_document(doc: dict[str, Any], name: str) -> None:
    """Refuse to write a layer file the validator would reject (a title with markup, say)."""
    import datetime as dt

    from geo.validate import check_document

    errors = [m for m in check_document(doc, name, dt.date.today()) if m.level == "error"]
    if errors:
        first = errors[0]
        where = f"{first.field}: " if first.field else ""
        raise ExportInputError(
            f"the GeoJSON would not pass python -m geo validate: {where}{first.text}"
            + (f" - {first.fix}" if first.fix else "")
        )


# ---------------------------------------------------------------------------------------------
# Flat rows, shared by CSV, KML and GeoPackage


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, list):
        return "; ".join(t for t in (_text(item) for item in value) if t is not None)
    if isinstance(value, dict):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _number(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _representative(geometry: dict[str, Any]) -> tuple[float, float, str]:
    from shapely.geometry import shape

    geom = shape(geometry)
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    import shapely

    wkt = shapely.to_wkt(geom, rounding_precision=6, trim=True)
    return point.x, point.y, wkt


def flat_row(
    layer: Layer, feature: dict[str, Any], reviewed: str | None = None
) -> dict[str, str | None]:
    """The feature as one row of text cells (None where there is no value).

    ``data_reviewed_to`` is ``reviewed``, the date the whole export was reviewed to
    (:meth:`Catalog.reviewed_to`), the same in every row. Sources become ``source_N_title``
    ... ``source_N_note`` and claims ``claim_N_topic`` ... ``claim_N_source``, numbered from 1
    in the order the feature lists them.
    """
    props = feature["properties"]
    row: dict[str, str | None] = {column: None for column in BASE_COLUMNS}
    for key, value in props.items():
        if key not in _HANDLED:
            row[key] = _text(value)
    for key in BASE_COLUMNS:
        if key in props and key not in ("sources", "claims", "origin"):
            row[key] = _text(props[key])
    row["layer"] = layer.id
    row["data_reviewed_to"] = reviewed
    lon, lat, wkt = _representative(feature["geometry"])
    row["longitude"], row["latitude"] = _number(lon), _number(lat)
    row["geometry_type"] = feature["geometry"]["type"]
    row["geometry_wkt"] = wkt
    origin = props.get("origin")
    if isinstance(origin, dict):
        coords = origin.get("coordinates") or [None, None]
        row["origin_name"] = _text(origin.get("name"))
        row["origin_longitude"] = _text(coords[0])
        row["origin_latitude"] = _text(coords[1])
        row["origin_location_precision"] = _text(origin.get("location_precision"))
        row["origin_location_note"] = _text(origin.get("location_note"))
    for number, source in enumerate(props.get("sources", []), start=1):
        for key in SOURCE_FIELDS:
            row[f"source_{number}_{key}"] = _text(source.get(key))
    for number, claim in enumerate(props.get("claims", []), start=1):
        for key in CLAIM_FIELDS:
            row[f"claim_{number}_{key}"] = _text(claim.get(key))
    return row


def columns_for(pairs: Iterable[tuple[Layer, dict[str, Any]]]) -> list[str]:
    """Every column the rows need: the base ones, any extra property, then the numbered
    source and claim columns up to the largest count."""
    pairs = list(pairs)
    extra: list[str] = []
    most_sources = most_claims = 0
    for _layer, feature in pairs:
        props = feature["properties"]
        for key in props:
            if key not in _HANDLED and key not in extra:
                extra.append(key)
        most_sources = max(most_sources, len(props.get("sources", [])))
        most_claims = max(most_claims, len(props.get("claims", [])))
    columns = [*BASE_COLUMNS, *sorted(extra)]
    for number in range(1, most_sources + 1):
        columns += [f"source_{number}_{key}" for key in SOURCE_FIELDS]
    for number in range(1, most_claims + 1):
        columns += [f"claim_{number}_{key}" for key in CLAIM_FIELDS]
    return columns


# ---------------------------------------------------------------------------------------------
# CSV


def defuse(value: str) -> str:
    """Prefix a cell that a spreadsheet would run as a formula with a single quote."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def csv_bytes(pairs: list[tuple[Layer, dict[str, Any]]], reviewed: str | None = None) -> bytes:
    """The rows as CSV (RFC 4180 quoting, CRLF line ends, UTF-8 with a byte-order mark so that
    Excel reads the accents and Arabic names right; Python reads it with ``utf-8-sig``).

    CSV formula injection: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return is written with a leading single quote (``'=HYPERLINK(...)``), so that a
    spreadsheet shows it as text instead of running it. Every other cell is the text as it is
    in the layer file, byte for byte (but for a lone surrogate, which UTF-8 cannot hold: it
    becomes U+FFFD); the coordinate columns are numbers and never prefixed. A header comment
    is not CSV, so the review date is the column ``data_reviewed_to``.
    """
    columns = columns_for(pairs)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(columns)
    for layer, feature in pairs:
        row = flat_row(layer, feature, reviewed)
        cells = []
        for column in columns:
            value = row.get(column)
            if value is None:
                cells.append("")
            elif column in NUMERIC_COLUMNS:
                cells.append(value)
            else:
                cells.append(defuse(clean(value)))
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------------------------------------
# KML and GeoPackage, through GDAL


def _driver(fmt: str) -> tuple[str, dict[str, str]]:
    """GDAL's own KML writer (not LIBKML, which turns fields named begin, end or timestamp into
    KML time elements and so changes them): every column stays a text field."""
    if fmt == "gpkg":
        return "GPKG", {}
    return "KML", {"NameField": "name", "DescriptionField": "description"}


# KML readers (LIBKML, so QGIS and pyogrio) take fields named id, begin, end and timestamp as
# KML elements, and rename ours; KML files carry these columns under other names.
KML_RENAMES = {"id": "feature_id", "start": "start_date", "end": "end_date"}


def geodataframe(
    pairs: list[tuple[Layer, dict[str, Any]]],
    renames: dict[str, str] | None = None,
    reviewed: str | None = None,
    pattern: re.Pattern[str] = NOT_C_STRING,
):
    """The rows as a GeoDataFrame in WGS84 with one text column per flattened field; text that
    ``pattern`` matches becomes U+FFFD (see geo/export/text.py)."""
    import geopandas as gpd
    from shapely.geometry import shape

    renames = renames or {}
    columns = columns_for(pairs)
    rows = [flat_row(layer, feature, reviewed) for layer, feature in pairs]
    data = {
        renames.get(column, column): [
            None if row.get(column) is None else clean(row[column], pattern) for row in rows
        ]
        for column in columns
    }
    geometry = [shape(feature["geometry"]) for _layer, feature in pairs]
    frame = gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326", dtype=object)
    return frame


class ExportWriteError(ExportInputError):
    """GDAL could not make the file; the text names it and says what to do."""


FORMAT_NAMES = {"kml": "KML", "gpkg": "GeoPackage"}


def ogr_bytes(
    pairs: list[tuple[Layer, dict[str, Any]]],
    fmt: str,
    table: str,
    summary: dict[str, str],
    name: str = "export",
) -> bytes:
    """KML or GeoPackage bytes, made by GDAL in memory (so that its write errors, which GDAL
    does not always report, cannot leave a broken file on disk).

    The file holds one layer (the GeoPackage's one table, the KML's one folder) named
    ``table``. KML columns are renamed as :data:`KML_RENAMES` says; the KML document has the
    export's title and description as its name and description. The GeoPackage table's
    identifier and description (``gpkg_contents``) are the title and description, and its
    metadata holds ``reviewed_to``. ``summary`` has the keys title, description and reviewed_to.

    Raises
    ------
    ExportWriteError
        When GDAL fails, or its KML is not well-formed XML.
    """
    import pyogrio

    driver, options = _driver(fmt)
    kml = fmt == "kml"
    reviewed = summary.get("reviewed_to") or None
    frame = geodataframe(
        pairs, KML_RENAMES if kml else None, reviewed, NOT_XML if kml else NOT_C_STRING
    )
    layer_options: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if not kml:
        layer_options["IDENTIFIER"] = clean(summary["title"], NOT_C_STRING)
        layer_options["DESCRIPTION"] = clean(summary["description"], NOT_C_STRING)
        extra["layer_metadata"] = {"reviewed_to": reviewed or ""}
    buffer = io.BytesIO()
    try:
        with _fixed_gdal_time():
            pyogrio.write_dataframe(
                frame,
                buffer,
                driver=driver,
                layer=table,
                dataset_options=options,
                layer_options=layer_options,
                **extra,
            )
    except Exception as exc:  # GDAL's errors come as several classes, all with a message
        raise ExportWriteError(
            f"cannot write {name!r}: GDAL could not make the {FORMAT_NAMES[fmt]} "
            f"({_one_line(exc)}); export geojson or csv instead, and report this"
        ) from None
    data = buffer.getvalue()
    if kml:
        data = _kml_with_summary(data, summary, name)
    return data


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


class _fixed_gdal_time:
    """GDAL stamps a GeoPackage with the time it was written; a fixed stamp gives the same
    bytes for the same data. (OGR_CURRENT_DATE is GDAL's own setting for this.)"""

    def __enter__(self) -> None:
        import pyogrio

        self._before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})

    def __exit__(self, *exc: object) -> None:
        import pyogrio

        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": self._before})


def _kml_with_summary(data: bytes, summary: dict[str, str], name: str) -> bytes:
    """GDAL's KML with the document's name and description added, checked to be well-formed."""
    from xml.sax.saxutils import escape

    head = b'<Document id="root_doc">'
    added = (
        f"<name>{escape(clean(summary['title'], NOT_XML))}</name>"
        f"<description>{escape(clean(summary['description'], NOT_XML))}</description>"
    ).encode()
    if head in data:
        data = data.replace(head, head + added, 1)
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise ExportWriteError(
            f"cannot write {name!r}: the KML GDAL made is not well-formed ({exc}); export "
            "geojson or csv instead, and report this"
        ) from None
    return data
