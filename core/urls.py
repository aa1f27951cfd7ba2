"""Which service addresses timebill sends a key to: https anywhere, plain http only to this
machine (the sandbox). Kept apart from `timebill.core.http` so settings validate without httpx."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from timebill.core.errors import ConfigError
from timebill.core.models import SERVICE_TITLES

_LOOPBACK = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))


def is_loopback(host: str) -> bool:
    """Only 127.0.0.1, ::1 and `localhost`: a name under .localhost (evil.localhost) is resolved
    by whatever DNS the machine asks, and other 127/8 addresses are not the sandbox's."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host) in _LOOPBACK
    except ValueError:
        return False


def check_base_url(base_url: str, service: str) -> str:
    """Refuse anything but https, except plain http to this machine (the sandbox)."""
    parts = urlsplit(base_url)
    title = SERVICE_TITLES.get(service, service)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise ConfigError(
            f"{title}: base_url {base_url!r} has an invalid port (1-65535).", service=service
        ) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(
            f"{title}: base_url {base_url!r} is not an http(s) address "
            "(expected e.g. https://host or http://127.0.0.1:PORT/path).",
            service=service,
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            f"{title}: refusing plain http:// to {parts.hostname}: the API key would travel "
            "unencrypted. Use https:// (plain http is only allowed to 127.0.0.1, ::1 or localhost).",
            service=service,
        )
    return base_url.rstrip("/")
