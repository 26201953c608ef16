"""A webhook attempt connects to the very address it checked: the host is looked up once,
judged public, and that address is what the request goes to (no second lookup a DNS
rebinding attack could answer differently)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from server.core.db import Database
from server.workorders import webhooks
from server.workorders.models import WebhookDelivery
from tests.test_webhooks import GUARDED, hook, issue
from tests.workorder_helpers import World, build_world

PUBLIC, PRIVATE = "93.184.216.34", "127.0.0.1"


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


@pytest.fixture
def rebinding_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A resolver that answers a public address the first time and loopback after (rebinding)."""
    asked: list[str] = []

    async def getaddrinfo(self: Any, host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        asked.append(host)
        address = PUBLIC if len(asked) == 1 else PRIVATE
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "getaddrinfo", getaddrinfo)
    return asked


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_the_attempt_connects_to_the_address_it_checked(
    database: Database, world: World, rebinding_dns: list[str], scheme: str
) -> None:
    seen: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    await hook(database, world, f"{scheme}://hooks.example.com:8443/fieldcheck?x=1")
    await issue(database, world)
    stats = await webhooks.deliver_due(database, settings=GUARDED, transport=httpx.MockTransport(receiver))
    assert stats.delivered == 1
    [request] = seen
    assert rebinding_dns == ["hooks.example.com"]  # one lookup: the one that was checked
    assert request.url.host == PUBLIC and request.url.port == 8443 and request.url.path == "/fieldcheck"
    assert request.url.query == b"x=1"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions.get("sni_hostname") == ("hooks.example.com" if scheme == "https" else None)
    async with database.session(write=False) as db:
        assert (await db.execute(select(WebhookDelivery.status))).scalar_one() == "delivered"


def test_an_ipv6_address_is_pinned_in_brackets() -> None:
    target, host, extensions = webhooks.pinned("https://[2001:db8::1]/hook", "2001:db8::1")
    assert target == "https://[2001:db8::1]/hook" and host == {"host": "[2001:db8::1]"}
    assert extensions == {"sni_hostname": "2001:db8::1"}
