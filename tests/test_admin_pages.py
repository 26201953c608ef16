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
from server.core.audit.models import AuditEvent
from server.contractors.models import Contract, ContractCategory, Contractor, ContractZone
from server.core.db import Database
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


async def snapshot(database: Database) -> tuple[Any, ...]:
    async with database.session(write=False) as s:
        counts = [await s.scalar(select(func.count()).select_from(m))
                  for m in (Site, Zone, Contractor, Contract, User, AuditEvent, UserSite, UserZone)]
        assets = tuple((await s.execute(select(Asset.id, Asset.code, Asset.lat, Asset.lon, Asset.zone_id, Asset.active)
                                        .order_by(Asset.code))).all())
    return (*counts, assets)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_bad_input_is_answered_per_field(admin: AsyncTestClient, database: Database, world: World,
                                               lang: str) -> None:
    await post(admin, "/language", {"lang": lang})  # the admin's own language wins over the browser's
    before = await snapshot(database)
    bad_site = await post(admin, "/admin/sites", {"code": "has space", "name_zh": "", "name_en": "x" * 121,
                                                  "timezone": "Mars/Olympus", "center_lat": "91", "center_lon": "east"},
                          lang=lang)
    assert bad_site.status_code == 422
    errors = field_errors(bad_site.text)
    assert set(errors) == {"code", "name_zh", "name_en", "timezone", "center_lat", "center_lon"}, errors
    if lang == "zh":
        assert errors["name_zh"] == "必填。" and "之间" in errors["center_lat"]
    else:
        assert errors["name_zh"] == "Required." and errors["center_lon"] == "Enter a number."
    assert 'value="has space"' in bad_site.text  # what was typed stays in the form
    site_id = str(world.assets and (await _site_id(database)))
    for outline, key in ((json.dumps({"type": "Polygon", "coordinates": [BOWTIE]}), "not valid" if lang == "en" else "不合法"),
                         ("{not json", "GeoJSON"), (json.dumps({"type": "Point", "coordinates": [118.7, 32.1]}), "Polygon"),
                         (json.dumps({"type": "Polygon", "coordinates": [[[200, 10], [201, 10], [201, 11], [200, 10]]]}),
                          "WGS 84")):
        answer = await post(admin, "/admin/zones", {"site_id": site_id, "code": "Z9", "name_zh": "九", "name_en": "Nine",
                                                    "outline": outline}, lang=lang)
        assert answer.status_code == 422 and key in field_errors(answer.text)["outline"], answer.text[:300]
    taken = await post(admin, "/admin/zones", {"site_id": site_id, "code": "Z1", "name_zh": "一", "name_en": "One",
                                               "outline": json.dumps({"type": "Polygon", "coordinates": [RING]})}, lang=lang)
    assert taken.status_code == 422 and set(field_errors(taken.text)) == {"code"}
    contract = await post(admin, "/admin/contracts", {"code": "C-X", "name": "x", "contractor_id": str(uuid.uuid4()),
                                                      "starts_on": "2026-05-01", "ends_on": "2026-04-01",
                                                      "category": ["no_such_category"]}, lang=lang)
    assert contract.status_code == 422
    assert set(field_errors(contract.text)) == {"contractor_id", "ends_on", "zone_id", "category"}
    user = await post(admin, "/admin/users", {"username": "alpha1", "password": "short", "display_name": "A",
                                              "role": "contractor"}, lang=lang)
    assert user.status_code == 422
    assert set(field_errors(user.text)) == {"username", "password", "contractor_id"}
    assert "short" not in user.text  # a password is never shown back
    asset = world.assets["Z1-SE-1"]
    moved = await post(admin, f"/admin/assets/{asset}", {"code": "Z1-SE-1", "name": "Bench", "category": "seating",
                                                         "zone_id": str(world.zones["Z1"]), "lat": "32.105",
                                                         "lon": "118.715"}, lang=lang)  # in Z2, not Z1
    assert moved.status_code == 422 and set(field_errors(moved.text)) == {"lat"}
    # An htmx post gets its form back as a fragment with the errors in place.
    fragment = await post(admin, "/admin/contractors", {"code": "", "name": ""}, lang=lang, headers={"HX-Request": "true"})
    assert fragment.status_code == 422 and "<html" not in fragment.text
    assert set(field_errors(fragment.text)) == {"code", "name"}
    assert await snapshot(database) == before


async def _site_id(database: Database) -> uuid.UUID:
    async with database.session(write=False) as s:
        found = await s.scalar(select(Site.id))
    assert found is not None
    return found


async def test_assets_move_retire_reinstate_and_labels(admin: AsyncTestClient, database: Database, world: World) -> None:
    asset = world.assets["Z1-SE-1"]
    answer = await post(admin, f"/admin/assets/{asset}", {"code": "Z2-SE-77", "name": "Moved bench", "category": "seating",
                                                          "zone_id": str(world.zones["Z2"]), "lat": "32.105",
                                                          "lon": "118.715"})
    assert answer.status_code == 303, field_errors(answer.text) or answer.text[:300]
    assert (await post(admin, f"/admin/assets/{asset}/retire", {})).status_code == 303
    async with database.session(write=False) as s:
        row = await s.get(Asset, asset)
        assert row is not None and (row.code, row.zone_id, row.lon, row.active) == ("Z2-SE-77", world.zones["Z2"], 118.715, False)
    listed = await admin.get("/admin/assets?status=retired")
    assert 'data-asset="Z2-SE-77"' in listed.text and 'data-asset="Z1-SE-2"' not in listed.text
    assert (await post(admin, f"/admin/assets/{asset}/reinstate", {})).status_code == 303
    assert (await post(admin, f"/admin/assets/{asset}/explode", {})).status_code == 404
    actions = [a for a, e in await audit_actions(database) if e == str(asset)]
    assert actions == ["asset.updated", "asset.retired", "asset.reinstated"]
    labels = await admin.get(f"/admin/assets/labels?asset={asset}&asset={world.assets['Z1-SE-2']}")
    assert labels.text.count('class="qr-label"') == 2 and labels.text.count("<svg") == 2


async def test_users_change_role_deactivate_and_reset_password(admin: AsyncTestClient, database: Database,
                                                               database_url: str, world: World) -> None:
    insp = world.users["insp"]
    site_id = await _site_id(database)
    async with make_client(database_url) as phone:
        await sign_in(phone, "insp", PASSWORD)
        assert (await phone.get("/inspect", follow_redirects=False)).status_code == 200
        answer = await post(admin, f"/admin/users/{insp.id}/password", {"password": "New-garden-2026"})
        assert answer.status_code == 303
        assert (await phone.get("/inspect", follow_redirects=False)).status_code == 303  # signed out everywhere
    bad = await post(admin, f"/admin/users/{insp.id}/password", {"password": "insp-insp-1"}, lang="zh")
    assert bad.status_code == 422 and "data-field=\"password\"" in bad.text, bad.text[-1500:]
    answer = await post(admin, f"/admin/users/{insp.id}", {"display_name": "Insp", "role": "inspector",
                                                           "site_id": [str(site_id)], "zone_id": [str(world.zones["Z2"])],
                                                           "active": "1"})
    assert answer.status_code == 303, field_errors(answer.text)
    answer = await post(admin, f"/admin/users/{insp.id}", {"display_name": "Insp", "role": "supervisor",
                                                           "site_id": [str(site_id)]})  # no "active": deactivated
    assert answer.status_code == 303, field_errors(answer.text)
    async with database.session(write=False) as s:
        row = await s.get(User, insp.id)
        assert row is not None and (row.role, row.active) == ("supervisor", False)
        assert await s.scalar(select(func.count()).select_from(UserZone).where(UserZone.user_id == insp.id)) == 0
        assert await s.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == insp.id)) == 0
    async with make_client(database_url) as c:
        await c.get("/login")
        refused = await c.post("/login", data={"username": "insp", "password": "New-garden-2026",
                                               "_csrf_token": c.cookies["fc_csrf"]}, follow_redirects=False)
        # Deactivated: the right password is refused like a wrong one, and no session is opened.
        assert refused.status_code == 400 and 'name="password"' in refused.text
        after = await c.get("/supervise", follow_redirects=False)
        assert after.status_code == 303 and after.headers["location"].startswith("/login")
    # The admin cannot lock themselves out.
    me = world.users["admin"]
    self_demote = await post(admin, f"/admin/users/{me.id}", {"display_name": "Admin", "role": "supervisor", "active": "1"})
    assert self_demote.status_code == 422 and set(field_errors(self_demote.text)) == {"role"}
    events = [a for a, e in await audit_actions(database) if e == str(insp.id)]
    assert events.count("user.password_reset") == 1 and events.count("user.updated") == 2
    async with database.session(write=False) as s:
        details = [d for d, in await s.execute(select(AuditEvent.details).where(AuditEvent.entity_id == str(insp.id)))]
    assert not any("New-garden-2026" in json.dumps(d) for d in details)
