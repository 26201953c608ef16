"""What the map page needs to know: the optional tile server, and a CSP that lets it in.

With no tile URL (the default) the map is drawn from zone outlines and points alone and
the page keeps the app's strict Content-Security-Policy. With one, that page's policy also
allows images from the tile server's origin (and nothing else changes).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from server.core.config import get_settings
from server.core.security import CSP


def tile_origin(url: str) -> str | None:
    """`https://tiles.example/{z}/{x}/{y}.png` → `https://tiles.example` (None if not http(s))."""
    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    # A {s} subdomain template covers every subdomain of the host.
    if "{s}" in url:
        host = "*." + host.split(".", 1)[1] if "." in host else host
    return f"{parts.scheme}://{host}"


def map_config() -> dict[str, Any]:
    """Handed to web/static/js/map.js as JSON in a data attribute."""
    url = get_settings().site.tile_url
    return {"tile_url": url if tile_origin(url) else "", "site_timezone": get_settings().site.timezone}


def map_page_headers() -> dict[str, str]:
    origin = tile_origin(get_settings().site.tile_url)
    if origin is None:
        return {}
    return {"content-security-policy": CSP.replace("img-src 'self'", f"img-src 'self' {origin}", 1)}
