"""Slide-ready static maps of a view, PNG or SVG, drawn with matplotlib (Agg, no browser).

What is on the image:

- the offline basemap (``data/countries.geojson``, Natural Earth) in light grey on a light-blue sea;
- the view's features in each layer's ``style.color``: areas filled with the layer's opacity,
  points as the layer's marker; an event has a dark dot at its centre, and a dashed line from
  where it was launched when the layer gives an ``origin``;
- a location that is ``approximate``, ``stand-in`` or ``region`` is drawn hollow (points) or with
  a dashed outline (areas and lines), so a reader never takes it for an exact position;
- a title (given, or one naming the as-of date or window), a legend of the layers shown, the date,
  a scale bar in km measured with :class:`pyproj.Geod` at the bar's latitude, and a footnote with
  the number of cited works, the date the data was reviewed to, the data version and the
  basemap's source.

The map is an equirectangular projection with its x axis shrunk by the cosine of the middle
latitude, so shapes look right over the region; the scale bar holds for its own latitude.

The image has exactly the asked size in pixels (for SVG: the root's ``width`` and ``height``, with
the drawing in ``viewBox`` units), uses matplotlib's bundled DejaVu Sans, and is the same bytes
for the same view and data: the SVG hash salt and the metadata are fixed and carry no date.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from geo.catalog import Catalog, View, bibliography, is_event
from geo.export.data import EmptyViewError, view_pairs
from geo.export.labels import PLACES, Label, marker_boxes, place_labels
from geo.export.sources import numbered, refs_label, short_entry
from geo.export.text import NOT_XML, clean
from geo.export.view_args import default_title, filter_label, time_label
from geo.framing import default_frame, grouped, offstage
from geo.io import write_atomic
from geo.model import Layer, PartialDate

IMAGE_FORMATS = ("png", "svg", "pdf")
DEFAULT_SIZE = (1920, 1080)
SEA = "#d4e6f4"
LAND = "#e3e3e3"
BORDER = "#ffffff"
COUNTRY_LABEL = "#8c8c8c"
INK = "#1a1a1a"
MUTED = "#555555"
EDGE_COLOR = "#7a1f5c"
MARKERS = {"circle": "o", "square": "s", "diamond": "D", "triangle": "^"}
MARKER_SIZE = {"o": 9.0, "s": 8.0, "D": 7.5, "^": 9.5}
FONT = "DejaVu Sans"
SALT = "posture-map"
# The figure's width in inches at 1920 pixels; other sizes scale the text with the image.
REFERENCE_INCHES = (12.8, 7.2)
NICE_STEPS = (1, 2, 2.5, 5)


# What the legend looks like wherever it is placed (beside the map or below it).
LEGEND_STYLE = {
    "loc": "upper left",
    "frameon": False,
    "title": "Layers",
    "alignment": "left",
    "borderaxespad": 0,
}


def export_image(
    catalog: Catalog,
    view: View,
    path: Path,
    fmt: str,
    size: tuple[int, int] = DEFAULT_SIZE,
    title: str | None = None,
) -> None:
    """Draw the view and write it to ``path`` as ``fmt`` (png or svg), atomically.

    Raises
    ------
    EmptyViewError
        When the view shows no feature.
    OSError
        When the file cannot be written; nothing is left behind then.
    """
    data = render_image(catalog, view, fmt, size, title)
    write_atomic(Path(path), data)


def render_image(
    catalog: Catalog,
    view: View,
    fmt: str,
    size: tuple[int, int] = DEFAULT_SIZE,
    title: str | None = None,
    basemap_only: bool = False,
) -> bytes:
    """The image's bytes. ``basemap_only`` draws the frame without features (for comparisons)."""
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"unknown image format {fmt!r}: use png, svg or pdf")
    pairs = view_pairs(catalog, view)  # with what closed, in a comparison
    if not pairs:
        raise EmptyViewError("the view shows no feature")
    import matplotlib

    if fmt == "pdf":
        from geo.export.briefing import render_pdf

        with matplotlib.rc_context(_rc()):
            return render_pdf(catalog, view, pairs, size, _title(view, title), _draw)
    with matplotlib.rc_context(_rc()):
        figure = _draw(catalog, view, pairs, size, title, basemap_only)
        buffer = io.BytesIO()
        if fmt == "png":
            figure.savefig(
                buffer,
                format="png",
                dpi=figure.dpi,
                metadata={"Software": SALT, "Title": _title(view, title)},
            )
            return buffer.getvalue()
        figure.savefig(
            buffer,
            format="svg",
            dpi=figure.dpi,
            metadata={"Date": None, "Creator": SALT, "Title": _title(view, title)},
        )
    return _svg_pixel_size(buffer.getvalue(), size)


def _rc() -> dict[str, Any]:
    return {
        "svg.hashsalt": SALT,
        "text.parse_math": False,  # '$200 million' is text, not mathematics
        "svg.fonttype": "none",  # text stays text: searchable, selectable, read aloud
        "pdf.fonttype": 42,  # TrueType, so the PDF's text can be extracted
        "font.family": "sans-serif",
        "font.sans-serif": [FONT],
        "axes.unicode_minus": False,
        "path.simplify": True,
        "savefig.facecolor": "white",
        "savefig.edgecolor": "white",
        "savefig.bbox": None,
        "savefig.pad_inches": 0,
    }


def _svg_pixel_size(svg: bytes, size: tuple[int, int]) -> bytes:
    """Give the root element the size in pixels; the drawing keeps its viewBox in points."""
    head, sep, rest = svg.partition(b"<svg ")
    tag_end = rest.index(b">")
    tag = rest[:tag_end]
    tag = re.sub(rb'width="[^"]*"', f'width="{size[0]}"'.encode(), tag, count=1)
    tag = re.sub(rb'height="[^"]*"', f'height="{size[1]}"'.encode(), tag, count=1)
    return head + sep + tag + rest[tag_end:]


def _title(view: View, title: str | None) -> str:
    return _safe(title if title else default_title(view))


def _safe(text: str) -> str:
    """Text fit for the image and its SVG: characters XML or UTF-8 cannot hold (a vertical
    tab, a NUL, a lone surrogate from --title) become U+FFFD; see geo/export/text.py."""
    return clean(text, NOT_XML)


# ---------------------------------------------------------------------------------------------
# Layout


def _draw(
    catalog: Catalog,
    view: View,
    pairs: list[tuple[Layer, dict[str, Any]]],
    size: tuple[int, int],
    title: str | None,
    basemap_only: bool,
    sources_panel: bool = True,
):
    """The map figure; with ``sources_panel`` the numbered source list fills a band under it
    (the PDF briefing puts the list on its own page instead)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width, height = size
    # Text scales with the image: 1920x1080 draws at 150 dpi. A tall or square image is
    # allowed somewhat larger text than its width alone would give.
    dpi = max(
        min(width / REFERENCE_INCHES[0], height / REFERENCE_INCHES[1]), min(width, height) / 10.5
    )
    # A hair over the exact size: Agg truncates the pixel count, and W / dpi * dpi can fall
    # just short of W in floating point.
    fig_w, fig_h = (width + 0.01) / dpi, (height + 0.01) / dpi
    figure = Figure(figsize=(fig_w, fig_h), dpi=dpi, facecolor="white")
    FigureCanvasAgg(figure)

    margin = 0.3
    header = 0.95
    side_panel = fig_w / fig_h >= 1.25
    footer = 0.5 if side_panel else 0.62
    panel = 3.0 if side_panel else 0.0
    flags = _symbol_flags(pairs) if not basemap_only else {}
    handles, labels = _legend_entries(pairs, flags)
    # A tall or square image has its legend under the map, in two columns.
    below = 0.0 if side_panel else math.ceil(len(handles) / 2) * 0.24 + 0.42
    works, numbers = numbered(pairs)
    band = _band_height(fig_h) if sources_panel and works else 0.0
    map_box = (
        margin / fig_w,
        (footer + below + band) / fig_h,
        (fig_w - 2 * margin - panel) / fig_w,
        (fig_h - header - footer - below - band) / fig_h,
    )
    ax = figure.add_axes(map_box)
    box_w_in = map_box[2] * fig_w
    box_h_in = map_box[3] * fig_h
    extent = _extent(pairs, view, box_w_in, box_h_in, box_w_in * dpi, catalog)
    west, east, south, north = extent
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect("auto")
    ax.set_facecolor(SEA)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#9aa7b2")
        spine.set_linewidth(0.8)

    # Half a pixel: simplifying the outlines by less than that changes nothing one can see,
    # and keeps the SVG small.
    _draw_basemap(ax, extent, tolerance=0.5 * (extent[1] - extent[0]) / (box_w_in * dpi))
    if not basemap_only:
        _draw_features(ax, pairs)
        if view.compare:
            _draw_changes(ax, pairs)
    taken = [_draw_scale_bar(ax, extent), _draw_north_arrow(ax)]
    if not basemap_only:
        # The arrows' names first, so that they are never left out for want of room.
        place_labels(ax, _edge_arrows(ax, pairs, extent), taken)
        # Labels keep off the sites' markers; an event may sit under a label's edge, or a
        # crowded place (Al Udeid, struck several times) would lose its base's name.
        sites = [(layer, f) for layer, f in pairs if not is_event(f, layer)]
        taken.extend(marker_boxes(ax, _point_positions(sites), radius_px=dpi * 0.045))
        place_labels(ax, _site_labels(pairs, numbers), taken)
    if band:
        _draw_sources_band(
            figure, works, (margin, footer, fig_w - 2 * margin, band - 0.1), (fig_w, fig_h)
        )

    heading = _title(view, title)
    title_text = figure.text(
        margin / fig_w,
        1 - 0.22 / fig_h,
        heading,
        ha="left",
        va="top",
        fontsize=19,
        fontweight="bold",
        color=INK,
    )
    _fit_width(title_text, (fig_w - 2 * margin) * dpi, smallest=11)
    figure.text(
        margin / fig_w,
        1 - 0.62 / fig_h,
        _safe(_subtitle(view, pairs, with_time=bool(title))),
        ha="left",
        va="top",
        fontsize=11.5,
        color=MUTED,
    )
    figure.text(
        margin / fig_w,
        0.16 / fig_h,
        _safe(_footnote(catalog, pairs)),
        ha="left",
        va="bottom",
        fontsize=8,
        color=MUTED,
        wrap=True,
    )
    if handles:
        if side_panel:
            anchor = ((fig_w - panel - margin + 0.2) / fig_w, 1 - header / fig_h)
            figure.legend(
                handles,
                labels,
                bbox_to_anchor=anchor,
                fontsize=10,
                title_fontproperties={"weight": "bold", "size": 11},
                labelspacing=0.8,
                **LEGEND_STYLE,
                handler_map=_handler_map(),
            )
        else:
            figure.legend(
                handles,
                labels,
                bbox_to_anchor=(margin / fig_w, (footer + band + below - 0.12) / fig_h),
                ncols=2,
                fontsize=9,
                title_fontproperties={"weight": "bold", "size": 10},
                labelspacing=0.45,
                columnspacing=2.0,
                **LEGEND_STYLE,
                handler_map=_handler_map(),
            )
    return figure


def _fit_width(text: Any, width_px: float, smallest: float) -> None:
    """Shrink ``text`` until it is at most ``width_px`` wide (a long title would run off the
    image), down to ``smallest`` points; beyond that it wraps."""
    renderer = text.figure.canvas.get_renderer()
    size = text.get_fontsize()
    while size > smallest and text.get_window_extent(renderer).width > width_px:
        size = max(smallest, size - 1)
        text.set_fontsize(size)
    if text.get_window_extent(renderer).width > width_px:
        text.set_wrap(True)


def _subtitle(view: View, pairs: list[tuple[Layer, dict[str, Any]]], with_time: bool) -> str:
    """The date (unless the default title already names it), the filters and the counts."""
    parts = []
    if with_time:
        when = time_label(view)
        parts.append(when[0].upper() + when[1:])
    filters = filter_label(view)
    if filters:
        parts.append(f"filtered by {filters}")
    if view.compare:
        parts.append(CHANGE_KEY)
    layers = {layer.id for layer, _feature in pairs}
    count = len(pairs)
    parts.append(
        f"{count} feature{'s' if count != 1 else ''} in {len(layers)} "
        f"layer{'s' if len(layers) != 1 else ''}"
    )
    return "  ·  ".join(parts)


def _footnote(catalog: Catalog, pairs: list[tuple[Layer, dict[str, Any]]]) -> str:
    works = len(bibliography(pairs))
    return (
        f"Sources: {works} cited work{'s' if works != 1 else ''}, numbered; a label's [n] names "
        f"its sources. {_reviewed(catalog)} Data version "
        f"{catalog.data_version()}. Basemap: Natural Earth. "
        "Hollow symbols and dashed outlines: approximate, stand-in or region locations."
    )


def _reviewed(catalog: Catalog) -> str:
    """As the HTML export says it (geo.render.payload.reviewed_sentence, which would pull in
    folium here)."""
    reviewed = catalog.reviewed_to()
    if not reviewed:
        return "No review date recorded for the data."
    return f"Data reviewed to {PartialDate.parse(reviewed).label()}."


# ---------------------------------------------------------------------------------------------
# Extent


def _coordinates(geometry: dict[str, Any]) -> Iterator[tuple[float, float]]:
    def walk(value: Any) -> Iterator[tuple[float, float]]:
        if value and isinstance(value[0], (int, float)):
            yield float(value[0]), float(value[1])
        else:
            for item in value:
                yield from walk(item)

    yield from walk(geometry["coordinates"])


def _feature_points(pairs: Iterable[tuple[Layer, dict[str, Any]]]) -> list[tuple[float, float]]:
    """Every position of the features' geometries. Origins are left out: a bomber's home base
    an ocean away would shrink the region to a corner; its line enters from the map's edge."""
    points: list[tuple[float, float]] = []
    for _layer, feature in pairs:
        points.extend(_coordinates(feature["geometry"]))
    return points


def _extent(
    pairs: list[tuple[Layer, dict[str, Any]]],
    view: View,
    box_w_in: float,
    box_h_in: float,
    box_w_px: float,
    catalog: Catalog | None = None,
) -> tuple[float, float, float, float]:
    """(west, east, south, north) in degrees, filling the map box at the right aspect.

    The frame is the view's ``extent`` when it has one, else its centre and zoom, else the
    default frame of :mod:`geo.framing` (the posture and actor layers); the frame is widened
    on one axis to the box's aspect, never cut."""
    if view.extent is not None:
        west, south, east, north = view.extent
    elif view.center is not None and view.zoom is not None:
        # View.center is (lat, lon), as Leaflet and folium write it; a web-map zoom level z
        # shows 360 / 2**z degrees of longitude per 256 pixels.
        lat0, lon0 = view.center
        span = box_w_px / 256 * 360 / 2 ** max(0, view.zoom)
        west, east = lon0 - span / 2, lon0 + span / 2
        south = north = lat0
    else:
        frame = default_frame(pairs, catalog)
        assert frame is not None  # pairs is not empty
        west, south, east, north = frame.extent
    mid_lat = max(-80.0, min(80.0, (south + north) / 2))
    shrink = math.cos(math.radians(mid_lat))
    want = box_w_in / box_h_in
    cx, cy = (west + east) / 2, (south + north) / 2
    dx, dy = (east - west) * shrink, north - south
    if dy <= 0 or dx / dy > want:
        dy = dx / want
    else:
        dx = dy * want
    half_lon = dx / shrink / 2
    return cx - half_lon, cx + half_lon, cy - dy / 2, cy + dy / 2


# ---------------------------------------------------------------------------------------------
# Basemap


@lru_cache(maxsize=1)
def _countries() -> list[tuple[str, Any]]:
    from shapely.geometry import shape

    from geo.countries import basemap_geojson

    doc = json.loads(basemap_geojson())
    shapes = []
    for feature in doc["features"]:
        shapes.append((feature["properties"].get("name") or "", shape(feature["geometry"])))
    return shapes


def _polygon_path(geom: Any):
    """A matplotlib Path for a Polygon or MultiPolygon, holes included; None when empty."""
    import numpy as np
    from matplotlib.path import Path as MplPath

    vertices, codes = [], []
    for polygon in _polygons(geom):
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            ring_codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            ring_codes[0] = MplPath.MOVETO
            ring_codes[-1] = MplPath.CLOSEPOLY
            vertices.append(xy)
            codes.append(ring_codes)
    if not vertices:
        return None
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def _polygons(geom: Any) -> Iterator[Any]:
    if geom.is_empty:
        return
    if geom.geom_type == "Polygon":
        yield geom
    elif hasattr(geom, "geoms"):
        for part in geom.geoms:
            yield from _polygons(part)


def _draw_basemap(ax: Any, extent: tuple[float, float, float, float], tolerance: float) -> None:
    from matplotlib.collections import PathCollection
    from shapely.geometry import box

    west, east, south, north = extent
    frame = box(west - 1, south - 1, east + 1, north + 1)
    view_area = (east - west) * (north - south)
    paths, labels = [], []
    for name, geom in _countries():
        if not geom.intersects(frame):
            continue
        clipped = geom.intersection(frame).simplify(tolerance, preserve_topology=True)
        path = _polygon_path(clipped)
        if path is None:
            continue
        paths.append(path)
        inside = geom.intersection(box(west, south, east, north))
        if name and not inside.is_empty and inside.area > view_area * 0.012:
            point = inside.representative_point()
            labels.append((point.x, point.y, name))
    ax.add_collection(
        PathCollection(
            paths, facecolor=LAND, edgecolor=BORDER, linewidth=0.7, zorder=1, antialiased=True
        ),
        autolim=False,
    )
    for x, y, name in labels:
        ax.text(
            x,
            y,
            name.upper(),
            fontsize=7,
            color=COUNTRY_LABEL,
            ha="center",
            va="center",
            zorder=1.5,
            alpha=0.9,
            clip_on=True,  # a name near the frame's edge must not run into the legend
        )


# ---------------------------------------------------------------------------------------------
# Features


def _style(layer: Layer) -> tuple[str, float, str]:
    style = layer.meta.get("style", {})
    color = style.get("color", "#333333")
    alpha = float(style.get("fill_opacity", 0.3))
    marker = MARKERS.get(style.get("marker", "circle"), "o")
    return color, alpha, marker


def _symbol_flags(pairs: list[tuple[Layer, dict[str, Any]]]) -> dict[str, bool]:
    """Which kinds of symbol the features need, for the legend's key to them."""
    flags = {"exact": False, "inexact": False, "event": False, "origin": False}
    for layer, feature in pairs:
        props = feature["properties"]
        flags["exact" if props.get("location_precision") == "exact" else "inexact"] = True
        if is_event(feature, layer) and "Point" in feature["geometry"]["type"]:
            flags["event"] = True
        if isinstance(props.get("origin"), dict) and props["origin"].get("coordinates"):
            flags["origin"] = True
    return flags


def _draw_features(ax: Any, pairs: list[tuple[Layer, dict[str, Any]]]) -> None:
    """Draw areas, then lines, then points, then events (each kind above the one before)."""
    from matplotlib.patches import PathPatch
    from shapely.geometry import shape

    points: dict[tuple[str, bool, bool], list[tuple[float, float]]] = {}
    layer_of: dict[str, Layer] = {}
    for layer, feature in pairs:
        color, alpha, marker = _style(layer)
        props = feature["properties"]
        exact = props.get("location_precision") == "exact"
        event = is_event(feature, layer)
        geom = shape(feature["geometry"])
        kind = geom.geom_type
        if kind in ("Polygon", "MultiPolygon"):
            path = _polygon_path(geom)
            if path is not None:
                ax.add_patch(
                    PathPatch(
                        path,
                        facecolor=_rgba(color, alpha),
                        edgecolor=color,
                        linewidth=1.3,
                        linestyle="-" if exact else (0, (4, 2.5)),
                        zorder=2,
                    )
                )
        elif kind in ("LineString", "MultiLineString"):
            for part in getattr(geom, "geoms", [geom]):
                xs, ys = part.xy
                ax.plot(
                    xs,
                    ys,
                    color=color,
                    linewidth=2.2,
                    linestyle="-" if exact else (0, (4, 2.5)),
                    zorder=3,
                    solid_capstyle="round",
                )
        else:
            key = (layer.id, exact, event)
            layer_of[layer.id] = layer
            for part in getattr(geom, "geoms", [geom]):
                points.setdefault(key, []).append((part.x, part.y))
        origin = props.get("origin")
        if isinstance(origin, dict) and origin.get("coordinates"):
            target = geom if kind == "Point" else geom.representative_point()
            ox, oy = origin["coordinates"][:2]
            arrow = ax.annotate(
                "",
                xy=(target.x, target.y),
                xytext=(ox, oy),
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": color,
                    "linewidth": 1.2,
                    "linestyle": (0, (3, 2)),
                    "shrinkA": 0,
                    "shrinkB": 6,
                    "mutation_scale": 10,
                },
                zorder=3,
                annotation_clip=False,
            )
            arrow.arrow_patch.set_clip_box(ax.bbox)
            arrow.arrow_patch.set_clip_on(True)
            ax.plot([ox], [oy], marker="o", markersize=4, color=color, zorder=3, linestyle="none")
    for (layer_id, exact, event), xy in sorted(points.items(), key=lambda item: item[0][2]):
        color, _alpha, marker = _style(layer_of[layer_id])
        _scatter(ax, xy, color, marker, exact, event)


# Compare two dates: each change drawn over its feature, as the HTML map does (compare.js).
CHANGE_STYLES = {
    "opened": ("#1a9850", "-"),
    "closed": ("#7f7f7f", (0, (3, 2))),
    "changed-hands": ("#7b3294", "-"),
    "struck": ("#67000d", "-"),
}
CHANGE_KEY = "green: opened, grey dashed: closed, purple: changed hands, dark red ring: struck"


def _draw_changes(ax: Any, pairs: list[tuple[Layer, dict[str, Any]]]) -> None:
    """Outline each feature of a comparison by its ``change`` (see geo/compare.py)."""
    from matplotlib.patches import PathPatch
    from shapely.geometry import shape

    for _layer, feature in pairs:
        style = CHANGE_STYLES.get(feature["properties"].get("change", ""))
        if style is None:
            continue
        color, line = style
        geom = shape(feature["geometry"])
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            path = _polygon_path(geom)
            if path is not None:
                ax.add_patch(
                    PathPatch(path, fill=False, edgecolor=color, linewidth=2.4, linestyle=line)
                )
            continue
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        ax.scatter(
            [point.x],
            [point.y],
            s=190,
            facecolors="none",
            edgecolors=color,
            linewidths=2.0,
            linestyle=line,
            zorder=6,
        )


def _rgba(color: str, alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgb

    red, green, blue = to_rgb(color)
    return red, green, blue, alpha


def _scatter(
    ax: Any, xy: list[tuple[float, float]], color: str, marker: str, exact: bool, event: bool
) -> None:
    size = MARKER_SIZE.get(marker, 9.0) * (1.15 if event else 1.0)
    xs = [p[0] for p in xy]
    ys = [p[1] for p in xy]
    zorder = 5 if event else 4
    if exact:
        ax.scatter(
            xs,
            ys,
            s=size**2,
            marker=marker,
            facecolors=color,
            edgecolors="white",
            linewidths=1.1,
            zorder=zorder,
        )
    else:
        ax.scatter(
            xs,
            ys,
            s=size**2,
            marker=marker,
            facecolors="white",
            edgecolors=color,
            linewidths=2.0,
            zorder=zorder,
        )
    if event:
        ax.scatter(
            xs,
            ys,
            s=(size * 0.3) ** 2,
            marker="o",
            facecolors=INK,
            edgecolors="none",
            zorder=zorder + 0.1,
        )


# ---------------------------------------------------------------------------------------------
# Legend


def _dot(size: float, face: str, edge: str, width: float = 1.0, marker: str = "o") -> Any:
    """A legend handle that is one marker."""
    from matplotlib.lines import Line2D

    return Line2D(
        [],
        [],
        linestyle="none",
        marker=marker,
        markersize=size,
        markerfacecolor=face,
        markeredgecolor=edge,
        markeredgewidth=width,
    )


def _legend_entries(
    pairs: list[tuple[Layer, dict[str, Any]]], flags: dict[str, bool]
) -> tuple[list[Any], list[str]]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = []
    labels: list[str] = []
    seen: dict[str, set[str]] = {}
    order: list[Layer] = []
    for layer, feature in pairs:
        if layer.id not in seen:
            seen[layer.id] = set()
            order.append(layer)
        kind = feature["geometry"]["type"]
        seen[layer.id].add(
            "area" if "Polygon" in kind else "line" if "LineString" in kind else "point"
        )
    for layer in order:
        color, alpha, marker = _style(layer)
        parts: list[Any] = []
        if "area" in seen[layer.id]:
            parts.append(Patch(facecolor=_rgba(color, alpha), edgecolor=color, linewidth=1.2))
        if "line" in seen[layer.id]:
            parts.append(Line2D([], [], color=color, linewidth=2.2))
        if "point" in seen[layer.id]:
            parts.append(_dot(9, color, "white", width=1.0, marker=marker))
        count = sum(1 for item, _f in pairs if item.id == layer.id)
        handles.append(parts[0] if len(parts) == 1 else tuple(parts))
        labels.append(_safe(f"{layer.title} ({count})"))
    grey = "#6b6b6b"
    if flags.get("exact"):
        handles.append(_dot(8, grey, "white"))
        labels.append("Exact location")
    if flags.get("inexact"):
        handles.append(
            (
                Patch(facecolor="none", edgecolor=grey, linestyle=(0, (4, 2.5)), linewidth=1.2),
                _dot(8, "white", grey, width=2.0),
            )
        )
        labels.append("Approximate, stand-in or region")
    if flags.get("event"):
        handles.append(
            (
                _dot(9, "white", grey, width=2.0),
                _dot(3, INK, "none"),
            )
        )
        labels.append("Event (dot at the centre)")
    if flags.get("origin"):
        handles.append(Line2D([], [], color=grey, linewidth=1.2, linestyle=(0, (3, 2))))
        labels.append("Launched from")
    return handles, labels


def _handler_map() -> dict[Any, Any]:
    from matplotlib.legend_handler import HandlerTuple

    return {tuple: HandlerTuple(ndivide=None, pad=0.0)}


# ---------------------------------------------------------------------------------------------
# Scale bar


def km_per_degree_lon(lat: float) -> float:
    """Kilometres along the parallel ``lat`` per degree of longitude, on the WGS84 ellipsoid."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    lons = [0.0 + step * 0.1 for step in range(11)]
    return geod.line_length(lons, [lat] * len(lons)) / 1000.0


def nice_length(km: float) -> float:
    """The largest of 1, 2, 2.5, 5 times a power of ten that is at most ``km``."""
    if km <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(km))
    best = power
    for step in NICE_STEPS:
        if step * power <= km:
            best = step * power
    return best


def _draw_scale_bar(ax: Any, extent: tuple[float, float, float, float]) -> Any:
    """Draw the scale bar; return its box in display space (for labels to avoid)."""
    from matplotlib.patches import FancyBboxPatch, Rectangle

    west, east, south, north = extent
    width_deg, height_deg = east - west, north - south
    lat = south + height_deg * 0.06
    per_degree = km_per_degree_lon(lat)
    length_km = nice_length(width_deg * 0.18 * per_degree)
    if length_km <= 0:
        return ax.get_window_extent().shrunk(0, 0)
    bar_deg = length_km / per_degree
    x1 = east - width_deg * 0.04
    x0 = x1 - bar_deg
    bar_h = height_deg * 0.010
    backing = ax.add_patch(
        FancyBboxPatch(
            (x0 - width_deg * 0.015, lat - height_deg * 0.022),
            bar_deg + width_deg * 0.03,
            height_deg * 0.075,
            boxstyle="round,pad=0,rounding_size=0.1",
            facecolor="white",
            edgecolor="none",
            alpha=0.85,
            zorder=6,
        )
    )
    halves = 2
    for index in range(halves):
        ax.add_patch(
            Rectangle(
                (x0 + bar_deg * index / halves, lat),
                bar_deg / halves,
                bar_h,
                facecolor=INK if index % 2 == 0 else "white",
                edgecolor=INK,
                linewidth=0.8,
                zorder=7,
            )
        )
    label = f"{length_km:g} km"
    ax.text(x0, lat + bar_h * 1.6, "0", ha="center", va="bottom", fontsize=8, color=INK, zorder=7)
    ax.text(x1, lat + bar_h * 1.6, label, ha="center", va="bottom", fontsize=8, color=INK, zorder=7)
    ax.text(
        (x0 + x1) / 2,
        lat - bar_h * 0.6,
        f"at {abs(lat):.0f}°{'N' if lat >= 0 else 'S'}",
        ha="center",
        va="top",
        fontsize=6.5,
        color=MUTED,
        zorder=7,
    ).set_gid("scale-bar")
    renderer = ax.figure.canvas.get_renderer()
    return backing.get_window_extent(renderer).expanded(1.1, 1.3)


# ---------------------------------------------------------------------------------------------
# North arrow, edge arrows, labels, the source list


def _draw_north_arrow(ax: Any) -> Any:
    """An arrow pointing up with an N (the map's y axis is latitude, so north is up); return
    its box in display space."""
    arrow = ax.annotate(
        "",
        xy=(0.965, 0.93),
        xytext=(0.965, 0.83),
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>", "color": INK, "linewidth": 1.6, "mutation_scale": 14},
        zorder=7,
    )
    letter = ax.text(
        0.965,
        0.94,
        "N",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=11,
        fontweight="bold",
        color=INK,
        zorder=7,
    )
    letter.set_gid("north-arrow")
    renderer = ax.figure.canvas.get_renderer()
    from matplotlib.transforms import Bbox

    return Bbox.union(
        [arrow.get_window_extent(renderer), letter.get_window_extent(renderer)]
    ).expanded(1.6, 1.1)


EDGE_INSET = 0.012  # the arrow's head stays this far (of the frame's size) inside the edge
EDGE_LENGTH = 0.07
MAX_EDGE_ARROWS = 8


def _edge_arrows(
    ax: Any, pairs: list[tuple[Layer, dict[str, Any]]], extent: tuple[float, float, float, float]
) -> list[Label]:
    """Draw an arrow at the frame's edge toward each place beyond it (nearest first); return
    the labels that name them, to be placed with the others."""
    west, east, south, north = extent
    frame = (west, south, east, north)
    cx, cy = (west + east) / 2, (south + north) / 2
    labels = []
    for index, group in enumerate(grouped(offstage(pairs, frame))[:MAX_EDGE_ARROWS]):
        ex, ey = group.first.edge
        # The head just inside the edge, the tail further in, both on the line to the centre.
        head = (ex + (cx - ex) * EDGE_INSET * 2, ey + (cy - ey) * EDGE_INSET * 2)
        tail = (ex + (cx - ex) * EDGE_LENGTH * 2, ey + (cy - ey) * EDGE_LENGTH * 2)
        arrow = ax.annotate(
            "",
            xy=head,
            xytext=tail,
            arrowprops={
                "arrowstyle": "-|>",
                "color": EDGE_COLOR,
                "linewidth": 2.0,
                "mutation_scale": 16,
                "shrinkA": 0,
                "shrinkB": 0,
            },
            zorder=7,
        )
        arrow.arrow_patch.set_gid(f"edge-arrow-{index}")
        labels.append(
            Label(
                tail[0],
                tail[1],
                _safe(group.label()),
                priority=0,
                color=EDGE_COLOR,
                fontsize=7.5,
                weight="bold",
                places=_edge_places(head, tail),
                gid="edge-label",
                required=True,
            )
        )
    return labels


def _edge_places(
    head: tuple[float, float], tail: tuple[float, float]
) -> tuple[tuple[float, float, str, str], ...]:
    """Places for an edge arrow's label: at its tail, on the side away from the edge."""
    dx, dy = head[0] - tail[0], head[1] - tail[1]
    if abs(dx) >= abs(dy):  # a left or right edge: the text runs inward from the tail
        ha = "right" if dx > 0 else "left"
        sign = -1 if dx > 0 else 1
        return tuple((4 * sign, step, ha, "center") for step in (0, 9, -9, 18, -18, 27, -27))
    va = "top" if dy > 0 else "bottom"
    sign = -1 if dy > 0 else 1
    return tuple(
        (step, 4 * sign + lift * sign, "center", va)
        for lift in (0, 10, 20)
        for step in (0, 40, -40, 80, -80)
    )


def _point_positions(pairs: list[tuple[Layer, dict[str, Any]]]) -> list[tuple[float, float]]:
    points = []
    for _layer, feature in pairs:
        geometry = feature["geometry"]
        if geometry["type"] == "Point":
            points.append(tuple(geometry["coordinates"][:2]))
        elif geometry["type"] == "MultiPoint":
            points.extend(tuple(p[:2]) for p in geometry["coordinates"])
    return points


LABEL_CHARS = 34


def short_name(name: str) -> str:
    """A site's name for its label: a long name loses its closing parenthesis
    ('Izmir Air Station (425th Air Base Squadron)' -> 'Izmir Air Station')."""
    name = " ".join(name.split())
    if len(name) > LABEL_CHARS and name.endswith(")") and " (" in name:
        name = name[: name.rindex(" (")]
    return name


def _site_labels(
    pairs: list[tuple[Layer, dict[str, Any]]], numbers: dict[str, list[int]]
) -> list[Label]:
    """Labels for the lasting features (sites and areas; events would bury the map), with
    their source numbers; sites before areas, exact places before approximate ones."""
    from shapely.geometry import shape

    labels = []
    for layer, feature in pairs:
        if is_event(feature, layer):
            continue
        props = feature["properties"]
        geometry = feature["geometry"]
        area = "Polygon" in geometry["type"]
        if geometry["type"] == "Point":
            x, y = geometry["coordinates"][:2]
        else:
            point = shape(geometry).representative_point()
            x, y = point.x, point.y
        refs = refs_label(numbers.get(props["id"], []))
        exact = props.get("location_precision") == "exact"
        labels.append(
            Label(
                float(x),
                float(y),
                _safe(f"{short_name(props['name'])} {refs}".strip()),
                priority=(3 if area else 1) + (0 if exact else 1),
                color=_style(layer)[0] if area else INK,
                fontsize=6.5,
                places=((0, 0, "center", "center"),) if area else PLACES,
                gid="area-label" if area else "site-label",
            )
        )
    return labels


def _band_height(fig_h: float) -> float:
    """Inches under the map for the numbered source list."""
    return round(fig_h * 0.26, 2)


def _draw_sources_band(
    figure: Any,
    works: list[dict[str, Any]],
    rect: tuple[float, float, float, float],
    fig_size: tuple[float, float],
) -> None:
    """The numbered source list in columns in ``rect`` (x, y, width, height in inches), at the
    largest font that fits; what does not fit at the smallest is counted in a last line."""
    x, y, width, height = rect
    fig_w, fig_h = fig_size
    head = 0.2
    figure.text(
        x / fig_w,
        (y + height) / fig_h,
        "Sources",
        ha="left",
        va="top",
        fontsize=8.5,
        fontweight="bold",
        color=INK,
    ).set_gid("sources-heading")
    body = height - head
    size, rows, columns = _fit_columns(len(works), width, body)
    capacity = rows * columns
    shown = works if len(works) <= capacity else works[: capacity - 1]
    column_w = width / columns
    chars = int(column_w * 72 / (size * 0.55)) - 2
    lines = [short_entry(n, work, chars) for n, work in enumerate(shown, start=1)]
    if len(shown) < len(works):
        lines.append(f"… and {len(works) - len(shown)} more: see the PDF or HTML export")
    row_h = size * 1.3 / 72
    for index, line in enumerate(lines):
        column, row = divmod(index, rows)
        figure.text(
            (x + column * column_w) / fig_w,
            (y + body - row * row_h) / fig_h,
            line,
            ha="left",
            va="top",
            fontsize=size,
            color=MUTED,
        ).set_gid(f"source-entry-{index}")


def _fit_columns(count: int, width: float, height: float) -> tuple[float, int, int]:
    """(font size, rows, columns) for ``count`` entries in width x height inches: the largest
    size from 7 pt down to 4 pt whose columns are at least 40 characters wide."""
    size = 7.0
    while True:
        rows = max(1, int(height / (size * 1.3 / 72)))
        columns = max(1, math.ceil(count / rows))
        if width / columns * 72 / (size * 0.55) >= 40 or size <= 4.0:
            break
        size -= 0.5
    most = max(1, int(width / (40 * size * 0.55 / 72)))
    return size, rows, min(columns, most)
