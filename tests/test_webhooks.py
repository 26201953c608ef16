"""Webhooks: signed JSON to each contractor's receiver, retried with backoff until it answers
2xx, each attempt logged; a receiver failing twice then succeeding gets the event once."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from server.contractors.models import Contractor
from server.core.db import Database
from server.workorders import service, webhooks
from server.workorders.models import WebhookAttempt, WebhookDelivery
from server.core.workorder_settings import WorkOrderSettings
from tests.conftest import make_client
from tests.workorder_helpers import World, api_headers, build_world, signed_in

SECRET = "s3cret-for-tests"
# The receivers here listen on 127.0.0.1, which the address guard refuses unless allowed.
FAST = WorkOrderSettings(webhook_backoff_s=0.05, webhook_max_attempts=5, webhook_timeout_s=5, webhook_allow_private=True)
GUARDED = replace(FAST, webhook_allow_private=False)


@pytest.fixture(autouse=True)
def _private_receivers_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    from server.core.workorder_settings import get_workorder_settings

    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "1")
    get_workorder_settings.cache_clear()


class Receiver:
    """A webhook receiver on 127.0.0.1 that fails the first `failures` requests with 500."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.requests: list[dict[str, Any]] = []
        self.accepted: list[str] = []  # delivery ids answered 2xx
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append({"headers": headers, "body": body})
                if len(receiver.requests) <= receiver.failures:
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"try later")
                    return
                ok = webhooks.verify(SECRET, headers["x-fieldcheck-timestamp"], body, headers["x-fieldcheck-signature"])
                self.send_response(204 if ok else 401)
                self.end_headers()
                if ok:
                    receiver.accepted.append(headers["x-fieldcheck-delivery"])

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(failures=2) as r:
        yield r


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def hook(database: Database, world: World, url: str, company: str = "ALPHA") -> None:
    async with database.session() as db:
        c = await db.get(Contractor, world.contractors[company])
        assert c is not None
        c.webhook_url, c.webhook_secret = url, SECRET


async def issue(database: Database, world: World, code: str = "Z1-SE-1") -> Any:
    async with database.session() as db:
        return await service.issue_order(db, world.users["super"], [world.defects[code]])


async def deliver_until_done(database: Database, settings: WorkOrderSettings = FAST, rounds: int = 40) -> None:
    for _ in range(rounds):
        await webhooks.deliver_due(database, settings=settings)
        async with database.session(write=False) as db:
            if not (await db.execute(select(WebhookDelivery).where(WebhookDelivery.status == "pending"))).first():
                return
        await asyncio.sleep(0.03)


def test_the_signature_is_verifiable() -> None:
    body = b'{"event":"work_order.issued"}'
    now = int(time.time())
    signature = webhooks.sign(SECRET, now, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert webhooks.verify(SECRET, str(now), body, signature)
    assert not webhooks.verify("another secret", str(now), body, signature)
    assert not webhooks.verify(SECRET, str(now), body + b" ", signature)
    assert not webhooks.verify(SECRET, str(now - 3600), body, webhooks.sign(SECRET, now - 3600, body))  # stale


async def test_a_receiver_failing_twice_gets_the_event_once(database: Database, world: World, receiver: Receiver) -> None:
    await hook(database, world, receiver.url)
    order = await issue(database, world)
    await deliver_until_done(database)

    assert len(receiver.requests) == 3
    assert len(receiver.accepted) == 1  # delivered once
    ids = {r["headers"]["x-fieldcheck-delivery"] for r in receiver.requests}
    assert len(ids) == 1  # the same delivery each time: a receiver can drop repeats
    bodies = {r["body"] for r in receiver.requests}
    assert len(bodies) == 1
    event = json.loads(receiver.requests[-1]["body"])
    assert event["event"] == "work_order.issued" and event["work_order"]["code"] == order.code
    assert event["contractor"] == "ALPHA" and event["defects"][0]["id"] == str(world.defects["Z1-SE-1"])
    for r in receiver.requests:  # every attempt is signed (fresh timestamp each time)
        h = r["headers"]
        assert webhooks.verify(SECRET, h["x-fieldcheck-timestamp"], r["body"], h["x-fieldcheck-signature"])
        assert h["content-type"] == "application/json" and h["x-fieldcheck-event"] == "work_order.issued"

    async with database.session(write=False) as db:
        delivery = (await db.execute(select(WebhookDelivery))).scalar_one()
        attempts = (await db.execute(select(WebhookAttempt).order_by(WebhookAttempt.number))).scalars().all()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 204)
    assert delivery.delivered_at is not None and str(delivery.id) in ids
    assert [(a.number, a.status_code) for a in attempts] == [(1, 500), (2, 500), (3, 204)]
    assert attempts[0].error and "500" in attempts[0].error and attempts[2].error is None
    assert attempts[0].at < attempts[1].at < attempts[2].at


async def test_retries_back_off(database: Database, world: World, receiver: Receiver) -> None:
    await hook(database, world, receiver.url)
    await issue(database, world)
    slow = replace(FAST, webhook_backoff_s=3600)
    await webhooks.deliver_due(database, settings=slow)
    await webhooks.deliver_due(database, settings=slow)  # nothing is due yet: the first failure waits an hour
    assert len(receiver.requests) == 1
    async with database.session(write=False) as db:
        delivery = (await db.execute(select(WebhookDelivery))).scalar_one()
    wait = (delivery.next_attempt_at - delivery.created_at).total_seconds()  # type: ignore[operator]
    assert 0.8 * 3600 <= wait <= 1.2 * 3600 + 5
    assert webhooks.backoff(3, slow) >= webhooks.backoff(1, slow) * 2 * 0.8 / 1.2


async def test_a_receiver_that_never_answers_is_given_up(database: Database, world: World) -> None:
    with Receiver(failures=100) as dead:
        await hook(database, world, dead.url)
        await issue(database, world)
        await deliver_until_done(database, replace(FAST, webhook_max_attempts=3))
    async with database.session(write=False) as db:
        delivery = (await db.execute(select(WebhookDelivery))).scalar_one()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert len(dead.requests) == 3


async def test_unreachable_receivers_are_logged(database: Database, world: World) -> None:
    await hook(database, world, "http://127.0.0.1:9/nothing-listens-here")
    await issue(database, world)
    await webhooks.deliver_due(database, settings=FAST)
    async with database.session(write=False) as db:
        attempt = (await db.execute(select(WebhookAttempt))).scalar_one()
        delivery = (await db.execute(select(WebhookDelivery))).scalar_one()
    assert attempt.status_code is None and attempt.error and delivery.status == "pending"


async def test_two_workers_never_send_one_delivery_twice(database: Database, world: World) -> None:
    with Receiver(failures=0) as ok:
        await hook(database, world, ok.url)
        await issue(database, world)
        other = Database.connect(database.settings)
        try:
            await asyncio.gather(webhooks.deliver_due(database, settings=FAST), webhooks.deliver_due(other, settings=FAST))
        finally:
            await other.dispose()
        assert len(ok.requests) == 1


async def test_no_webhook_no_delivery(database: Database, world: World) -> None:
    await issue(database, world)
    async with database.session(write=False) as db:
        assert (await db.execute(select(WebhookDelivery))).first() is None


async def test_a_request_sends_its_events_right_after_it(database_url: str, database: Database, world: World) -> None:
    with Receiver(failures=0) as ok:
        await hook(database, world, ok.url)
        async with make_client(database_url) as client:
            await signed_in(client, "super")
            answer = await client.post("/api/work-orders", headers=api_headers(client),
                                       json={"defect_ids": [str(world.defects["Z1-SE-1"])]})
            assert answer.status_code == 201, answer.text
            for _ in range(100):
                if ok.accepted:
                    break
                await asyncio.sleep(0.02)
        assert len(ok.accepted) == 1
        assert json.loads(ok.requests[0]["body"])["work_order"]["id"] == answer.json()["id"]


async def test_the_contractor_sets_its_webhook_and_sees_the_log(database_url: str, world: World) -> None:
    async with make_client(database_url) as client:
        await signed_in(client, "alpha1")
        page = await client.get("/contractor/webhook")
        assert page.status_code == 200
        token = client.cookies.get("fc_csrf")
        bad = await client.post("/contractor/webhook", data={"webhook_url": "ftp://x", "_csrf_token": token})
        assert bad.status_code == 422 and 'data-code="bad_webhook_url"' in bad.text
        saved = await client.post("/contractor/webhook", data={"webhook_url": "http://127.0.0.1:9/h", "_csrf_token": token},
                                  follow_redirects=False)
        assert saved.status_code == 303
        page = await client.get("/contractor/webhook")
        assert 'id="webhook-secret"' in page.text and "http://127.0.0.1:9/h" in page.text


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888"])
def test_public_addresses_are_public(address: str) -> None:
    assert webhooks.is_public(address)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254",
                                     "0.0.0.0", "::1", "fe80::1%eth0", "fc00::1", "::ffff:127.0.0.1", "224.0.0.1",
                                     "100.64.0.1", "not-an-address"])
def test_private_loopback_and_link_local_addresses_are_not(address: str) -> None:
    assert not webhooks.is_public(address)


async def test_a_receiver_on_a_private_address_is_refused_when_saved(
    database_url: str, database: Database, world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from server.core.workorder_settings import get_workorder_settings

    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "0")
    get_workorder_settings.cache_clear()
    async with make_client(database_url) as client:
        await signed_in(client, "alpha1")
        await client.get("/contractor/webhook")
        token = client.cookies.get("fc_csrf")
        for url in ("http://127.0.0.1:5432/", "http://169.254.169.254/latest/meta-data", "http://[::1]:8000/h",
                    "https://localhost/h", "http://10.0.0.7/h", "http://0x7f000001/h"):
            refused = await client.post("/contractor/webhook", data={"webhook_url": url, "_csrf_token": token},
                                        headers={"Accept-Language": "en"})
            assert refused.status_code == 422, url
            assert 'data-code="private_webhook_url"' in refused.text or 'data-code="bad_webhook_url"' in refused.text, url
        page = await client.get("/contractor/webhook", headers={"Accept-Language": "en"})
        assert "public address" not in page.text  # the error is not left behind
    async with database.session(write=False) as db:
        contractor = await db.get(Contractor, world.contractors["ALPHA"])
        assert contractor is not None and contractor.webhook_url is None


async def test_a_name_resolving_to_a_private_address_is_never_sent_to(database: Database, world: World) -> None:
    with Receiver(failures=0) as ok:
        # Saved by an operator (or resolving differently since): every attempt resolves it again.
        await hook(database, world, ok.url.replace("127.0.0.1", "localhost"))
        await issue(database, world)
        await webhooks.deliver_due(database, settings=GUARDED)
        assert ok.requests == []
    async with database.session(write=False) as db:
        attempt = (await db.execute(select(WebhookAttempt))).scalar_one()
        delivery = (await db.execute(select(WebhookDelivery))).scalar_one()
    assert attempt.status_code is None and attempt.error and "non-public address" in attempt.error
    assert delivery.status == "pending"  # retried later, given up after WEBHOOK_MAX_ATTEMPTS like any failure
