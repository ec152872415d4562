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
VIEW_NAME = 100
"""A saved view's name."""
VIEW_QUERY = 4000
"""A saved view's query string (its filters and sort)."""
ATTRIBUTE_KEY = 200
"""The name of one of a lead's attributes (a column header of the file it came from)."""
ATTRIBUTE_VALUE = 10_000
"""The text of one attribute (a file's cell: a long "About" column fits)."""
ATTRIBUTES = 200
"""Attributes one lead may hold (Outlook's export has 92 columns, HubSpot's often more)."""
TASK_TITLE = 500
"""A task's title ("Call back about pricing")."""
WEBHOOK_URL = 2000
"""A webhook endpoint's URL."""
WEBHOOK_DESCRIPTION = 500
"""What a webhook endpoint is for ("Slack #sales")."""
