"""The analyst app: a sidebar that builds the View, four pages that show it, the URL that
keeps it."""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from geo.app import pages
from geo.app.analysis_page import analysis_page
from geo.app.state import (
    MULTI_KEYS,
    WINDOWS,
    UrlState,
    parse_params,
    step_date,
    to_params,
    to_view,
)
from geo.app.text import md
from geo.app.upload import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_FEATURES,
    UPLOAD_FORMATS,
    Taken,
    UploadFolder,
)
from geo.app.upload_check import check_upload
from geo.catalog import (
    GROUP_ORDER,
    GROUP_TITLES,
    Catalog,
    View,
    is_stored,
    load_catalog,
    matches,
    stored_filter,
)
from geo.ingest.csv import OPTIONAL as CSV_OPTIONAL
from geo.ingest.csv import REQUIRED as CSV_REQUIRED
from geo.model import Layer, Message
from geo.render import TILES
from geo.render.payload import country_name
from geo.validate.read import LAYER_SUFFIXES

LAYERS_DIR = Path(__file__).resolve().parents[2] / "layers"
MESSAGES_SHOWN = 50  # of an upload's problems; the rest are counted
MAX_USER_LAYERS = 5  # per session: each is held in the server's memory
TILE_LABELS = {
    "none": "Offline outline only (no network)",
    "openstreetmap": "OpenStreetMap tiles (needs internet)",
}
STEP_UNITS = ("day", "month", "year")
PLAY_DELAY_S = 1.0
EARLIEST = dt.date(1900, 1, 1)  # the date widgets' lower bound; the data starts in 1948


@dataclass
class Context:
    """What every page needs: the catalog (with this session's uploads) and the view."""

    catalog: Catalog
    view: View
    tiles: str
    labels: bool = True


@st.cache_resource(show_spinner=False)
def _load(folder: str, signature: tuple) -> Catalog:
    del signature  # part of the cache key only: reload when a layer file changes
    try:
        return load_catalog(Path(folder))
    except Exception:  # a checker bug on one file must not take every page down
        return _load_each(Path(folder))


def _load_each(folder: Path) -> Catalog:
    """The catalog assembled file by file; a file whose loading fails is left out, named."""
    layers, messages = [], []
    for path in sorted(p for p in folder.rglob("*") if _is_layer_name(p) and p.is_file()):
        try:
            one = load_catalog(path)
        except Exception as exc:
            reason = f"the checker failed on it ({type(exc).__name__})"
            messages.append(Message("error", "load-failed", str(path), reason, "report this"))
            continue
        messages += one.messages
        for layer in one.layers:
            if layer.id in {known.id for known in layers}:
                reason = f"layer id {layer.id!r} is already used by another file"
                messages.append(Message("error", "duplicate-layer-id", str(path), reason))
            else:
                layers.append(layer)
    order = {group: number for number, group in enumerate(GROUP_ORDER)}
    layers.sort(key=lambda layer: (order.get(layer.group, 99), layer.title))
    return Catalog(layers, messages)


def _is_layer_name(path: Path) -> bool:
    """Named like a layer file, GeoJSON or GeoParquet (it may still be a broken link)."""
    return path.suffix.lower() in LAYER_SUFFIXES


def layers_dir() -> Path:
    """The layers the app shows; GEO_LAYERS_DIR points it elsewhere (tests, a private set)."""
    return Path(os.environ.get("GEO_LAYERS_DIR") or LAYERS_DIR)


def repository_catalog() -> Catalog:
    folder = layers_dir()
    signature = []
    for path in sorted(p for p in folder.rglob("*") if _is_layer_name(p)):
        try:
            stat = path.stat()
        except OSError:  # a broken link, a file removed while we look: load_catalog says why
            signature.append((str(path), None, None))
        else:
            signature.append((str(path), stat.st_mtime_ns, stat.st_size))
    return _load(str(folder), tuple(signature))


def left_out(messages: list[Message]) -> list[str]:
    """One line per layer file left out: its first problem and how many more it has."""
    by_file: dict[str, list[Message]] = {}
    for message in messages:
        by_file.setdefault(message.file, []).append(message)
    lines = []
    for file, found in by_file.items():
        more = f" (and {len(found) - 1} more problem(s): run python -m geo validate {file})"
        lines.append(found[0].format() + (more if len(found) > 1 else ""))
    return lines


def run() -> None:
    st.set_page_config(
        page_title="US force posture in the Middle East",
        layout="wide",
        initial_sidebar_state="auto",  # open on a wide screen, one tap away on a phone
    )
    _layout_style()
    base = repository_catalog()
    catalog = base
    for layer in st.session_state.get("user_layers", []):
        catalog = catalog.with_layer(layer)
    default_layers = [layer.id for layer in catalog.layers if layer.meta.get("visible", True)]
    _init_from_url(catalog)
    if st.session_state.pop("_advance", False):
        _step(1)
    if "_labels_from_map" in st.session_state:  # the map's own switch, before the checkbox
        st.session_state["labels"] = st.session_state.pop("_labels_from_map")
    state = _sidebar(catalog, base)
    _sync_url(state, default_layers)
    view = to_view(state, default_layers, dt.date.today())
    ctx = Context(catalog, view, state.tiles, st.session_state["labels"])
    for line in left_out(base.messages):
        st.error(f"A layer file was left out: {md(line)}")

    def map_page() -> None:
        pages.map_page(ctx)

    def features_page() -> None:
        pages.features_page(ctx)

    def sources_page() -> None:
        pages.sources_page(ctx)

    def about_page() -> None:
        pages.about_page(ctx)

    navigation = st.navigation(
        [
            st.Page(map_page, title="Map", url_path="map", default=True),
            st.Page(features_page, title="Features", url_path="features"),
            st.Page(sources_page, title="Sources", url_path="sources"),
            st.Page(about_page, title="About", url_path="about"),
            st.Page(lambda: analysis_page(ctx), title="Analysis", url_path="analysis"),
        ]
    )
    navigation.run()
    _play(state)


# --------------------------------------------------------------------------------------------


def _init_from_url(catalog: Catalog) -> None:
    """Once per session: put what the URL says into the widgets."""
    if st.session_state.get("_initialised"):
        return
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    state = parse_params(params, catalog.layer_ids(), list(TILES))
    ss = st.session_state
    for layer in catalog.layers:
        shown = (
            layer.meta.get("visible", True) if state.layers is None else layer.id in (state.layers)
        )
        ss[f"layer:{layer.id}"] = shown
    ss["all_dates"] = state.all_dates
    ss["as_of"] = _clamp(state.as_of or dt.date.today())
    ss["window"] = state.window
    ss["window_from"] = _clamp(state.window_from or dt.date(2020, 1, 1))
    ss["window_to"] = _clamp(state.window_to or dt.date.today())
    facets = catalog.facets()
    for key, facet in MULTI_KEYS.items():
        ss[f"filter:{key}"] = [v for v in state.filters.get(key, ()) if v in facets[facet]]
    ss["query"] = state.query
    ss["selected"] = state.selected if state.selected and catalog.find(state.selected) else None
    ss["center"], ss["zoom"] = state.center, state.zoom
    ss["tiles"] = state.tiles
    ss["compare_on"] = state.compare is not None
    before, after = state.compare or (step_date(dt.date.today(), "year", -1), dt.date.today())
    ss["compare_a"], ss["compare_b"] = _clamp(before), _clamp(after)
    ss["step_unit"] = "month"
    ss["labels"] = st.query_params.get("labels") != "0"
    ss["playing"] = False
    ss["_initialised"] = True


def _layout_style() -> None:
    """A narrow margin round the page, so that the map, not white space, takes the width."""
    st.html(
        "<style>[data-testid='stMainBlockContainer'] { padding: 3.75rem 1rem 2rem; "
        "max-width: none; }</style>"
    )


def shown_counts(catalog: Catalog, view: View) -> dict[str, int]:
    """Features each layer shows under the view's dates and filters, whether or not the layer
    is switched on: the count the legend on the map gives for it."""
    counts = {}
    for layer in catalog.layers:
        if is_stored(layer):  # a big layer is counted by its store, not read row by row
            counts[layer.id] = layer.features.table.count(stored_filter(layer, view))
        else:
            counts[layer.id] = sum(1 for f in layer.features if matches(f, layer, view))
    return counts


def _sidebar(catalog: Catalog, base: Catalog) -> UrlState:
    ss = st.session_state
    _apply_time_request()
    counts = shown_counts(catalog, to_view(_state(catalog), [], dt.date.today()))
    with st.sidebar:
        st.header("Layers")
        for group in GROUP_ORDER:
            members = [layer for layer in catalog.layers if layer.group == group]
            if not members:
                continue
            st.caption(GROUP_TITLES[group])
            for layer in members:
                st.checkbox(f"{md(layer.title)} ({counts[layer.id]})", key=f"layer:{layer.id}")
        st.header("Time")
        st.checkbox("Show every date (ignore the as-of date)", key="all_dates")
        st.date_input(
            "As of",
            key="as_of",
            min_value=EARLIEST,
            max_value=dt.date.today(),
            disabled=ss["all_dates"],
            help="Sites and areas shown are those in place on this date.",
        )
        _enter_applies_dates()
        step_cols = st.columns([2, 1, 1])
        step_cols[0].selectbox("Step", STEP_UNITS, key="step_unit", label_visibility="collapsed")
        step_cols[1].button(
            "◀",
            key="step_back",
            on_click=_step,
            args=(-1,),
            help="Back one step",
            disabled=ss["all_dates"],
        )
        step_cols[2].button(
            "▶",
            key="step_forward",
            on_click=_step,
            args=(1,),
            help="Forward one step",
            disabled=ss["all_dates"],
        )
        st.toggle(
            "Play",
            key="playing",
            disabled=ss["all_dates"],
            help="Step forward once a second until today.",
        )
        st.selectbox("Events shown", list(WINDOWS), format_func=WINDOWS.get, key="window")
        if ss["window"] == "custom":
            st.date_input(
                "Events from", key="window_from", min_value=EARLIEST, max_value=dt.date.today()
            )
            st.date_input(
                "Events to", key="window_to", min_value=EARLIEST, max_value=dt.date.today()
            )
        _compare_controls()
        st.header("Filters")
        facets = catalog.facets()
        st.multiselect(
            "Country",
            facets["countries"],
            key="filter:country",
            format_func=lambda code: f"{country_name(code)} ({code})",
        )
        st.multiselect("Actor", facets["actors"], key="filter:actor")
        st.multiselect("Kind", facets["kinds"], key="filter:kind")
        st.multiselect("Claim status", facets["statuses"], key="filter:status")
        st.text_input("Search names, descriptions and sources", key="query", max_chars=200)
        st.header("Basemap")
        st.selectbox(
            "Tiles",
            list(TILES),
            format_func=TILE_LABELS.get,
            key="tiles",
            help="The offline outline is always drawn beneath any tiles.",
        )
        st.checkbox("Labels (site and country names)", key="labels")
        _upload_box(base)
    return _state(catalog)


def _state(catalog: Catalog) -> UrlState:
    """The view the widgets hold (before a run draws them, the values of the last run)."""
    ss = st.session_state
    layers = tuple(layer.id for layer in catalog.layers if ss.get(f"layer:{layer.id}"))
    return UrlState(
        layers=layers,
        as_of=ss["as_of"],
        all_dates=ss["all_dates"],
        window=ss["window"],
        window_from=ss["window_from"] if ss["window"] == "custom" else None,
        window_to=ss["window_to"] if ss["window"] == "custom" else None,
        filters={key: tuple(ss[f"filter:{key}"]) for key in MULTI_KEYS if ss[f"filter:{key}"]},
        query=ss["query"].strip(),
        selected=ss["selected"],
        center=ss["center"],
        zoom=ss["zoom"],
        tiles=ss["tiles"],
        compare=_chosen_compare(),
    )


# Streamlit's date field applies a typed date only when the focus leaves it (a click
# elsewhere); Enter does nothing. This moves the focus to the field's own wrapper on Enter,
# which applies the date the same way. Same-origin frame: it reaches the app's document.
_ENTER_SCRIPT = """<script>
(function () {
  var top = window.parent;
  if (!top || top.__postureEnterDates) { return; }
  top.__postureEnterDates = true;
  top.document.addEventListener('keydown', function (event) {
    if (event.key !== 'Enter' || event.isComposing || !event.target.closest) { return; }
    var field = event.target.closest('[data-testid="stDateInputField"]');
    if (!field) { return; }
    var holder = field.closest('[data-testid="stDateInput"]') || field.parentElement;
    holder.setAttribute('tabindex', '-1');
    event.preventDefault();
    holder.focus();
  }, true);
}());
</script>"""


def _enter_applies_dates() -> None:
    """Make Enter apply a date typed into any date field (issue 11, part 8)."""
    components.html(_ENTER_SCRIPT, height=0)


def _compare_controls() -> None:
    """The compare-two-dates widgets (their values reach the view through _chosen_compare)."""
    ss = st.session_state
    st.checkbox(
        "Compare two dates",
        key="compare_on",
        help="Show what opened, closed, changed hands or was struck between A and B: the map "
        "shows the posture at B and the events after A, and lists the changes below it.",
    )
    if not ss["compare_on"]:
        return
    columns = st.columns(2)
    today = dt.date.today()
    columns[0].date_input("A (before)", key="compare_a", min_value=EARLIEST, max_value=today)
    columns[1].date_input("B (after)", key="compare_b", min_value=EARLIEST, max_value=today)
    if ss["compare_a"] >= ss["compare_b"]:
        st.warning("A must be before B; the map shows no comparison until it is.")


def _chosen_compare() -> tuple[dt.date, dt.date] | None:
    """The A and B the widgets hold, or None while comparing is off or A is not before B."""
    ss = st.session_state
    if not ss.get("compare_on") or ss.get("compare_a") is None or ss.get("compare_b") is None:
        return None
    if ss["compare_a"] >= ss["compare_b"]:
        return None
    return ss["compare_a"], ss["compare_b"]


def _apply_time_request() -> None:
    """A date the map's timeline sent (see pages._take_time_request), put into the widgets
    before they are drawn. While comparing, a brushed span becomes A and B, and the cursor B."""
    ss = st.session_state
    request = ss.pop("_time_request", None)
    if not request:
        return
    try:
        window = [dt.date.fromisoformat(day) for day in request.get("window") or []]
        as_of = dt.date.fromisoformat(request["asof"]) if request.get("asof") else None
    except (TypeError, ValueError):  # not from our timeline: ignore it
        return
    if len(window) == 2 and window[0] <= window[1]:
        if ss.get("compare_on"):
            ss["compare_a"] = _clamp(window[0] - dt.timedelta(days=1))
            ss["compare_b"] = _clamp(window[1])
        else:
            ss["window"] = "custom"
            ss["window_from"], ss["window_to"] = _clamp(window[0]), _clamp(window[1])
    if as_of is not None and ss.get("compare_on"):  # the cursor shows B while comparing
        ss["compare_b"] = _clamp(as_of)
    elif as_of is not None:
        ss["all_dates"] = False
        ss["as_of"] = _clamp(as_of)


def _upload_box(base: Catalog) -> None:
    with st.expander("Bring your own layer"):
        st.caption(
            f"GeoJSON (a layer file, or any FeatureCollection whose features follow the "
            f"format), GeoParquet, CSV, or an ACLED or UCDP GED export as downloaded; plain "
            f"or gzipped. At most {MAX_UPLOAD_BYTES // 1024**2} MB and "
            f"{MAX_UPLOAD_FEATURES:,} rows. Kept for this session only. CSV columns: "
            f"{', '.join(CSV_REQUIRED)}; optional: {', '.join(CSV_OPTIONAL)}. A big file "
            "keeps the rows it can use and lists the ones it leaves out."
        )
        fmt = st.selectbox(
            "Format",
            list(UPLOAD_FORMATS),
            format_func=UPLOAD_FORMATS.__getitem__,
            key="upload_format",
        )
        upload = st.file_uploader(
            "Layer file",
            type=["geojson", "json", "csv", "gz", "parquet", "geoparquet", "zip"],
            key="upload",
            label_visibility="collapsed",
            max_upload_size=MAX_UPLOAD_BYTES // 1024**2,
        )
        if upload is not None and st.session_state.get("_upload_seen") != upload.file_id:
            note = st.empty()

            def show_progress(stage: str, seconds: float) -> None:
                note.info(f"Checking {md(upload.name)}: {md(stage)} ({seconds:.0f} s)")

            if "upload_dir" not in st.session_state:  # this session's uploaded layers
                st.session_state["upload_dir"] = UploadFolder()
            folder = st.session_state["upload_dir"]
            outcome = check_upload(
                upload.name,
                upload.getvalue(),
                Taken.of(base),
                show_progress,
                fmt=fmt,
                workdir=folder.path,
            )
            note.empty()
            st.session_state["_upload_seen"] = upload.file_id  # only once it was checked
            layer = outcome.layer
            st.session_state["upload_messages"] = [m.format() for m in outcome.messages]
            st.session_state["upload_total"] = outcome.total
            if layer is not None:
                kept, dropped = add_user_layer(st.session_state.get("user_layers", []), layer)
                st.session_state["user_layers"] = kept
                folder.forget(dropped)
                st.session_state[f"layer:{layer.id}"] = True
                st.session_state["upload_ok"] = f"Added {layer.title} ({len(layer.features)})" + (
                    f"; removed {', '.join(item.title for item in dropped)} "
                    f"(at most {MAX_USER_LAYERS} of your layers at a time)"
                    if dropped
                    else ""
                )
            else:
                st.session_state["upload_ok"] = None
            st.rerun()
        if st.session_state.get("upload_ok"):
            st.success(md(st.session_state["upload_ok"]))
        problems = st.session_state.get("upload_messages") or []
        total = max(st.session_state.get("upload_total", 0), len(problems))
        if problems and not st.session_state.get("upload_ok"):
            st.error(f"The file was refused: {total:,} problem(s).")
        if problems:
            shown = problems[:MESSAGES_SHOWN]
            if total > len(shown):
                shown.append(
                    f"... and {total - len(shown):,} more problem(s): "
                    "python -m geo validate lists them all"
                )
            st.code("\n".join(shown), language=None, wrap_lines=True)


def add_user_layer(layers: list[Layer], layer: Layer) -> tuple[list[Layer], list[Layer]]:
    """This session's layers with ``layer`` added (replacing one of the same id), and the
    oldest ones dropped to keep :data:`MAX_USER_LAYERS`."""
    kept = [item for item in layers if item.id != layer.id] + [layer]
    cut = max(0, len(kept) - MAX_USER_LAYERS)
    return kept[cut:], kept[:cut]


def _clamp(date: dt.date) -> dt.date:
    """A date the date widgets accept: a link may name any day, even tomorrow."""
    return min(max(date, EARLIEST), dt.date.today())


def _step(direction: int) -> None:
    ss = st.session_state
    moved = step_date(ss["as_of"], ss["step_unit"], direction)
    ss["as_of"] = _clamp(moved)


def _sync_url(state: UrlState, default_layers: list[str]) -> None:
    wanted = to_params(state, default_layers)
    if not st.session_state.get("labels", True):
        wanted["labels"] = "0"
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    normal = {key: value if isinstance(value, list) else [value] for key, value in wanted.items()}
    if normal != current:
        st.query_params.from_dict(wanted)


def _play(state: UrlState) -> None:
    """While playing, wait, then ask the next run to step forward (before its widgets exist,
    since a widget's value cannot change once it is drawn)."""
    ss = st.session_state
    if not ss.get("playing") or state.all_dates or ss["as_of"] >= dt.date.today():
        return
    time.sleep(PLAY_DELAY_S)
    ss["_advance"] = True
    st.rerun()
