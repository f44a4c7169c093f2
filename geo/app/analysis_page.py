"""The Analysis page: distance between two features, range rings, and the exposure of US sites
on the sidebar's as-of date. Rings and exposure go onto the map as session layers, so the Map
page and its downloads carry them like any other layer."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import streamlit as st

from geo.analysis.distance import between
from geo.analysis.exposure import Exposure, csv_text, exposure
from geo.analysis.features import geometry_of
from geo.analysis.layers import exposure_layers, layer_document, ring_layer
from geo.analysis.origins import IRAN, ORIGINS, OriginError
from geo.analysis.ranges import TableError, WeaponClass, classes, read_table
from geo.analysis.rings import RingError
from geo.app.text import md, md_link
from geo.catalog import Catalog
from geo.model import Layer

if TYPE_CHECKING:
    from geo.app.main import Context

COUNTRY_CHOICES = {"country-ir": f"{IRAN} (country outline)"}


def analysis_page(ctx: Context) -> None:
    as_of = dt.date.fromisoformat(ctx.view.as_of) if ctx.view.as_of else dt.date.today()
    st.markdown(
        f"Analysis as of **{as_of.isoformat()}**, the sidebar's date"
        + ("" if ctx.view.as_of else " (every date is shown on the map; today is used here)")
        + ". Distances are geodesic on the WGS84 ellipsoid."
    )
    try:
        weapons = classes(read_table())
    except TableError as exc:
        st.error(md(str(exc)))
        return
    distance_tab, rings_tab, exposure_tab = st.tabs(["Distance", "Range rings", "Exposure"])
    with distance_tab:
        _distance(ctx.catalog)
    with rings_tab:
        _rings(ctx.catalog, weapons, as_of)
    with exposure_tab:
        _exposure(ctx.catalog, weapons, as_of)


def _distance(catalog: Catalog) -> None:
    names = dict(COUNTRY_CHOICES)
    for layer in catalog.layers:
        for feature in layer.features:
            props = feature["properties"]
            names[props["id"]] = f"{props['name']} ({layer.title})"
    ids = sorted(names, key=lambda key: names[key].casefold())
    left, right = st.columns(2)
    first = left.selectbox("From", ids, format_func=names.get, key="analysis:from", index=None)
    second = right.selectbox("To", ids, format_func=names.get, key="analysis:to", index=None)
    if not first or not second:
        st.caption("Pick two features. An area is measured to the nearest point of its boundary.")
        return
    a, b = geometry_of(catalog, first), geometry_of(catalog, second)
    if a is None or b is None:
        st.error("That feature is no longer loaded; pick again.")
        return
    result = between(a, b)
    bearing = "none (they touch)" if result.bearing is None else f"{result.bearing:.1f}°"
    st.markdown(
        f"**{result.km:,.1f} km** from {md(names[first])} to {md(names[second])}; "
        f"initial bearing {bearing}."
    )
    st.caption(
        f"From {result.start[1]:.4f}, {result.start[0]:.4f} to "
        f"{result.end[1]:.4f}, {result.end[0]:.4f} (latitude, longitude)."
    )


def _rings(catalog: Catalog, weapons: list[WeaponClass], as_of: dt.date) -> None:
    left, right = st.columns(2)
    origin_key = left.selectbox(
        "Origin",
        list(ORIGINS),
        format_func=lambda key: ORIGINS[key].label,
        key="analysis:origin",
    )
    in_use = [weapon for weapon in weapons if weapon.in_use_on(as_of)]
    if not in_use:
        st.info("No class in the table was in use on this date.")
        return
    labels = {f"{w.name}|{w.actor}": w for w in in_use}
    choice = right.selectbox(
        "Class",
        list(labels),
        format_func=lambda key: f"{labels[key].name} ({labels[key].actor})",
        key="analysis:class",
    )
    weapon = labels[choice]
    st.markdown(
        "Sourced ranges: "
        + "; ".join(
            f"{md(f.as_printed)} ({md_link(f.source['publisher'], f.source['url'])})"
            for f in weapon.figures
        )
    )
    if weapon.actor != ORIGINS[origin_key].actor:
        st.caption(
            f"This class belongs to {md(weapon.actor)}; the rings show its reach as if launched "
            f"from {md(ORIGINS[origin_key].label)}."
        )
    if st.button("Draw the rings on the map", key="analysis:draw"):
        try:
            layer = ring_layer(catalog, origin_key, weapon, as_of)
        except (OriginError, RingError) as exc:
            st.error(md(str(exc)))
            return
        _add_layers([layer])
        st.session_state["analysis:rings"] = layer
        st.rerun()
    layer = st.session_state.get("analysis:rings")
    if isinstance(layer, Layer):
        st.success(
            f"On the map: {md(layer.title)} ({len(layer.features)} ring(s)); see the Map page "
            "and its downloads."
        )
        st.download_button(
            "Rings as a layer file (GeoJSON)",
            json.dumps(layer_document(layer), ensure_ascii=False),
            file_name=f"{layer.id}.geojson",
            mime="application/geo+json",
            key="analysis:rings-download",
        )


def _exposure(catalog: Catalog, weapons: list[WeaponClass], as_of: dt.date) -> None:
    rows = _exposure_rows(catalog, weapons, as_of)
    if not rows:
        st.info("No US site is active on this date.")
        return
    st.caption(
        "One row per US site active on the date. A class is in range when the site lies within "
        "its range of the nearest area its actor held that day; disagreeing sources are counted "
        "both ways. Click a column to sort."
    )
    st.dataframe([item.row for item in rows], hide_index=True, key="analysis:table")
    cols = st.columns(2)
    cols[0].download_button(
        "Exposure table (CSV)",
        csv_text(rows),
        file_name=f"exposure-{as_of.isoformat()}.csv",
        mime="text/csv",
        key="analysis:exposure-download",
    )
    if cols[1].button("Show the sites on the map by classes in range", key="analysis:expose"):
        _add_layers(exposure_layers(rows, as_of), replace_prefix="exposure-")
        st.rerun()


def _exposure_rows(catalog: Catalog, weapons: list[WeaponClass], as_of: dt.date) -> list[Exposure]:
    """Computed once per data version and date in this session."""
    key = (catalog.data_version(), as_of.isoformat(), len(weapons))
    memo = st.session_state.setdefault("analysis:exposure-memo", {})
    if key not in memo:
        memo.clear()
        memo[key] = exposure(catalog, as_of, weapons)
    return memo[key]


def _add_layers(layers: list[Layer], replace_prefix: str | None = None) -> None:
    """Put layers on the map for this session, beside any uploaded ones."""
    ids = {layer.id for layer in layers}
    kept = [
        item
        for item in st.session_state.get("user_layers", [])
        if item.id not in ids and not (replace_prefix and item.id.startswith(replace_prefix))
    ]
    st.session_state["user_layers"] = [*kept, *layers]
    for layer in layers:
        st.session_state[f"layer:{layer.id}"] = True
