"""The one text rule (server/core/text.py): text holding U+0000 or half an emoji (a lone UTF-16
surrogate, what JavaScript makes when it cuts an emoji in two) is refused per field with
`bad_text` — a 4xx, never a 5xx — on every route that takes text, on both backends, and
nothing stored changes. The routes come from the app's own list, so a new one must be
classified here before the suite passes."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from server.accounts.models import UserZone
from server.app import create_app
from server.core.audit.models import AuditEvent
from server.core.db import Database
from server.defects.models import Defect
from server.core.text import unstorable, unstorable_paths
from server.workorders import service
from server.workorders.models import WorkOrder
from sync.models import SyncReceipt
from tests.conftest import make_client
from tests.workorder_helpers import World, build_world, signed_in

NUL, HALF_EMOJI = "a\x00b", "a\ud83db"
MONTH = "2026-03"

# route template → (who calls it, how: "form" or "json", the text fields it takes)
FORMS = {
    ("POST", "/login"): (None, ["username", "password"]),
    ("POST", "/device"): ("super", ["device_name"]),
    ("POST", "/supervise/defects/{defect_id:uuid}/dismiss"): ("super", ["reason"]),
    ("POST", "/supervise/orders/{order_id:uuid}/{action:str}"): ("super", ["reason"]),
    ("POST", "/supervise/orders/{order_id:uuid}/due"): ("super", ["due_reason"]),
    ("POST", "/supervise/orders"): ("super", ["notes", "due_reason"]),
    ("POST", "/contractor/webhook"): ("alpha1", ["webhook_url"]),
    ("POST", "/scores/{month:str}/reopen"): ("admin", ["reason"]),
    ("POST", "/supervise/rounds/emergencies"): ("super", ["reason"]),
    ("POST", "/supervise/rounds/schedules"): ("super", ["effective_from", "window_from"]),
    ("POST", "/admin/import"): ("admin", ["layer", "crs", "fields"]),
    ("POST", "/admin/standards/edit"): ("admin", ["version", "effective_from", "new_key", "new_label_zh", "new_checks"]),
    ("POST", "/admin/standards/install"): ("admin", ["bundle"]),
    ("POST", "/admin/sites"): ("admin", ["code", "name_zh", "name_en", "timezone"]),
    ("POST", "/admin/sites/{site_id:uuid}"): ("admin", ["name_en"]),
    ("POST", "/admin/zones"): ("admin", ["code", "name_zh", "outline"]),
    ("POST", "/admin/zones/{zone_id:uuid}"): ("admin", ["name_en", "outline"]),
    ("POST", "/admin/assets/{asset_id:uuid}"): ("admin", ["code", "name"]),
    ("POST", "/admin/contractors"): ("admin", ["code", "name"]),
    ("POST", "/admin/contractors/{contractor_id:uuid}"): ("admin", ["name"]),
    ("POST", "/admin/contracts"): ("admin", ["code", "name"]),
    ("POST", "/admin/contracts/{contract_id:uuid}"): ("admin", ["name"]),
    ("POST", "/admin/users"): ("admin", ["username", "display_name", "password"]),
    ("POST", "/admin/users/{user_id:uuid}"): ("admin", ["display_name"]),
    ("POST", "/admin/users/{user_id:uuid}/password"): ("admin", ["password"]),
}
JSON = {
    ("POST", "/api/defects/{defect_id:uuid}/dismiss"): ("super", ["reason"]),
    ("POST", "/api/work-orders/{order_id:uuid}/{action:str}"): ("super", ["reason"]),
    ("PUT", "/api/work-orders/{order_id:uuid}/due"): ("super", ["due_reason"]),
    ("POST", "/api/work-orders"): ("super", ["notes", "due_reason"]),
    ("POST", "/api/notifications/read"): ("alpha1", ["work_order_id"]),
}
SYNC = {("POST", "/api/sync"), ("PUT", "/api/sync/{kind:str}/{record_id:str}")}
NO_TEXT = {  # nothing a user types reaches storage: no body, a choice from a list, or photo bytes
    ("POST", "/logout"), ("POST", "/language"), ("POST", "/supervise/notifications/read"),
    ("POST", "/contractor/notifications/read"), ("POST", "/scores/{month:str}/close"),
    ("POST", "/supervise/defects/{defect_id:uuid}/close"), ("POST", "/api/defects/{defect_id:uuid}/close"),
    ("POST", "/contractor/orders/{order_id:uuid}/{action:str}"),  # accept, start: no reason to give
    ("POST", "/admin/assets/{asset_id:uuid}/{action:str}"),  # retire, reinstate: no body
    ("POST", "/site"),  # a choice of the user's own sites
    ("POST", "/api/photos/missing"),  # hashes, parsed strictly by the framework (a bad one is a 400)
    ("PUT", "/api/photos/{sha256:str}"), ("PATCH", "/api/photos/{sha256:str}"),
    ("POST", "/supervise/rounds/emergencies/{emergency_id:uuid}/close"), ("POST", "/supervise/rounds/alerts/read"),
    ("POST", "/admin/import/{token:str}/confirm"),  # no body: confirms the previewed upload
    ("POST", "/admin/standards/preview"),  # files only; their text is checked (tests/test_standards_install.py)
}


def unsafe_routes() -> set[tuple[str, str]]:
    app = create_app(database_url="sqlite+aiosqlite:///:memory:")
    return {(m, r.path) for r in app.routes for m in getattr(r, "methods", ()) if m in ("POST", "PUT", "PATCH", "DELETE")}


def test_every_route_that_takes_text_is_checked_here() -> None:
    assert unsafe_routes() == set(FORMS) | set(JSON) | SYNC | NO_TEXT


def test_the_rule() -> None:
    assert unstorable(NUL) and unstorable(HALF_EMOJI) and unstorable("\udc00")
    assert not unstorable("整改完成 😀 ok") and not unstorable("")
    assert list(unstorable_paths({"a": ["x", {"b": HALF_EMOJI}], NUL: 1}, "body")) == ["body.a[1].b", "body.{key}"]


def ascii_json(value: Any) -> bytes:
    """JSON as a phone sends it: a lone surrogate as the escape "\\ud83d" (what JSON.stringify writes)."""
    return json.dumps(value, ensure_ascii=True).encode()


async def snapshot(database: Database) -> tuple[Any, ...]:
    async with database.session(write=False) as s:
        audit = await s.scalar(select(func.count()).select_from(AuditEvent))
        receipts = await s.scalar(select(func.count()).select_from(SyncReceipt))
        defects = tuple((await s.execute(select(Defect.id, Defect.status, Defect.dismissed_reason).order_by(Defect.id))).all())
        orders = tuple((await s.execute(select(WorkOrder.id, WorkOrder.status, WorkOrder.notes, WorkOrder.due_at,
                                               WorkOrder.return_reason).order_by(WorkOrder.id))).all())
    return audit, receipts, defects, orders


def concrete(template: str, world: World, order_id: uuid.UUID) -> str:
    for name, value in (("site_id", world.site), ("zone_id", world.zones["Z1"]), ("asset_id", world.assets["Z1-SE-1"]),
                        ("contractor_id", world.contractors["ALPHA"]), ("contract_id", world.contracts["C-ALPHA"]),
                        ("user_id", world.users["insp"].id)):
        template = template.replace("{" + name + ":uuid}", str(value))
    return (template.replace("{defect_id:uuid}", str(world.defects["Z1-SE-2"])).replace("{order_id:uuid}", str(order_id))
            .replace("{action:str}", "return").replace("{month:str}", MONTH))


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def test_text_that_cannot_be_stored_is_refused_per_field_everywhere(
    database: Database, database_url: str, world: World
) -> None:
    async with database.session() as db:
        order = await service.issue_order(db, world.users["super"], [world.defects["Z1-SE-1"]])
    wrong: list[str] = []
    clients: dict[str | None, AsyncTestClient] = {}
    try:
        for who in ("super", "alpha1", "admin", None):
            clients[who] = make_client(database_url)
            await clients[who].__aenter__()
            if who:
                await signed_in(clients[who], who)
            else:
                await clients[who].get("/login")  # the CSRF cookie
        before = await snapshot(database)  # after the sign-ins, which the audit trail records
        for (method, template), (who, fields) in FORMS.items():
            c = clients[who]
            for field in fields:
                form = {"username": "someone", "password": "pw", "reason": "fine", "notes": "", "due_reason": "x",
                        "defect_id": str(world.defects["Z1-SE-2"]), field: NUL, "_csrf_token": c.cookies["fc_csrf"]}
                answer = await c.request(method, concrete(template, world, order.id), data=form,
                                         headers={"Accept-Language": "en"}, follow_redirects=False)
                if answer.status_code != 422 or 'data-code="bad_text"' not in answer.text:
                    wrong.append(f"form {method} {template} {field}: {answer.status_code} {answer.text[:150]}")
                elif f"“{field}”" not in answer.text:
                    wrong.append(f"form {method} {template} {field}: the field is not named")
        for (method, template), (who, fields) in JSON.items():
            c = clients[who]
            headers = {"X-CSRFToken": c.cookies["fc_csrf"], "Content-Type": "application/json", "Accept-Language": "en"}
            for field in fields:
                for bad in (NUL, HALF_EMOJI):
                    body = {"defect_ids": [str(world.defects["Z1-SE-2"])], "reason": "fine", field: bad}
                    answer = await c.request(method, concrete(template, world, order.id), content=ascii_json(body),
                                             headers=headers)
                    got = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
                    if (answer.status_code, got.get("code"), got.get("field")) != (422, "bad_text", field):
                        wrong.append(f"json {method} {template} {field} {bad!r}: {answer.status_code} {answer.text[:150]}")
    finally:
        for c in clients.values():
            await c.__aexit__(None, None, None)
    assert not wrong, "\n".join(wrong)
    assert await snapshot(database) == before  # nothing stored changed, not even the audit trail


async def test_one_poison_record_does_not_hold_up_the_batch(database: Database, database_url: str, world: World) -> None:
    """200 records, one holding half an emoji, one a NUL: 198 stored, the two refused per field (not a 500)."""
    async with database.session() as s:
        s.add(UserZone(user_id=world.users["insp"].id, zone_id=world.zones["Z1"]))
    async with make_client(database_url) as c:
        await signed_in(c, "insp")
        headers = {"X-CSRFToken": c.cookies["fc_csrf"], "Content-Type": "application/json", "Accept-Language": "zh",
                   "X-Device-Id": "test-device"}
        records = [{"kind": "asset", "id": str(uuid.uuid4()),
                    "body": {"category": "seating", "name": f"bench {i}", "position": {"lat": 32.104, "lon": 118.704}}}
                   for i in range(200)]
        records[57]["body"]["name"] = "长椅 \ud83d"
        records[120]["body"]["notes"] = NUL
        answer = await c.post("/api/sync", content=ascii_json({"records": records}), headers=headers)
        assert answer.status_code == 200, answer.text[:300]
        results = answer.json()["results"]
        refused = {i: r for i, r in enumerate(results) if r["status"] != 201}
        assert sorted(refused) == [57, 120], {i: (r["status"], r["errors"][:1]) for i, r in list(refused.items())[:3]}
        assert refused[57]["code"] == "invalid_record" and refused[57]["errors"][0]["code"] == "bad_text"
        assert refused[57]["errors"][0]["field"] == "body.name" and "body.name" in refused[57]["errors"][0]["message"]
        assert refused[120]["errors"][0]["field"] == "body.notes"
        # The same record alone, the way the phone names a refused one.
        single = await c.put(f"/api/sync/asset/{records[57]['id']}", content=ascii_json(records[57]["body"]),
                             headers=headers)
        assert single.status_code == 422 and single.json()["errors"][0]["code"] == "bad_text"
    async with database.session(write=False) as s:
        assert await s.scalar(select(func.count()).select_from(SyncReceipt)) == 198


async def test_text_that_slips_past_the_rule_is_still_a_4xx(
    database: Database, database_url: str, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last line (server/core/errors.py): a driver refusing half an emoji is the request's fault."""
    async def driver_refuses(*args: Any, **kwargs: Any) -> Any:
        "\ud83d".encode()  # what sqlite3 and asyncpg do with it, deep in a statement

    monkeypatch.setattr(service, "issue_order", driver_refuses)
    async with make_client(database_url) as c:
        await signed_in(c, "super")
        headers = {"X-CSRFToken": c.cookies["fc_csrf"], "Accept-Language": "en"}
        answer = await c.post("/api/work-orders", json={"defect_ids": [str(world.defects["Z1-SE-1"])]}, headers=headers)
    assert answer.status_code == 422 and answer.json()["code"] == "bad_text", answer.text
