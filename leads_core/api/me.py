"""/v1/me: who the API key acts as."""

from __future__ import annotations

from fastapi import APIRouter

from leads_core.api.deps import PrincipalDep
from leads_core.schemas import UserPublic

router = APIRouter(tags=["users"])


@router.get("/me", response_model=UserPublic, summary="Who am I")
def me(principal: PrincipalDep) -> UserPublic:
    """The user the API key acts as; a key made without `--user` acts as the workspace's
    system account (`id` null, role `admin`)."""
    return UserPublic(
        id=principal.user_id, email=principal.email, name=principal.name, role=principal.role
    )
