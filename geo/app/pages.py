"""The app's four pages: Map, Features, Sources, About."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import streamlit as st

from geo.app.map_component import posture_map, view_payload
from geo.app.text import md, md_link, safe_url
from geo.catalog import GROUP_TITLES, bibliography, is_event
from geo.compare import CHANGE_LABELS, view_changes
from geo.export import FILE_FORMATS, MIME_TYPES, export_bytes
from geo.framing import ExtentError, parse_extent
from geo.model import PartialDate
from geo.render.payload import (
    MAX_DRAWN,
    caption,
    dates_label,
)

if TYPE_CHECKING:
    from geo.app.main import Context


def map_page(ctx: Context) -> None:
    """The map across the page, then what the popup does not say, then the downloads."""
    payload = view_payload(ctx.catalog, ctx.view)
    _map(ctx)
    if ctx.view.compare:
        _changes_list(ctx)
    shown = (
        f"**{payload['count']:,}** of {payload['total']:,} features shown"
        if payload["count"] < payload["total"]
        else f"**{payload['count']:,}** features shown"
    )
    st.markdown(f"{shown} · {md(caption(ctx.view))}")
    if payload["count"] < payload["total"]:
        _capped_hint()
    _details(ctx)
    _downloads(ctx, payload["count"])


def _capped_hint() -> None:
    """Which features a view past the drawing cap shows, and the way to see them all."""
    st.caption(
        f"The map draws at most {MAX_DRAWN:,} features: the first in the order of the layers "
        "and of their files. A shorter event window or a filter draws every feature it holds."
    )
    if st.session_state.get("window") == "upto":
        st.button("Show one year of events", key="one_year", on_click=_one_year)


def _one_year() -> None:
    st.session_state["window"] = "1y"


@st.fragment
def _map(ctx: Context) -> None:
    """The map, in a fragment of its own: when it only reports the frame on screen, only this
    part reruns, so the download buttons below keep their files and a click on one is never
    lost to a rerun. A click, the label switch or a date from the timeline reruns the app."""
    told = posture_map(ctx.catalog, ctx.view, tiles=ctx.tiles, labels=ctx.labels)
    _screen(st.session_state)["extent"] = _screen_extent((told or {}).get("extent"))
    _take_click(told)
    _take_time_request(told)


def _take_click(click: dict[str, Any] | None) -> None:
    ss = st.session_state
    if not click or click.get("at") == ss.get("_last_click"):
        return
    ss["_last_click"] = click.get("at")
    if "labels" in click:  # the map's own switch; the checkbox takes it on the next run
        if bool(click["labels"]) != ss.get("labels"):
            ss["_labels_from_map"] = bool(click["labels"])
            st.rerun()
        return
    if click.get("selected") != ss.get("selected"):
        ss["selected"] = click.get("selected")
        st.rerun()


def _take_time_request(click: dict[str, Any] | None) -> None:
    """Take a date the map's timeline sent (a brushed window or the as-of cursor).

    The sidebar's date widgets are drawn already in this run and cannot change now: the
    request waits in the session for the next run, which applies it before drawing them
    (geo/app/main.py ``_apply_time_request``)."""
    ss = st.session_state
    if (
        click
        and click.get("at") != ss.get("_last_time")
        and (click.get("window") or click.get("asof"))
    ):
        ss["_last_time"] = click.get("at")
        ss["_time_request"] = {"window": click.get("window"), "asof": click.get("asof")}
        st.rerun()


def _changes_list(ctx: Context) -> None:
    """What opened, closed, changed hands or was struck between A and B, each linked to a view
    of its feature."""
    a, b = ctx.view.compare
    changes = view_changes(ctx.catalog, ctx.view)
    st.markdown(
        f"**Changes from {md(_day(a))} to {md(_day(b))}** · {len(changes)} · green outline: "
        "opened; grey, dashed: closed; purple: changed hands; dark red ring: struck"
    )
    if not changes:
        st.caption("Nothing opened, closed, changed hands or was struck between these dates.")
        return
    params = {key: st.query_params.get_all(key) for key in st.query_params if key != "sel"}
    lines = []
    for change in changes:
        props = change.feature["properties"]
        link = "?" + urlencode({**params, "sel": change.id}, doseq=True)
        note = f" ({md(change.note)})" if change.note else ""
        lines.append(
            f"- **{CHANGE_LABELS[change.kind]}** · {md(_day(change.date))} · "
            f"[{md(props['name'])}]({link}){note} · {md(change.layer.title)}"
        )
    with st.container(height=260):
        st.markdown("\n".join(lines))


def _day(text: str) -> str:
    return PartialDate.parse(text).label()


SCREEN_KEY = "_posture_screen"  # session state: what the map last reported of its frame


def _screen(ss: Any) -> dict[str, Any]:
    """This session's record of the map's frame on screen, read by the download buttons when
    clicked (in a server thread, outside any run): a plain dict, so it can be read there."""
    if SCREEN_KEY not in ss:
        ss[SCREEN_KEY] = {"extent": None}
    return ss[SCREEN_KEY]


def _downloads(ctx: Context, count: int) -> None:
    """Download buttons for the view, framed as the map is on screen when one is clicked (the
    map reports its frame when it comes to rest); each file is made only when it is clicked."""
    catalog, view = ctx.catalog, ctx.view.with_(selected=None)
    screen = _screen(st.session_state)
    labels = {
        "html": "HTML map",
        "png": "PNG image",
        "svg": "SVG image",
        "pdf": "PDF briefing",
        "geojson": "GeoJSON",
        "csv": "CSV",
        "kml": "KML",
        "gpkg": "GPKG",
    }
    st.caption("Download this view (the same files as `python -m geo export`):")
    columns = st.columns(len(FILE_FORMATS))
    for column, fmt in zip(columns, FILE_FORMATS, strict=True):
        column.download_button(
            labels[fmt],
            _deferred(catalog, view, fmt, screen),
            file_name=f"posture-map.{fmt}",
            mime=MIME_TYPES[fmt],
            key=f"download-{fmt}",
            on_click="ignore",  # a download changes nothing in the app
            disabled=count == 0,
            help="A self-contained page that works with no network." if fmt == "html" else None,
        )


def _screen_extent(value: Any) -> tuple[float, float, float, float] | None:
    """The frame the map reported, [west, south, east, north]; None when it sent none or
    something else (the map clamps its frame to the globe, so any other value is refused)."""
    if not isinstance(value, list) or len(value) != 4:
        return None
    try:
        return parse_extent(",".join(f"{float(v):.6f}" for v in value))
    except (ExtentError, TypeError, ValueError):
        return None


def _deferred(catalog: Any, view: Any, fmt: str, screen: dict[str, Any]) -> Any:
    def make() -> bytes:
        extent = screen.get("extent")
        framed = view if extent is None else view.with_(extent=extent, center=None, zoom=None)
        return export_bytes(catalog, framed, fmt)

    return make


def _details(ctx: Context) -> None:
    """The selected feature, told once: its popup on the map holds its facts, figures and
    sources; here is what the popup does not hold (its id, archived copies, notes on the
    sources) and the way to let it go."""
    selected = st.session_state.get("selected")
    found = ctx.catalog.find(selected) if selected else None
    if not found:
        st.caption(
            "Click a feature on the map for its popup: what it is, when, where, its figures "
            "and its sources. Where several lie together, a list lets you choose; *Features "
            "in view* in the legend reaches each one from the keyboard."
        )
        return
    layer, feature = found
    props = feature["properties"]
    event = is_event(feature, layer)
    st.subheader(md(props["name"]), anchor=False)
    st.caption(
        f"Selected: {md(props['kind'].replace('-', ' ').capitalize())} · {md(layer.title)} · "
        f"{md(dates_label(props, event))} · id {md(props['id'])} · "
        f"{len(props['sources'])} source(s), listed in its popup on the map. "
        "The address bar links to this view with this feature selected."
    )
    extra = []
    for number, source in enumerate(props["sources"], start=1):
        bits = []
        if source.get("archive_url"):
            bits.append(md_link("archived copy", source["archive_url"]))
        if source.get("note"):
            bits.append(md(source["note"]))
        if bits:
            extra.append(f"- [{number}] {md(source['publisher'])}: " + " · ".join(bits))
    if extra:
        st.markdown("**About its sources** (not in the popup)\n" + "\n".join(extra))
    if st.button("Clear selection"):
        st.session_state["selected"] = None
        st.rerun()


def features_page(ctx: Context) -> None:
    st.title("Features")
    rows = [_row(layer, feature) for layer, feature in ctx.catalog.features(ctx.view)]
    st.markdown(
        f"**{len(rows)}** features shown · {md(caption(ctx.view))}. Click a column to sort."
    )
    st.dataframe(
        rows,
        hide_index=True,
        use_container_width=True,
        column_config={
            "first source": st.column_config.LinkColumn("first source"),
            "sources": st.column_config.NumberColumn("sources", format="%d"),
        },
    )


def _row(layer: Any, feature: dict[str, Any]) -> dict[str, Any]:
    props = feature["properties"]
    return {
        "id": props["id"],
        "name": props["name"],
        "layer": layer.title,
        "kind": props["kind"],
        "dates": dates_label(props, is_event(feature, layer)),
        "start": props["start"],
        "end": props.get("end", ""),
        "location": props["location_precision"],
        "country": props.get("country", ""),
        "actor": props.get("actor", ""),
        "claim status": props.get("claim_status", ""),
        "sources": len(props["sources"]),
        "first source": safe_url(props["sources"][0]["url"]),
        "source titles": " | ".join(s["title"] for s in props["sources"]),
    }


def sources_page(ctx: Context) -> None:
    st.title("Sources")
    shown = list(ctx.catalog.features(ctx.view))
    works = bibliography(shown)
    names = {f["properties"]["id"]: f["properties"]["name"] for _, f in shown}
    st.markdown(
        f"**{len(works)}** cited works behind the **{len(names)}** features shown, each "
        "listed once with the features that cite it."
    )
    for number, work in enumerate(works, start=1):
        published = f", {md(work['published'])}" if work.get("published") else ""
        cited = ", ".join(md(names[fid]) for fid in work["cited_by"])
        st.markdown(
            f"{number}\\. {md_link(work['title'], work['url'])} — "
            f"{md(work['publisher'])}{published}. Cited by: {cited}"
        )


def about_page(ctx: Context) -> None:
    st.title("About this map")
    st.markdown(
        "A sourced, time-aware map of US military force posture in the Middle East and of the "
        "regional actors around it: US sites, the areas held by Iran-aligned groups, and strike "
        "events. Every feature cites the pages it comes from; every date keeps the precision "
        "its source gave; stand-in and approximate locations are drawn hollow and say so.\n\n"
        "**Use it.** Switch layers on and off in the sidebar, move the as-of date (or press "
        "Play), filter and search; the map, the Features table and the counts follow. Click a "
        "feature for its sources. The address bar always holds the current view: copy it to "
        "share exactly what you see. *Download this view* gives one HTML file that works with "
        "no network.\n\n"
        "**Data licence.** The layer files are released under CC BY 4.0 as a compilation; the "
        "facts and figures belong to the sources each feature cites. The basemap is Natural "
        "Earth (public domain).\n\n"
        "**Contribute.** Layers are GeoJSON files under `layers/` in the repository. Read "
        "`layers/README.md` (the format) and `CONTRIBUTING.md` (how to cite), run "
        "`python -m geo validate`, and open a pull request."
    )
    st.subheader("Layers", anchor=False)
    st.dataframe(
        [
            {
                "layer": layer.title,
                "group": GROUP_TITLES.get(layer.group, layer.group),
                "features": len(layer.features),
                "description": layer.meta["description"],
            }
            for layer in ctx.catalog.layers
        ],
        hide_index=True,
        use_container_width=True,
    )
    reviewed = ctx.catalog.reviewed_to()
    st.caption(
        f"Data version {ctx.catalog.data_version()}."
        + (f" Data reviewed to {md(reviewed)}." if reviewed else "")
    )
