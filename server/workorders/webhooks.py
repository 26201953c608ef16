"""Webhooks: each contractor's own systems hear about their work orders.

An event is written to `webhook_deliveries` in the same transaction as the change it
announces (so nothing is announced that did not happen, and nothing that happened is
lost), then sent by `deliver_due`: right after the request that made it, and again by the
scheduled job until the receiver answers 2xx, waiting `WEBHOOK_BACKOFF_S`, then twice as
long after each failure (capped at 6 h, with ±20 % jitter), up to `WEBHOOK_MAX_ATTEMPTS`.
Every attempt is logged in `webhook_attempts`.

The request: `POST <webhook_url>` with the JSON body and

    Content-Type: application/json
    X-Fieldcheck-Event: work_order.issued
    X-Fieldcheck-Delivery: <uuid>           (the same on every retry: drop repeats)
    X-Fieldcheck-Timestamp: <unix seconds>
    X-Fieldcheck-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

A receiver recomputes the HMAC with its secret over the timestamp, a dot and the raw body,
compares in constant time, and refuses timestamps more than a few minutes old.

Receivers must be on public addresses: a contractor's URL must not turn the server into a
way into the operator's own network (the database, a cloud metadata service, an admin
port). A URL naming a private, loopback or link-local address is refused when it is saved,
and every attempt resolves the host again and refuses to send when any address it
resolves to is not public. The attempt then connects to the very address it checked (the
URL's host replaced by it, the name kept in the Host header and, for HTTPS, in the TLS
server name the certificate is checked against): no second lookup, so a name cannot
resolve to a public address for the check and to a private one for the connection (DNS
rebinding). `WEBHOOK_ALLOW_PRIVATE` lifts the check for a receiver inside the operator's
network (and for tests, whose receivers listen on 127.0.0.1); the address is pinned anyway.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.contractors.models import Contractor
from server.core.db import Database, utcnow
from server.workorders.models import WebhookAttempt, WebhookDelivery, WorkOrder
from server.core.workorder_settings import WorkOrderSettings, get_workorder_settings

log = logging.getLogger("fieldcheck.webhooks")

MAX_BACKOFF = dt.timedelta(hours=6)
SESSION_KEY = "fc_webhook_deliveries"  # db.info: deliveries made in this transaction
USER_AGENT = "fieldcheck-webhooks/1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, now: float | None = None,
           tolerance_s: int = 300) -> bool:
    """What a receiver does (used by the tests): right signature, fresh timestamp."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)


def new_secret() -> str:
    return secrets.token_hex(32)


def order_payload(order: WorkOrder) -> dict[str, Any]:
    return {
        "id": str(order.id), "code": order.code, "status": order.status,
        "issued_at": order.issued_at.isoformat(), "due_at": order.due_at.isoformat(),
        "completed_at": order.completed_at.isoformat() if order.completed_at else None,
        "verified_at": order.verified_at.isoformat() if order.verified_at else None,
        "return_reason": order.return_reason, "cancel_reason": order.cancel_reason,
    }


async def enqueue(db: AsyncSession, order: WorkOrder, event: str, extra: dict[str, Any] | None = None) -> None:
    """Queue `event` about `order` for its contractor's webhook, if it has one."""
    contractor = await db.get(Contractor, order.contractor_id)
    if contractor is None or not contractor.webhook_url:
        return
    delivery_id = uuid.uuid4()
    now = utcnow()
    body = {
        "id": str(delivery_id), "event": event, "occurred_at": now.isoformat(),
        "contractor": contractor.code, "work_order": order_payload(order), **(extra or {}),
    }
    db.add(WebhookDelivery(
        id=delivery_id, contractor_id=contractor.id, work_order_id=order.id, event=event, url=contractor.webhook_url,
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
        status="pending", attempts=0, created_at=now, next_attempt_at=now,
    ))
    db.info.setdefault(SESSION_KEY, []).append(delivery_id)


def backoff(attempts: int, settings: WorkOrderSettings, rng: random.Random | None = None) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: base × 2^(n-1), capped, ±20 % jitter."""
    base = dt.timedelta(seconds=settings.webhook_backoff_s) * (2 ** max(0, attempts - 1))
    jitter = 0.8 + 0.4 * (rng or random).random()
    wait: dt.timedelta = min(base, MAX_BACKOFF) * jitter
    return wait


@dataclass
class DeliveryStats:
    attempted: int = 0
    delivered: int = 0
    failed: int = 0  # given up for good


async def _claim(database: Database, now: dt.datetime, limit: int, settings: WorkOrderSettings,
                 only: list[uuid.UUID] | None) -> list[WebhookDelivery]:
    """Take due deliveries for this worker: a row is claimed by moving `claimed_until` on,
    which only one worker's UPDATE can do while the claim holds."""
    lease = now + dt.timedelta(seconds=settings.webhook_timeout_s + 30)
    async with database.session(write=True) as db:
        query = (
            select(WebhookDelivery.id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
                   or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now))
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        )
        if only is not None:
            query = query.where(WebhookDelivery.id.in_(only))
        claimed = []
        for delivery_id in (await db.execute(query)).scalars().all():
            result = await db.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
                       or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now))
                .values(claimed_until=lease)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]  # DML answers a CursorResult; execute() says Result
                claimed.append(delivery_id)
        if not claimed:
            return []
        rows = (await db.execute(select(WebhookDelivery).where(WebhookDelivery.id.in_(claimed)))).scalars().all()
        return list(rows)


def is_public(address: str) -> bool:
    """A globally routable address (not loopback, private, link-local, reserved, multicast…)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def names_private_host(url: str) -> bool:
    """The URL's host is written as a non-public address or as localhost (checked when saving)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        try:  # the forms resolvers also read as IPv4: 0x7f000001, 127.1, 2130706433
            address = socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return False  # a name: resolved, and judged, at every attempt
    return not is_public(address)


async def addresses_of(url: str) -> list[str]:
    """Every address the URL's host resolves to, in the resolver's order (OSError if none)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname or "", port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in infos))


def pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL with its host replaced by `address`, the Host header it had, and for HTTPS
    the TLS server name (httpcore's `sni_hostname`), so the certificate is still checked
    against the name."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = literal + (f":{parts.port}" if parts.port else "")
    target = parts._replace(netloc=netloc).geturl()
    host_header = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    extensions: dict[str, Any] = {"sni_hostname": host} if parts.scheme == "https" else {}
    return target, {"host": host_header}, extensions


async def _send(client: httpx.AsyncClient, delivery: WebhookDelivery, secret: str,
                allow_private: bool) -> tuple[int | None, str | None]:
    body = delivery.body.encode()
    ts = int(time.time())
    headers = {
        "content-type": "application/json", "user-agent": USER_AGENT,
        "x-fieldcheck-event": delivery.event, "x-fieldcheck-delivery": str(delivery.id),
        "x-fieldcheck-timestamp": str(ts), "x-fieldcheck-signature": sign(secret, ts, body),
    }
    try:
        addresses = await addresses_of(delivery.url)  # looked up once: checked, then connected to
        if not allow_private and (address := next((a for a in addresses if not is_public(a)), None)) is not None:
            return None, f"refused: {urlsplit(delivery.url).hostname} resolves to non-public address {address}"
        if not addresses:
            return None, f"{urlsplit(delivery.url).hostname} resolves to no address"
        target, host, extensions = pinned(delivery.url, addresses[0])
        response = await client.post(target, content=body, headers={**headers, **host}, extensions=extensions)
    except OSError as exc:  # the name does not resolve
        return None, f"{type(exc).__name__}: {exc}"[:500]
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"


async def deliver_due(
    database: Database, *, now: dt.datetime | None = None, limit: int = 50, only: list[uuid.UUID] | None = None,
    settings: WorkOrderSettings | None = None, transport: httpx.AsyncBaseTransport | None = None,
) -> DeliveryStats:
    """Send the deliveries that are due (or just `only` these), log each attempt, schedule retries."""
    settings = settings or get_workorder_settings()
    now = now or utcnow()
    stats = DeliveryStats()
    deliveries = await _claim(database, now, limit, settings, only)
    if not deliveries:
        return stats
    async with database.session(write=False) as db:
        secrets_by_contractor = dict((await db.execute(
            select(Contractor.id, Contractor.webhook_secret)
            .where(Contractor.id.in_({d.contractor_id for d in deliveries}))
        )).all())
    async with httpx.AsyncClient(timeout=settings.webhook_timeout_s, transport=transport, follow_redirects=False) as client:
        outcomes = []
        for delivery in deliveries:
            started = time.perf_counter()
            code, error = await _send(client, delivery, secrets_by_contractor.get(delivery.contractor_id) or "",
                                      settings.webhook_allow_private)
            outcomes.append((delivery, code, error, int((time.perf_counter() - started) * 1000)))
    async with database.session(write=True) as db:
        for delivery, code, error, took in outcomes:
            stats.attempted += 1
            attempts = delivery.attempts + 1
            db.add(WebhookAttempt(delivery_id=delivery.id, number=attempts, at=utcnow(), status_code=code,
                                  error=error, duration_ms=took))
            values: dict[str, Any] = {"attempts": attempts, "last_status_code": code, "last_error": error,
                                      "claimed_until": None}
            if error is None:
                values.update(status="delivered", delivered_at=utcnow(), next_attempt_at=None)
                stats.delivered += 1
            elif attempts >= settings.webhook_max_attempts:
                values.update(status="failed", next_attempt_at=None)
                stats.failed += 1
                log.warning("webhook %s to %s given up after %d attempts: %s", delivery.id, delivery.url, attempts, error)
            else:
                values["next_attempt_at"] = utcnow() + backoff(attempts, settings)
            await db.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery.id).values(**values))
    return stats


async def deliver_after_commit(database: Database, ids: list[uuid.UUID]) -> None:
    """Send the deliveries a request just made (run as the response's background task)."""
    try:
        await deliver_due(database, only=ids)
    except Exception:  # noqa: BLE001 - the scheduled job retries; a failure here must not surface
        log.exception("sending webhooks right after the request failed; the scheduled job will retry")


def pending_in(db: AsyncSession) -> list[uuid.UUID]:
    """The deliveries queued in this session's transaction (taken, so they are sent once)."""
    return list(db.info.pop(SESSION_KEY, []))


async def wait_for_deliveries(database: Database, timeout_s: float = 5.0) -> None:
    """Tests and the CLI: keep sending until nothing is due now (or the time is up)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stats = await deliver_due(database)
        if stats.attempted == 0:
            return
        await asyncio.sleep(0)
