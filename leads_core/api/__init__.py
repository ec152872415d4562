"""The REST API, mounted under /v1 by ``app.py`` (``create_api`` for tests)."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine

from leads_core.api import bulk, campaigns, imports, leads, listing, me, tasks, webhooks
from leads_core.api.deps import require_api_key
from leads_core.api.errors import install_error_handlers
from leads_core.api.guard import Authenticate
from leads_core.api.limits import BodyLimit, RateLimiter, body_limit
from leads_core.api.openapi import document_errors
from leads_core.config import Settings, get_settings
from leads_core.storage.db import get_engine
from leads_core.storage.rate_limits import store_for
from leads_core.throttle import FailureThrottle
from leads_core.web.headers import docs_policy

DESCRIPTION = """Retrieve, import and manage leads programmatically.

Every endpoint needs `Authorization: Bearer <API key>`; make a key with
`python -m leads_core create-api-key NAME [--user EMAIL] [--scope read|write]`.
A key acts as its user, with that user's role (admin, member, viewer), narrowed to reading
by a `read` key; what an operation needs is its `x-required-action` (`read`, `write`,
`delete_campaign`, `own_keys`, `manage`), and a key that may not gets 403 `forbidden`.
Errors always have the shape `{"error": {"code", "message", "details"}}`."""


DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"


def _with_own_policy(page: HTMLResponse) -> HTMLResponse:
    """A documentation page with the Content-Security-Policy that lets its own inline script
    run (Swagger UI's set-up), and nothing else that is inline."""
    page.headers["Content-Security-Policy"] = docs_policy(bytes(page.body).decode("utf-8"))
    return page


def _add_docs(api: FastAPI) -> None:
    """/docs and /redoc from assets shipped in a package, so they work without a CDN.

    Added as plain routes: the API-key dependency covers the API, not its documentation."""
    api.mount("/docs-assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _with_own_policy(
            get_swagger_ui_html(
                openapi_url=f"{root}/openapi.json",
                title=f"{api.title} - docs",
                swagger_js_url=f"{root}/docs-assets/swagger-ui-bundle.js",
                swagger_css_url=f"{root}/docs-assets/swagger-ui.css",
                swagger_favicon_url=f"{root}/docs-assets/favicon.png",
            )
        )

    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _with_own_policy(
            get_redoc_html(
                openapi_url=f"{root}/openapi.json",
                title=f"{api.title} - reference",
                redoc_js_url=f"{root}/docs-assets/redoc.standalone.js",
                redoc_favicon_url=f"{root}/docs-assets/favicon.png",
                with_google_fonts=False,
            )
        )

    api.add_route("/docs", docs, include_in_schema=False)
    api.add_route("/redoc", redoc, include_in_schema=False)


def create_api(
    engine: Engine | None = None,
    settings: Settings | None = None,
    failures: FailureThrottle | None = None,
) -> FastAPI:
    """The API; ``failures`` counts wrong keys, shared with the dashboard's sign-in."""
    api = FastAPI(
        title="Leads API",
        version="1.0.0",
        description=DESCRIPTION,
        dependencies=[Depends(require_api_key)],
        docs_url=None,
        redoc_url=None,
    )
    _add_docs(api)
    api.state.settings = settings or get_settings()
    api.state.engine = engine or get_engine(api.state.settings)
    api.state.rate_limiter = RateLimiter(
        api.state.settings.rate_limit_per_minute, store_for(api.state.engine)
    )
    api.state.failures = failures or FailureThrottle(api.state.settings.auth_failure_limit)
    api.add_middleware(BodyLimit, limit_for=lambda path: body_limit(api.state.settings, path))
    api.add_middleware(Authenticate, api=api)  # added last: runs first, before any body
    install_error_handlers(api)
    document_errors(api)
    api.include_router(listing.router)  # before /leads/{lead_id}: export.csv is no lead
    api.include_router(bulk.router)
    api.include_router(leads.router)
    api.include_router(campaigns.router)
    api.include_router(imports.router)
    api.include_router(me.router)
    api.include_router(tasks.router)
    api.include_router(webhooks.router)
    return api
