"""Entry point: `streamlit run streamlit_app.py`."""

from geo.app.main import run

run()
