"""Who may reach the dashboard before anyone signs in: the address the server listens on.

Once a user exists, every page asks to sign in (``dashboard/auth.py``). Until then the
dashboard works without signing in, for this machine only: :func:`refuse_unprotected_exposure`
stops ``streamlit run app.py --server.address 0.0.0.0`` while the database has no user,
and says to create the first admin. The retired shared password
(``dashboard_password`` in ``.streamlit/secrets.toml``) stops the start too, with the way
to upgrade; ``LEADS_DASHBOARD_PASSWORD`` is refused by ``leads_core.config``.

It runs when uvicorn imports app.py. Streamlit 1.67 has then already bound the listening
socket (and printed its URL), but accepts no connection before the import is done, so
exiting there closes the socket without serving a single request.
"""

from __future__ import annotations

import ipaddress

import streamlit as st
from streamlit import config as streamlit_config
from streamlit.errors import StreamlitSecretNotFoundError

from leads_core.config import RETIRED, ConfigError, get_settings
from leads_core.services import users
from leads_core.storage.db import session_scope

RETIRED_SECRET = "dashboard_password"
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})


def refuse_retired_secret() -> None:
    """ConfigError when Streamlit's secrets still hold the retired ``dashboard_password``.

    No secrets file is fine. A secrets file that cannot be read raises ConfigError too: its
    single sign-on settings ([auth]) must not silently be missing."""
    try:
        present = RETIRED_SECRET in st.secrets  # read each time: AppTest replaces st.secrets
    except StreamlitSecretNotFoundError as exc:
        if exc.error_id == "no-secrets-found":
            return
        raise ConfigError(f"cannot read Streamlit's secrets: {exc}") from None
    if present:
        message = RETIRED["LEADS_DASHBOARD_PASSWORD"].replace(
            "LEADS_DASHBOARD_PASSWORD", f"{RETIRED_SECRET} in .streamlit/secrets.toml", 1
        )
        raise ConfigError(message + "; then delete dashboard_password from secrets.toml")


def is_loopback(address: str | None) -> bool:
    """True when a server bound to ``address`` is only reachable from this machine.

    Streamlit binds every interface when ``server.address`` is empty; a host name other
    than localhost counts as reachable (it may resolve to any interface)."""
    host = (address or "").strip().removeprefix("[").removesuffix("]")
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def exposure_problem(address: str | None, has_users: bool) -> str | None:
    """Why the server must not start on ``address``; None when it may."""
    if has_users or is_loopback(address):
        return None
    shown = address or "(empty: every interface)"
    return (
        f"Not starting: server.address is {shown}, which other machines can reach, and the "
        "workspace has no user yet, so nobody would have to sign in.\n"
        "  Create the first admin first:\n"
        "    python -m leads_core create-user EMAIL --name NAME --role admin   "
        "(the password on stdin)\n"
        "  or keep the default address 127.0.0.1 (.streamlit/config.toml) and create it on "
        "the Home page.\n"
        '  See README.md, "Users and sign-in". Nothing is served at the URLs printed above.'
    )


def has_users() -> bool:
    with session_scope() as session:
        return users.users_exist(session)


def refuse_unprotected_exposure() -> None:
    """Exit the process (code 1, the reason on stderr) when a setting is wrong or retired
    (the dashboard password), or when ``server.address`` is reachable from other machines and
    the workspace has no user yet."""
    try:
        get_settings()  # a wrong or retired setting: its message, not a traceback
        refuse_retired_secret()
    except ConfigError as exc:
        raise SystemExit(f"Not starting: {exc}") from None
    address = streamlit_config.get_option("server.address")
    problem = exposure_problem(address, is_loopback(address) or has_users())
    if problem is not None:
        raise SystemExit(problem)
