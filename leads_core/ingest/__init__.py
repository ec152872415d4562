"""Leads coming in: the one import path (rows or CSV bytes -> validated, deduplicated, scored
leads in one transaction), safe retries (Idempotency-Key) and the demo data."""
