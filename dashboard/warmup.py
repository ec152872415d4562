"""Before the server answers its first visitor: load what the pages use, then keep those
long-lived objects out of the garbage collector's full passes.

Streamlit runs a full garbage collection (``gc.collect(2)``) after every script run, in the
script's thread, holding the GIL: with pandas, Plotly, pyarrow, SQLAlchemy and FastAPI loaded
that walks ~230,000 objects, 0.2 s on a quiet core and about 1 s on a loaded one, while the
server can neither send the page's last messages nor its JavaScript. Frozen objects
(``gc.freeze``) are skipped by the collector: the pass then only walks what the sessions
made since. Loading the modules here also spares the first visitor their import (1-2 s).
"""

from __future__ import annotations

import gc
import importlib
import logging
import pkgutil

import dashboard

#: Loaded by the pages' elements on their first use, not by ``import streamlit``.
THIRD_PARTY = (
    "pandas",
    "pyarrow",
    "plotly.graph_objects",
    "streamlit.elements.lib.pandas_styler_utils",
    "streamlit.dataframe_util",
)


def prepare() -> None:
    """Import every ``dashboard`` module and what the pages draw with, then ``gc.freeze()``."""
    for module in THIRD_PARTY:
        importlib.import_module(module)
    # st.cache_data checks its options when a module defines a cached function, and warns
    # that no runtime exists yet (there is none while app.py is imported): harmless here.
    checks = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    level = checks.level
    checks.setLevel(logging.ERROR)
    try:
        for info in pkgutil.iter_modules(dashboard.__path__, "dashboard."):
            importlib.import_module(info.name)
    finally:
        checks.setLevel(level)
    gc.collect()  # what the imports left behind goes now, not into the frozen set
    gc.freeze()
