"""Editing the Leads grid in AppTest as the browser does: the editor's state holds every
edit made since the grid was drawn (a new edit adds to the earlier ones)."""

from __future__ import annotations

import copy
from typing import Any

from streamlit.testing.v1 import AppTest


def edit_grid(at: AppTest, position: int, cells: dict[str, Any]) -> AppTest:
    """Edit (or tick) cells of one row of the page's grid, then run the page."""
    editor = at.data_editor[0]
    try:
        rows = copy.deepcopy(dict(at.session_state[editor.key]["edited_rows"]))
    except KeyError:  # nothing edited in this grid yet
        rows = {}
    rows.setdefault(position, {}).update(cells)
    at.session_state[editor.key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return at.run()
