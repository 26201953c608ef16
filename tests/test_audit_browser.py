"""The audit browser (/admin/audit): filters by user, device, entity, action and date range,
newest first, pages of 50, each event linked to its record; a bad filter is a 422 naming it."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from server.core.audit.models import AuditEvent
from server.core.db import Database
from server.workorders import service
from tests.conftest import make_client
from tests.workorder_helpers import World, build_world, signed_in


@pytest.fixture
async def world(database: Database) -> World:
    world = await build_world(database)
    async with database.session() as s:
        await service.issue_order(s, world.users["super"], [world.defects["Z1-SE-1"]])
        for i in range(120):  # a phone's sign-ins over four days, for paging and dates
            s.add(AuditEvent(at=dt.datetime(2026, 3, 1 + i // 40, 2, i % 60, tzinfo=dt.timezone.utc),
                             user_id=world.users["insp"].id, device_id="phone-7", action="auth.sign_in",
                             entity_type="user", entity_id=str(world.users["insp"].id), details={"n": i}))
    return world


def event_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-event="(\d+)"', html)]


async def test_filters_pages_and_links(database_url: str, world: World) -> None:
    async with make_client(database_url) as c:
        await signed_in(c, "admin")
        everything = await c.get("/admin/audit")
        assert everything.status_code == 200
        ids = event_ids(everything.text)
        assert len(ids) == 50 and ids == sorted(ids, reverse=True)
        assert 'rel="next"' in everything.text
        device = await c.get("/admin/audit?device=phone-7&page=3")
        assert len(event_ids(device.text)) == 20 and 'rel="next"' not in device.text and 'rel="prev"' in device.text
        # Days are the site's (Asia/Shanghai): 2 March 02:xx UTC is 2 March 10:xx there.
        day = await c.get("/admin/audit?user=insp&from=2026-03-02&to=2026-03-02")
        assert len(event_ids(day.text)) == 40
        orders = await c.get("/admin/audit?entity=work_order&action=work_order.")
        assert event_ids(orders.text) and 'data-action="work_order.issued"' in orders.text
        assert re.search(r'href="/supervise/orders/[0-9a-f-]{36}"', orders.text)
        users = await c.get(f"/admin/audit?entity=user&entity_id={world.users['insp'].id}&device=phone-7")
        assert f'href="/admin/users/{world.users["insp"].id}"' in users.text
        fragment = await c.get("/admin/audit?user=nobody", headers={"HX-Request": "true"})
        assert "<html" not in fragment.text and event_ids(fragment.text) == []
        bad = await c.get("/admin/audit?from=2026-13-01&page=0", headers={"Accept-Language": "en"})
        assert bad.status_code == 422
        assert "from" in bad.text and "page" in bad.text


async def test_only_admins_browse_the_audit(database_url: str, world: World) -> None:
    for username in ("super", "insp", "alpha1"):
        async with make_client(database_url) as c:
            await signed_in(c, username)
            assert (await c.get("/admin/audit")).status_code == 403
