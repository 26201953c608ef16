"""Sign-in limits hold under concurrency and cannot be used to lock someone else out
(server/accounts/limits.py); the client address is the peer unless TRUSTED_PROXIES says to
believe its X-Forwarded-For (server/core/security.py); sessions end when left idle
(SESSION_IDLE_HOURS, server/accounts/sessions.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from server.accounts import controllers, limits
from server.accounts.models import SignInLimit, UserSession
from server.core.audit.models import AuditEvent
from server.core.config import get_settings
from server.core.db import Database, utcnow
from tests.conftest import csrf_token, make_client
from tests.factories import PASSWORD, add_user


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password check argon2 makes, counted."""
    made: list[str] = []
    real = controllers.verify_password

    def counted(stored: str | None, password: str) -> bool:
        made.append(password)
        return real(stored, password)

    monkeypatch.setattr(controllers, "verify_password", counted)
    return made


@pytest.fixture
def behind_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test client's peer ("testclient") is a trusted reverse proxy."""
    monkeypatch.setenv("TRUSTED_PROXIES", "testclient, 10.0.0.0/8")
    get_settings.cache_clear()


async def attempt(client: AsyncTestClient, token: str, username: str, password: str, address: str | None = None) -> Any:
    headers = {"Accept-Language": "en"} | ({"X-Forwarded-For": address} if address else {})
    return await client.post("/login", data={"username": username, "password": password, "_csrf_token": token},
                             headers=headers, follow_redirects=False)


async def test_thirty_concurrent_wrong_passwords_get_five_checks(
    client: AsyncTestClient, database: Database, checks: list[str]
) -> None:
    await add_user(database, "admin", "admin")
    token = await csrf_token(client)
    answers = await asyncio.gather(*(attempt(client, token, "admin", f"wrong-guess-{i}") for i in range(30)))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(400) == limits.MAX_FAILURES_PER_USER and codes.count(429) == 30 - limits.MAX_FAILURES_PER_USER, codes
    assert len(checks) == limits.MAX_FAILURES_PER_USER  # the refused ones never reached argon2
    refused = next(a for a in answers if a.status_code == 429)
    assert 0 < int(refused.headers["retry-after"]) <= limits.FAILURE_WINDOW.total_seconds()
    assert 'data-code="rate_limited"' in refused.text


async def test_a_stranger_cannot_lock_the_owner_out(
    client: AsyncTestClient, database: Database, behind_proxy: None, checks: list[str]
) -> None:
    await add_user(database, "admin", "admin")
    token = await csrf_token(client)
    for i in range(limits.MAX_FAILURES_PER_USER):
        assert (await attempt(client, token, "admin", f"guess-{i}", "203.0.113.9")).status_code == 400
    # The stranger's address is locked for this username, even with the right password...
    assert (await attempt(client, token, "admin", PASSWORD, "203.0.113.9")).status_code == 429
    # ...the owner, elsewhere, signs in.
    assert (await attempt(client, token, "admin", PASSWORD, "198.51.100.20")).status_code == 303
    async with database.session(write=False) as s:
        failed = (await s.execute(select(AuditEvent.details).where(AuditEvent.action == "auth.sign_in_failed"))).scalars().all()
        signed = (await s.execute(select(AuditEvent.details).where(AuditEvent.action == "auth.sign_in"))).scalars().all()
    assert {d["ip"] for d in failed} == {"203.0.113.9"} and [d["ip"] for d in signed] == ["198.51.100.20"]


async def test_many_addresses_guessing_one_username_meet_a_slower_back_off(
    client: AsyncTestClient, database: Database, behind_proxy: None, monkeypatch: pytest.MonkeyPatch,
    checks: list[str],
) -> None:
    monkeypatch.setattr(limits, "GLOBAL_FREE_FAILURES", 3)  # three argon2 checks, not ten
    monkeypatch.setattr(limits, "GLOBAL_FIRST_WAIT", dt.timedelta(seconds=20))  # longer than this test takes
    await add_user(database, "admin", "admin")
    token = await csrf_token(client)
    for i in range(3):
        assert (await attempt(client, token, "admin", "guess", f"203.0.113.{i + 1}")).status_code == 400
    # The fourth failure (from yet another address) starts the back-off (1 s, then 2, 4 … 60 at most).
    assert (await attempt(client, token, "admin", "guess", "203.0.113.50")).status_code == 400
    wait = await attempt(client, token, "admin", PASSWORD, "198.51.100.20")
    assert wait.status_code == 429 and int(wait.headers["retry-after"]) <= limits.GLOBAL_MAX_WAIT.total_seconds()
    assert len(checks) == 4
    async with database.session() as s:  # the back-off has passed (no test waits on the clock)
        await s.execute(update(SignInLimit).where(SignInLimit.key == "user:admin")
                        .values(next_allowed_at=utcnow() - dt.timedelta(seconds=1)))
    assert (await attempt(client, token, "admin", PASSWORD, "198.51.100.20")).status_code == 303


async def test_without_trusted_proxies_x_forwarded_for_is_ignored(
    client: AsyncTestClient, database: Database, checks: list[str]
) -> None:
    """Else anyone could dodge the limits, and forge the audit trail, by writing the header."""
    await add_user(database, "admin", "admin")
    token = await csrf_token(client)
    for i in range(limits.MAX_FAILURES_PER_USER):
        assert (await attempt(client, token, "admin", "guess", f"203.0.113.{i}")).status_code == 400
    assert (await attempt(client, token, "admin", PASSWORD, "198.51.100.20")).status_code == 429
    async with database.session(write=False) as s:
        ips = (await s.execute(select(AuditEvent.details["ip"].as_string()))).scalars().all()
    assert set(ips) == {"testclient"}


async def test_behind_a_proxy_chain_the_client_is_the_last_untrusted_hop(
    database: Database, database_url: str, behind_proxy: None
) -> None:
    await add_user(database, "admin", "admin")
    async with make_client(database_url) as client:
        token = await csrf_token(client)
        # The client wrote a forged first hop; the proxies (10.x) appended the real one, then themselves.
        answer = await attempt(client, token, "admin", PASSWORD, "1.2.3.4, 198.51.100.20, 10.0.0.7")
        assert answer.status_code == 303
    async with database.session(write=False) as s:
        ip = (await s.execute(select(AuditEvent.details["ip"].as_string())
                              .where(AuditEvent.action == "auth.sign_in"))).scalar_one()
    assert ip == "198.51.100.20"


async def _last_seen(database: Database) -> dt.datetime | None:
    async with database.session(write=False) as s:
        return (await s.execute(select(UserSession.last_seen_at))).scalar_one()


async def _set_last_seen(database: Database, moment: dt.datetime) -> None:
    async with database.session() as s:
        await s.execute(update(UserSession).values(last_seen_at=moment))


async def test_a_session_left_idle_ends_before_session_days(
    database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSION_IDLE_HOURS", "8")
    get_settings.cache_clear()
    await add_user(database, "insp", "inspector")
    async with make_client(database_url) as client:
        token = await csrf_token(client)
        assert (await attempt(client, token, "insp", PASSWORD)).status_code == 303
        assert (await client.get("/inspect", follow_redirects=False)).status_code == 200
        # Used seven hours ago: still signed in, and the use moves the idle clock on.
        await _set_last_seen(database, utcnow() - dt.timedelta(hours=7))
        assert (await client.get("/inspect", follow_redirects=False)).status_code == 200
        seen = await _last_seen(database)
        assert seen is not None and seen > utcnow() - dt.timedelta(minutes=1)
        # Not used for nine hours (well inside SESSION_DAYS): signed out.
        await _set_last_seen(database, utcnow() - dt.timedelta(hours=9))
        gone = await client.get("/inspect", follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login")


async def test_session_idle_hours_zero_never_idles_out(
    database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSION_IDLE_HOURS", "0")
    get_settings.cache_clear()
    await add_user(database, "insp", "inspector")
    async with make_client(database_url) as client:
        token = await csrf_token(client)
        assert (await attempt(client, token, "insp", PASSWORD)).status_code == 303
        await _set_last_seen(database, utcnow() - dt.timedelta(days=20))
        assert (await client.get("/inspect", follow_redirects=False)).status_code == 200


async def test_counters_past_their_window_are_deleted_by_the_jobs(database: Database) -> None:
    now = utcnow()
    async with database.session() as s:
        s.add_all([
            SignInLimit(key="pair:old|x", window_started_at=now - dt.timedelta(hours=1), failures=5),
            SignInLimit(key="user:waiting", window_started_at=now - dt.timedelta(hours=1), failures=30,
                        next_allowed_at=now + dt.timedelta(seconds=30)),
            SignInLimit(key="pair:live|x", window_started_at=now - dt.timedelta(minutes=5), failures=2),
        ])
    assert await limits.forget_stale(database) == 1
    async with database.session(write=False) as s:
        assert set((await s.execute(select(SignInLimit.key))).scalars()) == {"user:waiting", "pair:live|x"}
