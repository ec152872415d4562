"""Streamlit helpers shared by the pages: filters kept in the URL, cached reads, messages
that survive a rerun, and the lead grid's columns. Layout only - every rule, query and
computation lives in ``leads_core``."""
