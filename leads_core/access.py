"""Who may do what: roles, key scopes, the actions they allow, and the one who acts.

A request acts as a :class:`Principal`: a user signed in to the dashboard, an API key acting
as its user (narrowed to reading by a ``read`` key), or the workspace's built-in system
account (an API key made without ``--user``, or the CLI), which has admin rights and cannot
sign in. :data:`ROLE_ACTIONS` is the whole table; ``Principal.require`` raises
:class:`~leads_core.errors.Forbidden` (403 ``forbidden``) for anything it does not list.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from leads_core.errors import Forbidden


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class Scope(StrEnum):
    WRITE = "write"  # whatever the user's role allows
    READ = "read"  # reading only, whatever the role


class Action(StrEnum):
    READ = "read"  # leads, campaigns, imports, tasks, analytics, one's own profile
    WRITE = "write"  # leads, imports (and undoing them), tasks, activities, campaigns
    DELETE_CAMPAIGN = "delete_campaign"
    OWN_KEYS = "own_keys"  # make and revoke one's own API keys
    MANAGE = "manage"  # users, every API key, webhooks


READ_ACTIONS = frozenset({Action.READ})
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.MEMBER: frozenset({Action.READ, Action.WRITE, Action.OWN_KEYS}),
    Role.VIEWER: READ_ACTIONS,
}
WHAT = {
    Action.READ: "read the workspace",
    Action.WRITE: "change leads, campaigns, imports or tasks",
    Action.DELETE_CAMPAIGN: "delete a campaign",
    Action.OWN_KEYS: "make or revoke API keys",
    Action.MANAGE: "manage users, every API key and webhooks",
}
SYSTEM_NAME = "system"
LABEL_LENGTH = 200  # the history's actor column


@dataclass(frozen=True)
class Principal:
    """The one acting: ``user_id`` None is the system account."""

    role: Role
    name: str
    user_id: str | None = None
    email: str | None = None
    scope: Scope = Scope.WRITE
    key_id: str | None = None
    key_name: str | None = None

    def can(self, action: Action) -> bool:
        if self.scope is Scope.READ and action not in READ_ACTIONS:
            return False
        return action in ROLE_ACTIONS[self.role]

    def require(self, action: Action) -> None:
        if not self.can(action):
            raise Forbidden(f"{self.describe()} may not {WHAT[action]}")

    def describe(self) -> str:
        if self.scope is Scope.READ and self.key_id is not None:
            return "a read-only API key"
        return f"a {self.role.value}" if self.user_id else "this account"

    @property
    def label(self) -> str:
        """Who acted, as the history shows it: ``Ann Lee <ann@acme.com>``, with ``via API
        key 'zap'`` for a key; a system key keeps its old form ``api:zap``."""
        if self.user_id is None:
            text = f"api:{self.key_name}" if self.key_name else self.name
        else:
            text = f"{self.name} <{self.email}>"
            if self.key_name:
                text += f" via API key '{self.key_name}'"
        return text[:LABEL_LENGTH]


SYSTEM = Principal(role=Role.ADMIN, name=SYSTEM_NAME)


def system(key_name: str | None = None, key_id: str | None = None) -> Principal:
    """The built-in system account (admin), as the CLI or a key without a user."""
    return Principal(role=Role.ADMIN, name=SYSTEM_NAME, key_id=key_id, key_name=key_name)
