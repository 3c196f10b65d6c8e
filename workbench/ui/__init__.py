"""Streamlit-aware helpers shared by the pages (the only core package allowed to import it)."""
