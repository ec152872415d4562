"""Who may reach the dashboard: its password, and the address the server listens on.

The dashboard has one shared password: ``LEADS_DASHBOARD_PASSWORD``, else
``dashboard_password`` in Streamlit's secrets (``.streamlit/secrets.toml``).
``dashboard/auth.py`` asks for it. Without one, only this machine may reach the server:
:func:`refuse_unprotected_exposure` stops ``streamlit run app.py --server.address 0.0.0.0``.

It runs when uvicorn imports app.py. Streamlit 1.67 has then already bound the listening
socket (and printed its URL), but accepts no connection before the import is done, so
exiting there closes the socket without serving a single request.
"""

from __future__ import annotations

import ipaddress

import streamlit as st
from streamlit import config as streamlit_config
from streamlit.errors import StreamlitSecretNotFoundError

from leads_core.config import ConfigError, get_settings

SECRET_NAME = "dashboard_password"
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})


def dashboard_password() -> str | None:
    """The dashboard's password: LEADS_DASHBOARD_PASSWORD, else ``dashboard_password`` in
    Streamlit's secrets; None when neither is set. Never logged.

    No secrets file is no password (and no warning). A secrets file that cannot be read
    raises ConfigError: a password someone meant to set must not silently be missing."""
    from_env = get_settings().dashboard_password
    if from_env:
        return from_env
    try:
        value = st.secrets.get(SECRET_NAME)  # st.secrets read each time: AppTest replaces it
    except StreamlitSecretNotFoundError as exc:
        if exc.error_id == "no-secrets-found":
            return None
        raise ConfigError(f"cannot read Streamlit's secrets: {exc}") from None
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{SECRET_NAME} in Streamlit's secrets must be a string")
    return value


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


def exposure_problem(address: str | None, password: str | None) -> str | None:
    """Why the server must not start on ``address`` with this password; None when it may."""
    if password or is_loopback(address):
        return None
    shown = address or "(empty: every interface)"
    return (
        f"Not starting: server.address is {shown}, which other machines can reach, and the "
        "dashboard has no password.\n"
        "  Either set LEADS_DASHBOARD_PASSWORD (or dashboard_password in "
        ".streamlit/secrets.toml) so the dashboard asks for it,\n"
        "  or keep the default address 127.0.0.1 (.streamlit/config.toml): this machine only.\n"
        '  See README.md, "Exposing the server". Nothing is served at the URLs printed above.'
    )


def refuse_unprotected_exposure() -> None:
    """Exit the process (code 1, the reason on stderr) when Streamlit's ``server.address``
    is reachable from other machines and no dashboard password is configured."""
    problem = exposure_problem(streamlit_config.get_option("server.address"), dashboard_password())
    if problem is not None:
        raise SystemExit(problem)
