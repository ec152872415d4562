"""The REST API, mounted under /v1 by ``app.py`` (``create_api`` for tests)."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from sqlalchemy.engine import Engine

from leads_core.api import campaigns, leads
from leads_core.api.deps import require_api_key
from leads_core.api.errors import install_error_handlers
from leads_core.config import Settings, get_settings
from leads_core.db import get_engine

DESCRIPTION = """Retrieve, import and manage leads programmatically.

Every endpoint needs `Authorization: Bearer <API key>`; make a key with
`python -m leads_core create-api-key NAME` or on the dashboard's API keys page.
Errors always have the shape `{"error": {"code", "message", "details"}}`."""


def create_api(engine: Engine | None = None, settings: Settings | None = None) -> FastAPI:
    api = FastAPI(
        title="Leads API",
        version="1.0.0",
        description=DESCRIPTION,
        dependencies=[Depends(require_api_key)],
    )
    api.state.settings = settings or get_settings()
    api.state.engine = engine or get_engine(api.state.settings)
    install_error_handlers(api)
    api.include_router(leads.router)
    api.include_router(campaigns.router)
    return api
