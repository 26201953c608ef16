"""A batch that collides with another writer is redone, and a redo that meets a deadlock is
tried again (PostgreSQL breaks a deadlock between two batches by failing one of them; the city
benchmark's four workers met it): the records are stored once, and only when the conflict
outlasts every retry does the phone get a 503 with Retry-After — never a 500 — with nothing
stored, so the batch it sends again is stored exactly once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.exc import DBAPIError

from server.core.db import Database
from server.inspections.models import Inspection
from sync import service
from sync.models import SyncReceipt
from tests.factories import add_site_with_asset
from tests.sync_helpers import FAILING_SE1, count, inspection, phone, record, send


class Deadlock(Exception):
    sqlstate = "40P01"

    def __str__(self) -> str:
        return "deadlock detected"


def deadlocking(monkeypatch: pytest.MonkeyPatch, failures: int) -> list[bool]:
    """`load_state` fails with a deadlock its first `failures` calls; returns the calls' `careful` flags."""
    real = service.load_state
    calls: list[bool] = []

    async def load_state(*args: Any, careful: bool = False, **kwargs: Any) -> Any:
        calls.append(careful)
        if len(calls) <= failures:
            raise DBAPIError("SELECT defects.id FROM defects … FOR NO KEY UPDATE", {}, Deadlock())
        return await real(*args, careful=careful, **kwargs)

    monkeypatch.setattr(service, "load_state", load_state)
    return calls


async def _phone(client: AsyncTestClient, database: Database) -> uuid.UUID:
    ids = await add_site_with_asset(database)
    await phone(client, database, zones=[ids["zone"]])
    return ids["asset"]


async def test_a_redo_that_meets_a_deadlock_is_tried_again(client: AsyncTestClient, database: Database,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    asset = await _phone(client, database)
    calls = deadlocking(monkeypatch, failures=service.REDO_ATTEMPTS)  # the whole batch, then all but the last redo
    recs = [record("inspection", inspection(asset, FAILING_SE1)) for _ in range(3)]
    answer = await send(client, *recs)
    assert answer.status_code == 200
    assert [r["outcome"] for r in answer.json()["results"]] == ["created"] * 3
    assert calls == [False] + [True] * service.REDO_ATTEMPTS
    assert await count(database, Inspection) == 3
    assert await count(database, SyncReceipt) == 3


async def test_a_deadlock_past_every_retry_is_a_503_and_stores_nothing(client: AsyncTestClient, database: Database,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    asset = await _phone(client, database)
    calls = deadlocking(monkeypatch, failures=1 + service.REDO_ATTEMPTS)
    recs = [record("inspection", inspection(asset, FAILING_SE1)) for _ in range(2)]
    answer = await send(client, *recs)
    assert answer.status_code == 503
    assert answer.json()["code"] == "database_unavailable"
    assert int(answer.headers["Retry-After"]) > 0
    assert await count(database, Inspection) == 0
    assert len(calls) == 1 + service.REDO_ATTEMPTS
    # Sent again once the conflict is over (the next calls go through): stored once.
    again = await send(client, *recs)
    assert [r["outcome"] for r in again.json()["results"]] == ["created"] * 2
    assert await count(database, Inspection) == 2
