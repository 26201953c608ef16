"""Role isolation, route by route: every page and API of the defect map, work orders,
notifications and webhooks tried as each role — and as another contractor, whom another
company's ids answer 404, exactly like ids that do not exist.

The calls are chosen so that the role allowed to make one gets a refusal from the service
(409 illegal step, 422 missing reason…), proving it passed the guard and the scope check
without changing anything; so one world serves every row. A route added without a row
here fails `test_every_route_has_a_row`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.core.db import Database
from server.workorders import service
from tests.conftest import csrf_token, make_client
from tests.workorder_helpers import World, build_world, signed_in

ROLES = ("anon", "inspector", "supervisor", "alpha", "beta", "admin")
USERNAMES = {"inspector": "insp", "supervisor": "super", "alpha": "alpha1", "beta": "beta1", "admin": "admin"}
PREFIXES = ("/supervise", "/contractor", "/api/defects", "/api/work-orders", "/api/map", "/api/notifications")
NOT_MINE = {"/supervise/qr-sheet"}  # the QR label sheet belongs to the assets pages

# Status per role: supervisor pages, contractor pages, and the API in between.
SUP_PAGE = {"anon": 303, "inspector": 403, "supervisor": 200, "alpha": 403, "beta": 403, "admin": 200}
SUP_POST = {"anon": 401, "inspector": 403, "alpha": 403, "beta": 403}
CON_PAGE = {"anon": 303, "inspector": 403, "supervisor": 403, "alpha": 200, "beta": 200, "admin": 200}
CON_OWN = {"anon": 303, "inspector": 403, "supervisor": 403, "alpha": 200, "beta": 404, "admin": 200}
API_BOTH = {"anon": 401, "inspector": 403, "supervisor": 200, "alpha": 200, "beta": 200, "admin": 200}
API_OWN = {"anon": 401, "inspector": 403, "supervisor": 200, "alpha": 200, "beta": 404, "admin": 200}
API_SUP = {"anon": 401, "inspector": 403, "alpha": 403, "beta": 403}

# (method, route template, concrete path, JSON or form body, expected status per role)
CASES: list[tuple[str, str, str, dict[str, Any] | None, dict[str, int]]] = [
    ("GET", "/supervise", "/supervise", None, SUP_PAGE),
    ("GET", "/supervise/map", "/supervise/map", None, SUP_PAGE),
    ("GET", "/supervise/defects/{defect_id:uuid}", "/supervise/defects/{defect}", None, SUP_PAGE),
    ("POST", "/supervise/defects/{defect_id:uuid}/dismiss", "/supervise/defects/{defect}/dismiss", {"reason": "x"},
     {**SUP_POST, "supervisor": 409, "admin": 409}),
    ("POST", "/supervise/defects/{defect_id:uuid}/close", "/supervise/defects/{defect}/close", {},
     {**SUP_POST, "supervisor": 409, "admin": 409}),
    ("GET", "/supervise/orders", "/supervise/orders", None, SUP_PAGE),
    ("POST", "/supervise/orders", "/supervise/orders", {}, {**SUP_POST, "supervisor": 422, "admin": 422}),
    ("GET", "/supervise/orders/new", "/supervise/orders/new?defect={defect}", None, SUP_PAGE),
    ("GET", "/supervise/orders/{order_id:uuid}", "/supervise/orders/{order}", None, SUP_PAGE),
    ("POST", "/supervise/orders/{order_id:uuid}/due", "/supervise/orders/{order}/due", {},
     {**SUP_POST, "supervisor": 422, "admin": 422}),
    ("POST", "/supervise/orders/{order_id:uuid}/{action:str}", "/supervise/orders/{order}/verify", {},
     {**SUP_POST, "supervisor": 409, "admin": 409}),
    ("GET", "/supervise/notifications", "/supervise/notifications", None, SUP_PAGE),
    ("POST", "/supervise/notifications/read", "/supervise/notifications/read", {},
     {**SUP_POST, "supervisor": 303, "admin": 303}),
    ("GET", "/supervise/webhooks", "/supervise/webhooks", None, SUP_PAGE),
    ("GET", "/supervise/rounds", "/supervise/rounds", None, SUP_PAGE),
    ("POST", "/supervise/rounds/schedules", "/supervise/rounds/schedules", {}, {**SUP_POST, "supervisor": 422, "admin": 422}),
    ("POST", "/supervise/rounds/emergencies", "/supervise/rounds/emergencies", {}, {**SUP_POST, "supervisor": 422, "admin": 422}),
    ("GET", "/supervise/rounds/emergencies/{emergency_id:uuid}", f"/supervise/rounds/emergencies/{uuid.uuid4()}", None,
     {**SUP_PAGE, "supervisor": 404, "admin": 404}),
    ("POST", "/supervise/rounds/emergencies/{emergency_id:uuid}/close", f"/supervise/rounds/emergencies/{uuid.uuid4()}/close",
     {}, {**SUP_POST, "supervisor": 404, "admin": 404}),
    ("POST", "/supervise/rounds/alerts/read", "/supervise/rounds/alerts/read", {}, {**SUP_POST, "supervisor": 303, "admin": 303}),
    ("GET", "/contractor", "/contractor", None, CON_PAGE),
    ("GET", "/contractor/orders/{order_id:uuid}", "/contractor/orders/{order}", None, CON_OWN),
    ("POST", "/contractor/orders/{order_id:uuid}/{action:str}", "/contractor/orders/{order}/start", {},
     {"anon": 401, "inspector": 403, "supervisor": 403, "alpha": 409, "beta": 404, "admin": 409}),
    ("GET", "/contractor/notifications", "/contractor/notifications", None, CON_PAGE),
    ("POST", "/contractor/notifications/read", "/contractor/notifications/read", {},
     {"anon": 401, "inspector": 403, "supervisor": 403, "alpha": 303, "beta": 303, "admin": 303}),
    ("GET", "/contractor/webhook", "/contractor/webhook", None, CON_PAGE),
    ("POST", "/contractor/webhook", "/contractor/webhook", {"webhook_url": "gopher://x"},
     {"anon": 401, "inspector": 403, "supervisor": 403, "alpha": 422, "beta": 422, "admin": 404}),
    ("GET", "/api/defects.geojson", "/api/defects.geojson", None, API_BOTH),
    ("GET", "/api/defects.csv", "/api/defects.csv", None, API_BOTH),
    ("GET", "/api/defects/nearby", "/api/defects/nearby?lat=32.102&lon=118.702&category=seating", None,
     {"anon": 401, "inspector": 200, "supervisor": 200, "alpha": 403, "beta": 403, "admin": 200}),
    ("GET", "/api/defects/{defect_id:uuid}", "/api/defects/{defect}", None, API_OWN),
    ("POST", "/api/defects/{defect_id:uuid}/dismiss", "/api/defects/{defect}/dismiss", {"reason": "x"},
     {**API_SUP, "supervisor": 409, "admin": 409}),
    ("POST", "/api/defects/{defect_id:uuid}/close", "/api/defects/{defect}/close", {},
     {**API_SUP, "supervisor": 409, "admin": 409}),
    ("GET", "/api/work-orders", "/api/work-orders", None, API_BOTH),
    ("GET", "/api/work-orders.geojson", "/api/work-orders.geojson", None, API_BOTH),
    ("GET", "/api/work-orders.csv", "/api/work-orders.csv", None, API_BOTH),
    ("POST", "/api/work-orders", "/api/work-orders", {"defect_ids": []}, {**API_SUP, "supervisor": 422, "admin": 422}),
    ("GET", "/api/work-orders/{order_id:uuid}", "/api/work-orders/{order}", None, API_OWN),
    ("PUT", "/api/work-orders/{order_id:uuid}/due", "/api/work-orders/{order}/due", {},
     {**API_SUP, "supervisor": 422, "admin": 422}),
    ("POST", "/api/work-orders/{order_id:uuid}/{action:str}", "/api/work-orders/{order}/start", {},
     {"anon": 401, "inspector": 403, "supervisor": 403, "alpha": 409, "beta": 404, "admin": 409}),
    ("POST", "/api/work-orders/{order_id:uuid}/{action:str}", "/api/work-orders/{order}/verify", {},
     {"anon": 401, "inspector": 403, "supervisor": 409, "alpha": 403, "beta": 404, "admin": 409}),
    ("GET", "/api/map/zones.geojson", "/api/map/zones.geojson", None, {**API_SUP, "supervisor": 200, "admin": 200}),
    ("GET", "/api/map/assets.geojson", "/api/map/assets.geojson", None, {**API_SUP, "supervisor": 200, "admin": 200}),
    ("GET", "/api/notifications", "/api/notifications", None, API_BOTH),
    ("POST", "/api/notifications/read", "/api/notifications/read", {}, API_BOTH),
]


def test_every_route_has_a_row() -> None:
    app = create_app(database_url="sqlite+aiosqlite:///:memory:")
    routes = {
        (method, route.path)
        for route in app.routes
        if route.path.startswith(PREFIXES) and not route.path.startswith(tuple(NOT_MINE))
        for method in getattr(route, "methods", ())
        if method not in ("OPTIONS", "HEAD")
    }
    assert routes == {(method, template) for method, template, *_ in CASES}
    for *_, expected in CASES:
        assert set(expected) == set(ROLES)


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


@pytest.fixture
async def clients(database_url: str, world: World) -> AsyncIterator[dict[str, AsyncTestClient]]:
    made = {role: make_client(database_url) for role in ROLES}
    for c in made.values():
        await c.__aenter__()
    try:
        for role, c in made.items():
            if role == "anon":
                await csrf_token(c)  # a CSRF cookie, so refusals are about the user, not the token
            else:
                await signed_in(c, USERNAMES[role])
        yield made
    finally:
        for c in made.values():
            await c.__aexit__(None, None, None)


async def call(client: AsyncTestClient, method: str, path: str, body: dict[str, Any] | None) -> int:
    token = client.cookies.get("fc_csrf") or ""
    if path.startswith("/api/"):
        headers = {"X-CSRFToken": token, "Accept": "application/json"}
        answer = await client.request(method, path, json=body if method != "GET" else None, headers=headers,
                                      follow_redirects=False)
    elif method == "GET":
        answer = await client.get(path, follow_redirects=False)
    else:
        answer = await client.request(method, path, data={**(body or {}), "_csrf_token": token}, follow_redirects=False)
    return answer.status_code


async def test_every_route_as_every_role(database: Database, world: World, clients: dict[str, AsyncTestClient]) -> None:
    async with database.session() as db:
        order = await service.issue_order(db, world.users["super"], [world.defects["Z1-SE-1"]])
    ids = {"order": str(order.id), "defect": str(world.defects["Z1-SE-1"])}
    wrong = []
    for method, _template, path, body, expected in CASES:
        concrete = path.format(**ids)
        for role in ROLES:
            got = await call(clients[role], method, concrete, body)
            if got != expected[role]:
                wrong.append(f"{method} {concrete} as {role}: {got}, expected {expected[role]}")
    assert not wrong, "\n".join(wrong)


async def test_another_contractors_ids_are_404_like_unknown_ones(world: World, database: Database,
                                                                 clients: dict[str, AsyncTestClient]) -> None:
    async with database.session() as db:
        order = await service.issue_order(db, world.users["super"], [world.defects["Z1-SE-1"]])
    beta = clients["beta"]
    for path in (f"/api/work-orders/{order.id}", f"/api/work-orders/{uuid.uuid4()}",
                 f"/api/defects/{world.defects['Z1-SE-1']}", f"/api/defects/{uuid.uuid4()}",
                 f"/contractor/orders/{order.id}", f"/contractor/orders/{uuid.uuid4()}"):
        answer = await beta.get(path)
        assert answer.status_code == 404, path
        if path.startswith("/api/"):
            assert answer.json()["code"] in ("work_order_not_found", "defect_not_found")
    # Lists and exports hold nothing of ALPHA's.
    assert (await beta.get("/api/work-orders")).json() == {"total": 0, "work_orders": []}
    assert (await beta.get("/api/defects.geojson?status=all")).json()["features"] == []
    assert str(order.id) not in (await beta.get("/api/work-orders.csv")).text
    assert order.code not in (await beta.get("/contractor")).text
    # ALPHA's users see it, and only the defects on their orders.
    alpha = clients["alpha"]
    assert [o["code"] for o in (await alpha.get("/api/work-orders")).json()["work_orders"]] == [order.code]
    assert [f["id"] for f in (await alpha.get("/api/defects.geojson?status=all")).json()["features"]] == [
        str(world.defects["Z1-SE-1"])]
    assert (await alpha.get(f"/api/defects/{world.defects['Z1-SE-2']}")).status_code == 404  # not on their order
