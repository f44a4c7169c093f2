"""Geodesic analysis on the layer model: distances, range rings and the exposure of US sites.

Everything here is a pure function of the catalog, the missile table and pyproj's Geod on WGS84;
nothing draws, prints or imports streamlit.
"""
