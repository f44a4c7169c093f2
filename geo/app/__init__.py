"""The Streamlit app: the only code that imports streamlit."""
