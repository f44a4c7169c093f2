"""The app's pages."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from geo.catalog import GROUP_TITLES, load_catalog

LAYERS_DIR = Path(__file__).resolve().parents[2] / "layers"


def run() -> None:
    st.set_page_config(page_title="US force posture in the Middle East", layout="wide")
    st.title("US force posture in the Middle East")
    catalog = load_catalog(LAYERS_DIR)
    for message in catalog.messages:
        st.error(message.format())
    for layer in catalog.layers:
        st.subheader(f"{layer.title} ({GROUP_TITLES.get(layer.group, layer.group)})")
        st.write(f"{len(layer.features)} features")
