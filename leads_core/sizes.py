"""How long the things people type may be, besides a lead's own fields (those are declared
in ``leads_core.fields``): the table columns, the API's checks and the dashboard's inputs all
read these, so each limit is written once."""

from __future__ import annotations

CAMPAIGN_NAME = 200
"""A campaign's name."""
TARGET_POSITION = 200
"""One of a campaign's target positions (a title such as "VP Engineering")."""
CRITERIA_ITEMS = 100
"""Target positions, or target sources, one campaign may list."""
SEARCH = 200
"""The free-text search (``q``)."""
