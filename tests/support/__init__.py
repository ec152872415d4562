"""Machinery for the tests and the benchmarks (not part of the product): a throwaway
PostgreSQL server, and the app started as `streamlit run app.py` with Chromium on it."""
