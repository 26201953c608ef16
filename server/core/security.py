"""Security headers on every response, and who the client is behind a trusted proxy."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from server.core.config import get_settings

# No inline scripts anywhere: every script is a file under /static/.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'; worker-src 'self'; manifest-src 'self'"
)

HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "geolocation=(self), camera=(self), microphone=()",
}


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A before-send hook rather than a middleware: route middleware never sees the router's
    own answers (404 for an unknown path, 405 for a wrong method), and those need them too."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in HEADERS.items():
            if name not in headers:
                headers[name] = value


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _trusted(setting: str) -> tuple[tuple[Network, ...], frozenset[str]]:
    """TRUSTED_PROXIES as networks (an address is a network of one), plus any names given
    as they are (a proxy known to the ASGI server by name, e.g. a test client's)."""
    networks: list[Network] = []
    names: set[str] = set()
    for part in (p.strip() for p in setting.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            names.add(part)
    return tuple(networks), frozenset(names)


def _is_trusted(address: str, setting: str) -> bool:
    networks, names = _trusted(setting)
    if address in names:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)


def client_address(request: Request[Any, Any, Any]) -> str | None:
    """The client's address: the peer, unless the peer is a trusted proxy (TRUSTED_PROXIES);
    then the last address in X-Forwarded-For that is not itself a trusted proxy.

    Only trusted proxies are believed: anyone else can write any X-Forwarded-For, so without
    the setting the header is ignored (and sign-in limits cannot be dodged by forging it).
    """
    peer = request.client.host if request.client else None
    setting = get_settings().server.trusted_proxies
    if peer is None or not setting or not _is_trusted(peer, setting):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getall("x-forwarded-for", [])).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, setting):
            return hop[:64]
    return hops[0][:64] if hops else peer
