"""Dependencies shared by every router: the database session, the settings and who is
asking (the API key, checked before the body by ``leads_core.api.guard``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from leads_core.access import Principal
from leads_core.config import Settings
from leads_core.errors import Unauthorized

bearer = HTTPBearer(auto_error=False, description="An API key made with `create-api-key`.")


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings  # Starlette's State is untyped
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def require_api_key(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Who the request acts as: ``guard.Authenticate`` checked the key (and the role) before
    the body was read. ``bearer`` only documents the scheme in OpenAPI."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):  # the middleware always sets it
        raise Unauthorized("missing or invalid API key")
    return principal


PrincipalDep = Annotated[Principal, Depends(require_api_key)]
