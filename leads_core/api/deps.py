"""Dependencies shared by every router: the database session, the settings and the
API key check (applied to every /v1 route)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from leads_core.config import Settings
from leads_core.services import apikeys
from leads_core.storage.models import ApiKey

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
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ApiKey:
    key = apikeys.authenticate(session, credentials.credentials if credentials else None)
    request.app.state.rate_limiter.check(key.id)
    return key


ApiKeyDep = Annotated[ApiKey, Depends(require_api_key)]


def actor(key: ApiKey) -> str:
    return f"api:{key.name}"
