"""Several sites: a supervisor, an inspector and a contractor see only their own sites'
data — the map, the defect and order lists and exports, an order by id, scores, /supervise
and the offline download — one site at a time, chosen in the top bar; another site's ids
answer 404 exactly like unknown ones; a user with no site sees nothing but a message."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, select

from server.accounts.models import User, UserZone
from server.accounts.passwords import hash_password
from server.assets.models import Asset
from server.core.db import Database
from server.sites.models import Site, UserSite, Zone
from server.workorders import service
from tests.conftest import make_client, sign_in
from tests.factories import PASSWORD
from tests.workorder_helpers import World, build_world, square


@pytest.fixture
async def world(database: Database) -> World:
    """The work-order world (site T) plus a second site N with one zone and one asset; a
    supervisor of both sites ("both"), a supervisor of N only ("north"), a user of none."""
    world = await build_world(database)
    async with database.session() as s:
        north = Site(code="N", name_zh="北园", name_en="North park", timezone="Asia/Urumqi", center_lat=33.0,
                     center_lon=119.0)
        s.add(north)
        await s.flush()
        zone = Zone(site_id=north.id, code="N1", name_zh="北一", name_en="North 1", outline=square(119.0, 33.0),
                    min_lat=33.0, min_lon=119.0, max_lat=33.01, max_lon=119.01)
        s.add(zone)
        await s.flush()
        s.add(Asset(zone_id=zone.id, category="seating", code="N1-SE-1", name="North bench", lat=33.005, lon=119.005,
                    qr_token="qr-n1"))
        for username, sites in (("both", (world.site, north.id)), ("north", (north.id,)), ("nobody", ())):
            u = User(username=username, display_name=username.title(), password_hash=hash_password(PASSWORD),
                     role="supervisor", language="en")
            s.add(u)
            await s.flush()
            s.add_all(UserSite(user_id=u.id, site_id=site) for site in sites)
        s.add(UserZone(user_id=world.users["insp"].id, zone_id=world.zones["Z1"]))
    return world


async def client_of(database_url: str, username: str) -> AsyncTestClient:
    c = make_client(database_url)
    await c.__aenter__()
    await sign_in(c, username, PASSWORD)
    return c


async def test_a_supervisor_of_another_site_sees_none_of_this_one(database: Database, database_url: str,
                                                                   world: World) -> None:
    async with database.session() as s:
        order = await service.issue_order(s, world.users["super"], [world.defects["Z1-SE-1"]])
    c = await client_of(database_url, "north")
    try:
        assert (await c.get(f"/supervise/defects/{world.defects['Z1-SE-1']}")).status_code == 404
        assert (await c.get(f"/supervise/orders/{order.id}")).status_code == 404
        assert (await c.get(f"/api/work-orders/{order.id}")).status_code == 404
        assert (await c.get(f"/api/defects/{world.defects['Z1-SE-1']}")).status_code == 404
        geo = await c.get("/api/defects.geojson")
        assert geo.status_code == 200 and geo.json()["features"] == []
        csv = await c.get("/api/defects.csv")
        assert csv.status_code == 200 and "Z1-SE-1" not in csv.text
        orders = await c.get("/api/work-orders")
        assert orders.status_code == 200 and str(order.id) not in orders.text
        home = await c.get("/supervise")
        assert home.status_code == 200 and "N1" in home.text and "Z1区" not in home.text
        bundle = await c.get("/api/offline/bundle")
        assert [z["code"] for z in bundle.json()["zones"]] == ["N1"]
        assert [a["code"] for a in bundle.json()["assets"]] == ["N1-SE-1"]
        # Scores: its own site; another site's code answers like an unknown one.
        assert (await c.get("/api/scores?month=2026-10&site=T")).status_code == 404
        own = await c.get("/api/scores?month=2026-10&site=N")
        assert own.status_code == 200, own.text[:200]
        # The switch refuses a site that is not the user's.
        token = c.cookies["fc_csrf"]
        assert (await c.post("/site", data={"site": "T", "_csrf_token": token}, follow_redirects=False)).status_code == 404
    finally:
        await c.__aexit__(None, None, None)


async def test_the_site_switch_changes_what_pages_show(database: Database, database_url: str, world: World) -> None:
    c = await client_of(database_url, "both")
    try:
        assert 'id="site-switch"' in (await c.get("/supervise/map")).text  # two sites: the switch shows
        for code in ("N", "T"):
            answer = await c.post("/site", data={"site": code, "next": "/supervise", "_csrf_token": c.cookies["fc_csrf"]},
                                  follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"] == "/supervise"
            bundle = (await c.get("/api/offline/bundle")).json()
            assert {z["code"] for z in bundle["zones"]} == ({"N1"} if code == "N" else {"Z1", "Z2"})
            status = (await c.get(f"/supervise/defects/{world.defects['Z1-SE-1']}")).status_code
            assert status == (404 if code == "N" else 200)
    finally:
        await c.__aexit__(None, None, None)


async def test_a_user_of_no_site_sees_nothing_but_a_message(database: Database, database_url: str,
                                                            world: World) -> None:
    c = await client_of(database_url, "nobody")
    try:
        home = await c.get("/supervise")
        assert home.status_code == 200 and 'id="no-site"' in home.text and "Z1" not in home.text
        assert (await c.get("/api/offline/bundle")).json()["zones"] == []
        assert (await c.get("/api/defects.geojson")).json()["features"] == []
        assert (await c.get(f"/supervise/defects/{world.defects['Z1-SE-1']}")).status_code == 404
        assert (await c.get("/scores/2026-10")).status_code == 404
    finally:
        await c.__aexit__(None, None, None)


async def test_an_inspector_reaches_only_their_sites_zones(database: Database, database_url: str,
                                                           world: World) -> None:
    async with database.session() as s:
        north_zone = await s.scalar(select(Zone.id).where(Zone.code == "N1"))
        north_asset = await s.scalar(select(Asset.id).where(Asset.code == "N1-SE-1"))
        # Zones of a site the inspector does not belong to give nothing, even if assigned.
        s.add(UserZone(user_id=world.users["insp"].id, zone_id=north_zone))
    c = await client_of(database_url, "insp")
    try:
        assert (await c.get(f"/inspect/assets/{north_asset}")).status_code == 404
        assert (await c.get(f"/inspect/assets/{world.assets['Z1-SE-1']}")).status_code == 200
        assert [z["code"] for z in (await c.get("/api/offline/bundle")).json()["zones"]] == ["Z1"]
    finally:
        await c.__aexit__(None, None, None)


async def test_a_contractor_taken_off_a_site_sees_none_of_its_orders(database: Database, database_url: str,
                                                                     world: World) -> None:
    async with database.session() as s:
        order = await service.issue_order(s, world.users["super"], [world.defects["Z1-SE-1"]])
    c = await client_of(database_url, "alpha1")
    try:
        assert order.code in (await c.get("/contractor")).text
        assert (await c.get(f"/contractor/orders/{order.id}")).status_code == 200
    finally:
        await c.__aexit__(None, None, None)
    async with database.session() as s:
        await s.execute(delete(UserSite).where(UserSite.user_id == world.users["alpha1"].id))
    c = await client_of(database_url, "alpha1")
    try:
        home = await c.get("/contractor")
        assert order.code not in home.text and 'id="no-site"' in home.text
        assert (await c.get(f"/contractor/orders/{order.id}")).status_code == 404
        assert (await c.get(f"/api/work-orders/{order.id}")).status_code == 404
    finally:
        await c.__aexit__(None, None, None)


async def test_rounds_pages_show_only_the_current_sites_emergencies(database: Database, database_url: str,
                                                                    world: World) -> None:
    import datetime as dt

    from server.core.db import utcnow
    from server.rounds.models import EmergencyRound

    async with database.session() as s:
        em = EmergencyRound(site_id=world.site, reason="Storm in T", zone_ids=[str(world.zones["Z1"])],
                            categories=["seating"], hours=4, due_at=utcnow() + dt.timedelta(hours=4),
                            started_by=world.users["super"].id)
        s.add(em)
        await s.flush()
        em_id = em.id
    c = await client_of(database_url, "north")
    try:
        assert (await c.get(f"/supervise/rounds/emergencies/{em_id}")).status_code == 404
        token = c.cookies["fc_csrf"]
        closing = await c.post(f"/supervise/rounds/emergencies/{em_id}/close", data={"_csrf_token": token},
                               follow_redirects=False)
        assert closing.status_code == 404
        page = await c.get("/supervise/rounds")
        assert page.status_code == 200 and "Storm in T" not in page.text and "Z1" not in page.text
    finally:
        await c.__aexit__(None, None, None)
    c = await client_of(database_url, "both")
    try:
        page = await c.get("/supervise/rounds")  # site N first: not there
        assert page.status_code == 200 and "Storm in T" not in page.text
        await c.post("/site", data={"site": "T", "_csrf_token": c.cookies["fc_csrf"]}, follow_redirects=False)
        page = await c.get("/supervise/rounds")
        assert page.status_code == 200 and "Storm in T" in page.text
        assert (await c.get(f"/supervise/rounds/emergencies/{em_id}")).status_code == 200
    finally:
        await c.__aexit__(None, None, None)


async def test_rounds_refuse_another_sites_zones_and_the_api_lists_the_current_site(
        database: Database, database_url: str, world: World) -> None:
    c = await client_of(database_url, "north")
    try:
        token = c.cookies["fc_csrf"]
        schedule = await c.post("/supervise/rounds/schedules", data={
            "zone": str(world.zones["Z1"]), "category": "seating", "kind": "every_days", "every_days": "7",
            "effective_from": "2026-01-01", "_csrf_token": token})
        assert schedule.status_code == 422
        emergency = await c.post("/supervise/rounds/emergencies", data={
            "zones": str(world.zones["Z1"]), "hours": "4", "reason": "Storm", "_csrf_token": token})
        assert emergency.status_code == 422
        state = await c.get("/api/rounds/state")
        assert state.status_code == 200 and state.json()["timezone"] == "Asia/Urumqi", state.text[:300]
    finally:
        await c.__aexit__(None, None, None)
    async with database.session() as s:
        from server.rounds.models import EmergencyRound, RoundSchedule

        assert (await s.execute(select(RoundSchedule))).first() is None
        assert (await s.execute(select(EmergencyRound))).first() is None


async def test_the_weekly_report_is_of_the_current_site_in_its_time_zone(database: Database, database_url: str,
                                                                       world: World) -> None:
    c = await client_of(database_url, "north")
    try:
        page = await c.get("/reports/week/2026-W47")
        assert page.status_code == 200 and "Asia/Urumqi" in page.text
        csv = await c.get("/reports/week/2026-W47/report.csv")
        assert csv.status_code == 200
    finally:
        await c.__aexit__(None, None, None)


async def test_the_weekly_reports_contractors_are_the_sites_own(database: Database, world: World) -> None:
    """An order has no site: it is the site's through its defects; a site's contractors are
    those with a contract in its zones."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from server.rounds.report import week_report

    async with database.session() as s:
        order = await service.issue_order(s, world.users["super"], [world.defects["Z1-SE-1"]])
        day = order.due_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
        monday = day - dt.timedelta(days=day.weekday())
        north = (await s.execute(select(Site.id).where(Site.code == "N"))).scalar_one()
        own = await week_report(s, monday, site_id=world.site)
        other = await week_report(s, monday, site_id=north)
        everywhere = await week_report(s, monday)
    assert own.contractors and sum(c.open_late for c in own.contractors) == 1
    assert other.contractors == []
    assert sum(c.open_late for c in everywhere.contractors) == 1


def test_the_cli_weekly_report_needs_a_site_when_there_are_several(database_url: str, world: World,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from server.__main__ import main
    from server.core.config import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        assert main(["report", "week", "2026-W48"]) == 2
        assert "--site" in capsys.readouterr().err
        assert main(["report", "week", "2026-W48", "--site", "NOPE"]) == 2
        assert "no site 'NOPE'" in capsys.readouterr().err
        assert main(["report", "week", "2026-W48", "--site", "N"]) == 0
        assert ",contractor," not in capsys.readouterr().out
        assert main(["report", "week", "2026-W48", "--site", "T"]) == 0
        assert ",contractor," in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
