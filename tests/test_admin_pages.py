"""The admin pages through the HTTP client on a real database: every list and form renders,
creating and changing sites, zones, assets, contractors, contracts and users writes the rows
and their audit events, and bad input is a 422 naming each bad field in the user's language
with nothing stored."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from server.accounts.models import User, UserSession, UserZone
from server.assets.models import Asset
from server.audit.models import AuditEvent
from server.contractors.models import Contract, ContractCategory, Contractor, ContractZone
from server.db import Database
from server.sites.models import Site, UserSite, Zone
from tests.conftest import make_client, sign_in
from tests.factories import PASSWORD
from tests.workorder_helpers import World, build_world, signed_in

RING = [[118.72, 32.10], [118.73, 32.10], [118.73, 32.11], [118.72, 32.11], [118.72, 32.10]]
BOWTIE = [[118.72, 32.10], [118.73, 32.11], [118.73, 32.10], [118.72, 32.11], [118.72, 32.10]]


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


@pytest.fixture
async def admin(database_url: str, world: World) -> Any:
    async with make_client(database_url) as c:
        await signed_in(c, "admin")
        yield c


async def post(c: AsyncTestClient, path: str, data: dict[str, Any], lang: str = "en", **kw: Any) -> Any:
    return await c.post(path, data={**data, "_csrf_token": c.cookies["fc_csrf"]},
                        headers={"Accept-Language": lang, **kw.pop("headers", {})}, follow_redirects=False, **kw)


def field_errors(html: str) -> dict[str, str]:
    """{field: message} of the errors shown next to inputs."""
    return {m.group(1): m.group(2) for m in re.finditer(r'class="field-error"[^>]*data-field="([^"]+)">([^<]+)<', html)}


async def audit_actions(database: Database) -> list[tuple[str, str]]:
    async with database.session(write=False) as s:
        return [tuple(r) for r in await s.execute(
            select(AuditEvent.action, AuditEvent.entity_id).order_by(AuditEvent.id))]  # type: ignore[misc]


async def test_every_page_renders(admin: AsyncTestClient, database: Database, world: World) -> None:
    async with database.session(write=False) as s:
        site_id = await s.scalar(select(Site.id))
        contract_id = await s.scalar(select(Contract.id))
        contractor_id = await s.scalar(select(Contractor.id))
    pages = ["/admin", "/admin/sites", "/admin/sites/new", f"/admin/sites/{site_id}", "/admin/zones",
             "/admin/zones/new", f"/admin/zones/{world.zones['Z1']}", "/admin/assets", f"/admin/assets?site={site_id}",
             f"/admin/assets/{world.assets['Z1-SE-1']}", "/admin/contractors", "/admin/contractors/new",
             f"/admin/contractors/{contractor_id}", "/admin/contracts", "/admin/contracts/new",
             f"/admin/contracts/{contract_id}", "/admin/users", "/admin/users/new",
             f"/admin/users/{world.users['insp'].id}", "/admin/audit", "/admin/users?role=contractor&q=alpha"]
    for path in pages:
        answer = await admin.get(path, headers={"Accept-Language": "zh"})
        assert answer.status_code == 200, (path, answer.text[:300])
        assert 'href="/admin/import"' in answer.text  # the place left for the import pages
    listed = await admin.get("/admin/users?role=contractor&q=alpha")
    assert 'data-user="alpha1"' in listed.text and 'data-user="insp"' not in listed.text
    # An htmx filter gets the fragment (no layout); the same URL whole otherwise.
    fragment = await admin.get("/admin/zones?q=Z2", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'data-zone="Z2"' in fragment.text and 'data-zone="Z1"' not in fragment.text
    for path in (f"/admin/zones/{uuid.uuid4()}", f"/admin/users/{uuid.uuid4()}", f"/admin/assets/{uuid.uuid4()}"):
        assert (await admin.get(path)).status_code == 404


async def test_an_admin_builds_a_site(admin: AsyncTestClient, database: Database, database_url: str,
                                      world: World) -> None:
    answer = await post(admin, "/admin/sites", {"code": "EAST", "name_zh": "东园", "name_en": "East park",
                                                "timezone": "Asia/Shanghai", "center_lat": "32.105", "center_lon": "118.725"})
    assert answer.status_code == 303, field_errors(answer.text) or answer.text[:500]
    async with database.session(write=False) as s:
        site = await s.scalar(select(Site).where(Site.code == "EAST"))
    assert site is not None and site.name_en == "East park"
    outline = json.dumps({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [RING]}})
    answer = await post(admin, "/admin/zones", {"site_id": str(site.id), "code": "E1", "name_zh": "东一",
                                                "name_en": "East 1"}, files={"outline_file": ("e1.geojson", outline.encode())})
    assert answer.status_code == 303, field_errors(answer.text) or answer.text[:500]
    answer = await post(admin, "/admin/contractors", {"code": "GAMMA", "name": "Gamma 园林"})
    assert answer.status_code == 303
    async with database.session(write=False) as s:
        zone = await s.scalar(select(Zone).where(Zone.code == "E1"))
        gamma = await s.scalar(select(Contractor).where(Contractor.code == "GAMMA"))
    assert zone is not None and zone.site_id == site.id and zone.max_lon == pytest.approx(118.73)
    assert gamma is not None
    answer = await post(admin, "/admin/contracts", {"code": "C-GAMMA", "name": "东园养护", "contractor_id": str(gamma.id),
                                                    "starts_on": "2026-01-01", "ends_on": "2026-12-31",
                                                    "zone_id": [str(zone.id)], "category": ["seating", "green_space"]})
    assert answer.status_code == 303, field_errors(answer.text) or answer.text[:500]
    answer = await post(admin, "/admin/users", {"username": "wang", "password": "Garden-pass-2026", "display_name": "王",
                                                "role": "inspector", "language": "zh", "site_id": [str(site.id)],
                                                "zone_id": [str(zone.id)]})
    assert answer.status_code == 303, field_errors(answer.text) or answer.text[:500]
    answer = await post(admin, "/admin/users", {"username": "gamma1", "password": "Garden-pass-2027",
                                                "display_name": "G1", "role": "contractor",
                                                "contractor_id": str(gamma.id), "site_id": [str(site.id)]})
    assert answer.status_code == 303, field_errors(answer.text) or answer.text[:500]
    async with database.session(write=False) as s:
        contract = await s.scalar(select(Contract).where(Contract.code == "C-GAMMA"))
        assert contract is not None and contract.contractor_id == gamma.id
        assert set((await s.execute(select(ContractCategory.category)
                                    .where(ContractCategory.contract_id == contract.id))).scalars()) == {"seating", "green_space"}
        assert list((await s.execute(select(ContractZone.zone_id).where(ContractZone.contract_id == contract.id))).scalars()) == [zone.id]
        wang = await s.scalar(select(User).where(User.username == "wang"))
        assert wang is not None and wang.role == "inspector" and wang.language == "zh"
        assert list((await s.execute(select(UserZone.zone_id).where(UserZone.user_id == wang.id))).scalars()) == [zone.id]
        assert list((await s.execute(select(UserSite.site_id).where(UserSite.user_id == wang.id))).scalars()) == [site.id]
        gamma1 = await s.scalar(select(User).where(User.username == "gamma1"))
        assert gamma1 is not None and gamma1.contractor_id == gamma.id
    actions = await audit_actions(database)
    for action, entity in (("site.created", site.id), ("zone.created", zone.id), ("contractor.created", gamma.id),
                           ("contract.created", contract.id), ("user.created", wang.id)):
        assert (action, str(entity)) in actions
    # The new inspector signs in and downloads the new site's zone only.
    async with make_client(database_url) as c:
        await sign_in(c, "wang", "Garden-pass-2026")
        bundle = await c.get("/api/offline/bundle")
        assert bundle.status_code == 200
        assert [z["code"] for z in bundle.json()["zones"]] == ["E1"]
