"""What the dashboard, the API and the CLI call: one function per use (list, edit, delete,
re-score...) for leads, campaigns, API keys and the dashboard's aggregates. Each takes the
session it works in."""
