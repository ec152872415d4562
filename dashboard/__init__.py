"""Streamlit helpers shared by the pages: reads (``data``, cached where they can be) and
writes (``writes``) that open their own database session and call ``leads_core``, filters
kept in the URL, messages that survive a rerun, the lead grid's columns and the charts.
Every rule, query and computation lives in ``leads_core``; pages only draw."""
