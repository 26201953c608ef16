"""The demo loader: a realistic riverside site with three months of history, loaded once."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from shapely.geometry import Point, shape
from sqlalchemy import func, select

import standards
from server.accounts.models import Role, User, UserZone
from server.accounts.passwords import password_problem, verify_password
from server.assets.models import Asset
from server.core.audit.models import AuditEvent
from server.core.config import DatabaseSettings
from server.contractors.models import Contract, ContractCategory, Contractor, ContractZone
from server.core.db import Database
from server.defects.models import ACTIVE_STATUSES, DEFECT_STATUSES, Defect, DefectEvidence
from server.demo import DEMO_ACCOUNTS, build_demo, load_demo
from server.demo.orders import RESPONSE_TIMES, SEVERITY_RANK
from server.inspections.models import ClauseResult, Inspection
from server.models import metadata
from server.sites.models import Site, Zone
from server.workorders.models import WORK_ORDER_STATUSES, WorkOrder, WorkOrderDefect

TODAY = dt.date(2026, 11, 20)
TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime.combine(TODAY, dt.time(8, 0), tzinfo=TZ)
CATEGORIES = {
    "green_space", "heritage_tree", "tree_guard", "planter",
    "road_asphalt", "road_concrete", "sidewalk", "sculpture", "seating",
}
OPEN_ORDER = {"issued", "accepted", "in_progress", "returned"}


@pytest_asyncio.fixture(scope="module")
async def demo_database(database_factory):
    """A migrated, empty database of the run's backend, shared by this module."""
    url = await asyncio.to_thread(database_factory.fresh)
    db = Database.connect(DatabaseSettings(url=url))
    yield db
    await db.dispose()
    await asyncio.to_thread(database_factory.drop, url)


@pytest_asyncio.fixture(scope="module")
async def loaded(demo_database: Database):
    started = time.perf_counter()
    summary = await load_demo(demo_database, today=TODAY)
    return summary, time.perf_counter() - started


async def rows(db: Database, query):
    async with db.session(write=False) as s:
        return (await s.execute(query)).all()


async def table_counts(db: Database) -> dict[str, int]:
    async with db.session(write=False) as s:
        return {
            t.name: (await s.execute(select(func.count()).select_from(t))).scalar_one()
            for t in metadata.sorted_tables
        }


async def test_summary_counts_what_was_loaded(loaded, demo_database):
    summary, _seconds = loaded  # speed is a benchmark's business, not an assertion
    assert summary.already_loaded is False
    assert (summary.sites, summary.zones, summary.users, summary.contractors, summary.contracts) == (1, 5, 6, 2, 2)
    assert 280 <= summary.assets <= 320
    counts = await table_counts(demo_database)
    assert counts["assets"] == summary.assets
    assert counts["inspections"] == summary.inspections > 1500
    assert counts["defects"] == summary.defects > 50
    assert counts["work_orders"] == summary.work_orders > 20


async def test_site_and_zones_are_closed_polygons_along_the_river(loaded, demo_database):
    (site,), = await rows(demo_database, select(Site))
    assert (site.code, site.timezone) == ("RIVERSIDE", "Asia/Shanghai")
    assert site.name_zh == "青龙滨江绿带" and site.name_en == "Qinglong Riverside Green Belt"
    assert abs(site.center_lat - 32.1) < 0.05 and abs(site.center_lon - 118.7) < 0.05
    zones = [z for (z,) in await rows(demo_database, select(Zone).order_by(Zone.code))]
    assert [z.code for z in zones] == ["Z1", "Z2", "Z3", "Z4", "Z5"]
    polygons = []
    for z in zones:
        assert z.site_id == site.id and z.name_zh and z.name_en
        assert z.outline["type"] == "Polygon"
        ring = z.outline["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) >= 4
        assert all(118 < lon < 119.5 and 31.5 < lat < 32.5 for lon, lat in ring)  # [lon, lat] order
        polygon = shape(z.outline)
        assert polygon.is_valid
        assert (z.min_lon, z.min_lat, z.max_lon, z.max_lat) == pytest.approx(polygon.bounds)
        # A few hundred metres long: a bounding box diagonal between 200 m and 1 km.
        diagonal_m = ((z.max_lat - z.min_lat) * 110_900) ** 2 + ((z.max_lon - z.min_lon) * 94_300) ** 2
        assert 200 < diagonal_m ** 0.5 < 1000
        polygons.append(polygon)
    for i, a in enumerate(polygons):
        for b in polygons[i + 1:]:
            assert a.intersection(b).area == 0


async def test_assets_cover_all_categories_inside_their_zones(loaded, demo_database):
    found = await rows(demo_database, select(Asset, Zone.outline, Zone.code).join(Zone, Zone.id == Asset.zone_id))
    assert 280 <= len(found) <= 320
    by_category = Counter(a.category for a, _, _ in found)
    assert set(by_category) == CATEGORIES == set(standards.load_standards().for_date(TODAY).categories)
    assert by_category["seating"] > by_category["heritage_tree"] and by_category["green_space"] > 30
    assert 1 <= by_category["heritage_tree"] <= 15
    for asset, outline, zone_code in found:
        assert shape(outline).contains(Point(asset.lon, asset.lat)), asset.code
        assert re.fullmatch(rf"{zone_code}-[A-Z]{{2}}-\d{{3}}", asset.code)
        assert asset.active and asset.name and re.fullmatch(r"[0-9a-f]{16}", asset.qr_token)
    assert len({a.qr_token for a, _, _ in found}) == len({a.code for a, _, _ in found}) == len(found)


async def test_every_role_signs_in_with_its_demo_password(loaded, demo_database):
    users = {u.username: u for (u,) in await rows(demo_database, select(User))}
    companies = dict(await rows(demo_database, select(Contractor.id, Contractor.code)))
    assert {a.role for a in DEMO_ACCOUNTS} == {r.value for r in Role}
    for account in DEMO_ACCOUNTS:
        assert password_problem(account.password, account.username) is None
        user = users[account.username]
        assert verify_password(user.password_hash, account.password)
        assert not verify_password(user.password_hash, account.password + "x")
        assert (user.role, user.display_name, user.active) == (account.role, account.display_name, True)
        assert companies.get(user.contractor_id) == account.contractor_code
    covered = defaultdict(set)
    for username, code in await rows(
        demo_database, select(User.username, Zone.code).join(UserZone, UserZone.user_id == User.id)
        .join(Zone, Zone.id == UserZone.zone_id)
    ):
        covered[username].add(code)
    assert covered == {"inspector": {"Z1", "Z2", "Z3"}, "inspector2": {"Z3", "Z4", "Z5"}}


async def test_two_contractors_hold_contracts_over_different_zones(loaded, demo_database):
    contracts = {
        code: (contractor, c)
        for c, code, contractor in await rows(
            demo_database,
            select(Contract, Contract.code, Contractor.code).join(Contractor, Contractor.id == Contract.contractor_id),
        )
    }
    assert set(contracts) == {"C-GREEN-2026", "C-CIVIL-2026"}
    zones, categories = defaultdict(set), defaultdict(set)
    for code, zone in await rows(
        demo_database, select(Contract.code, Zone.code).join(ContractZone, ContractZone.contract_id == Contract.id)
        .join(Zone, Zone.id == ContractZone.zone_id)
    ):
        zones[code].add(zone)
    for code, category in await rows(
        demo_database, select(Contract.code, ContractCategory.category)
        .join(ContractCategory, ContractCategory.contract_id == Contract.id)
    ):
        categories[code].add(category)
    assert contracts["C-GREEN-2026"][0] == "GREEN" and contracts["C-CIVIL-2026"][0] == "CIVIL"
    assert zones == {"C-GREEN-2026": {"Z1", "Z2", "Z3"}, "C-CIVIL-2026": {"Z2", "Z3", "Z4", "Z5"}}
    assert categories["C-GREEN-2026"] == {"green_space", "heritage_tree", "tree_guard", "planter"}
    assert categories["C-CIVIL-2026"] == CATEGORIES - categories["C-GREEN-2026"]
    assert all(c.starts_on == dt.date(2026, 1, 1) for _, c in contracts.values())


async def test_inspections_span_three_months_by_inspectors_of_the_zone(loaded, demo_database):
    found = await rows(
        demo_database,
        select(Inspection, Asset.lat, Asset.lon, Zone.code, User.username)
        .join(Asset, Asset.id == Inspection.asset_id).join(Zone, Zone.id == Asset.zone_id)
        .join(User, User.id == Inspection.inspector_id),
    )
    months = Counter()
    per_asset_month = Counter()
    zones_of = {"inspector": {"Z1", "Z2", "Z3"}, "inspector2": {"Z3", "Z4", "Z5"}}
    for insp, lat, lon, zone, inspector in found:
        local = insp.observed_at.astimezone(TZ)
        months[(local.year, local.month)] += 1
        per_asset_month[(insp.asset_id, local.month)] += 1
        assert zone in zones_of[inspector]
        assert insp.device_id == {"inspector": "demo-phone-1", "inspector2": "demo-phone-2"}[inspector]
        assert 7 <= local.hour <= 18 and insp.observed_at < NOW
        assert insp.observed_at <= insp.received_at <= NOW
        assert 3 <= insp.accuracy_m <= 15
        assert abs(insp.lat - lat) * 110_900 < 60 and abs(insp.lon - lon) * 94_300 < 60
        assert re.fullmatch(r"[0-9a-f]{64}", insp.content_hash) and insp.id.version == 4
    assert set(months) == {(2026, 8), (2026, 9), (2026, 10), (2026, 11)}
    assert all(months[m] > 300 for m in [(2026, 8), (2026, 9), (2026, 10)])
    assert max(per_asset_month.values()) <= 3


async def test_verdicts_and_clause_results_are_the_engines(loaded, demo_database):
    stds = standards.load_standards()
    inspections = [i for (i,) in await rows(demo_database, select(Inspection).order_by(Inspection.observed_at))]
    categories = dict(await rows(demo_database, select(Asset.id, Asset.category)))
    results = defaultdict(dict)
    for inspection_id, clause_id, result in await rows(
        demo_database, select(ClauseResult.inspection_id, ClauseResult.clause_id, ClauseResult.result)
    ):
        results[inspection_id][clause_id] = result
    verdicts = Counter(i.verdict for i in inspections)
    assert set(verdicts) == {"compliant", "non_compliant", "undetermined"}
    assert 0.08 < verdicts["non_compliant"] / len(inspections) < 0.25  # mostly passing
    seen = Counter()
    for insp in inspections[::5]:
        case = {"category": categories[insp.asset_id], "observations": insp.observations,
                "defects": insp.damages, "not_applicable": insp.not_applicable}
        judged = standards.evaluate(stds.get(insp.standards_version), case)
        assert insp.verdict == {True: "compliant", False: "non_compliant", None: "undetermined"}[judged["compliant"]]
        assert results[insp.id] == judged["clauses"]
        seen.update(judged["clauses"].values())
    assert set(seen) == {"pass", "fail", "exempt", "n/a", "unknown"}


async def test_defects_follow_the_inspections(loaded, demo_database):
    defects = [d for (d,) in await rows(demo_database, select(Defect))]
    assert {d.status for d in defects} == set(DEFECT_STATUSES)
    active = Counter((d.asset_id, d.clause_id) for d in defects if d.status in ACTIVE_STATUSES)
    assert max(active.values()) == 1
    results = {(i, c): r for i, c, r in await rows(
        demo_database, select(ClauseResult.inspection_id, ClauseResult.clause_id, ClauseResult.result))}
    evidence = defaultdict(set)
    for defect_id, inspection_id in await rows(demo_database, select(DefectEvidence.defect_id, DefectEvidence.inspection_id)):
        evidence[defect_id].add(inspection_id)
    assets = {a.id: a for (a,) in await rows(demo_database, select(Asset))}
    stds = standards.load_standards().for_date(TODAY)
    for d in defects:
        asset = assets[d.asset_id]
        assert (d.zone_id, d.category, d.lat, d.lon) == (asset.zone_id, asset.category, asset.lat, asset.lon)
        assert d.severity == stds.clause(d.clause_id).severity
        assert d.respond_by == d.opened_at + RESPONSE_TIMES[d.severity]
        assert {d.opened_by_inspection_id, d.last_inspection_id} <= evidence[d.id]
        assert all(results[(i, d.clause_id)] == "fail" for i in evidence[d.id])
        if d.passed_inspection_id is not None:
            assert results[(d.passed_inspection_id, d.clause_id)] in ("pass", "exempt")
        assert (d.status == "dismissed") == (d.dismissed_reason is not None)
        assert (d.status in ("closed", "dismissed")) == (d.closed_at is not None)
    assert any(len(evidence[d.id]) > 1 for d in defects)
    assert any(d.passed_inspection_id is not None for d in defects)


async def test_work_orders_in_every_state_for_the_covering_contractor(loaded, demo_database):
    orders = {o.id: o for (o,) in await rows(demo_database, select(WorkOrder))}
    assert {o.status for o in orders.values()} == set(WORK_ORDER_STATUSES)
    supervisor = (await rows(demo_database, select(User.id).where(User.username == "supervisor")))[0][0]
    covers = defaultdict(set)
    for contract_id, zone_id, category in await rows(
        demo_database, select(Contract.id, ContractZone.zone_id, ContractCategory.category)
        .join(ContractZone).join(ContractCategory)
    ):
        covers[contract_id].add((zone_id, category))
    contractor_of = dict(await rows(demo_database, select(Contract.id, Contract.contractor_id)))
    linked = defaultdict(list)
    for order_id, defect in await rows(demo_database, select(WorkOrderDefect.work_order_id, Defect).join(Defect)):
        linked[order_id].append(defect)
    expected_defect_status = {"issued": "ordered", "accepted": "ordered", "in_progress": "ordered",
                              "returned": "ordered", "completed": "fixed", "verified": "closed"}
    latest_order_of = {}
    for o in sorted(orders.values(), key=lambda o: o.issued_at):
        for d in linked[o.id]:
            latest_order_of[d.id] = o
    for o in orders.values():
        assert re.fullmatch(r"WO-2026-\d{4}", o.code) and o.issued_by == supervisor
        assert contractor_of[o.contract_id] == o.contractor_id
        assert 1 <= len(linked[o.id]) <= 4
        assert all((d.zone_id, d.category) in covers[o.contract_id] for d in linked[o.id])
        worst = min((d.severity for d in linked[o.id]), key=SEVERITY_RANK.__getitem__)
        assert o.due_at == o.issued_at + RESPONSE_TIMES[worst]
        assert (o.completed_at is not None) == (o.status in ("completed", "verified"))
        assert (o.verified_at is not None) == (o.status == "verified")
        assert (o.cancel_reason is not None) == (o.status == "cancelled")
        if o.status == "returned":
            assert o.return_reason
        assert o.issued_at <= (o.completed_at or o.issued_at) <= (o.verified_at or o.completed_at or o.issued_at) < NOW
        for d in linked[o.id]:
            if latest_order_of[d.id] is o and o.status in expected_defect_status:
                assert d.status == expected_defect_status[o.status], (o.code, o.status, d.status)
            if d.status == "closed":
                assert orders[latest_order_of[d.id].id].status == "verified"
    codes = sorted(o.code for o in orders.values())
    assert codes == [f"WO-2026-{n:04d}" for n in range(1, len(codes) + 1)]
    overdue = [o for o in orders.values() if o.status in OPEN_ORDER and o.due_at < NOW]
    assert len(overdue) >= 3


async def test_one_audit_event_records_the_load(loaded, demo_database):
    events = await rows(demo_database, select(AuditEvent.action, AuditEvent.entity_type, AuditEvent.details))
    assert [(a, t) for a, t, _ in events] == [("demo.loaded", "site")]
    assert events[0][2]["counts"]["assets"] == loaded[0].assets


async def test_loading_twice_changes_nothing(loaded, demo_database):
    before = await table_counts(demo_database)
    again = await load_demo(demo_database, today=TODAY + dt.timedelta(days=3))
    assert again.already_loaded is True
    assert {k: v for k, v in vars(again).items() if k != "already_loaded"} == \
        {k: v for k, v in vars(loaded[0]).items() if k != "already_loaded"}
    assert await table_counts(demo_database) == before


def test_the_same_day_builds_the_same_rows():
    stds = standards.load_standards()
    first, second = build_demo(stds, TODAY), build_demo(stds, TODAY)
    assert first.rows == second.rows


@pytest.mark.parametrize("today", [dt.date(2026, 4, 1), dt.date(2026, 12, 31), dt.date(2027, 2, 15)])
def test_any_day_shows_every_order_status_and_recent_months(today):
    data = build_demo(standards.load_standards(), today)
    tables = {model.__tablename__: rows for model, rows in data.rows}
    assert {o["status"] for o in tables["work_orders"]} == set(WORK_ORDER_STATUSES)
    months = {i["observed_at"].astimezone(TZ).strftime("%Y-%m") for i in tables["inspections"]}
    last_three = {(today.replace(day=1) - dt.timedelta(days=31 * k - 15)).strftime("%Y-%m") for k in (1, 2, 3)}
    assert last_three <= months
    assert all(i["observed_at"].astimezone(TZ).date() < today for i in tables["inspections"])


async def test_an_existing_account_is_kept_not_duplicated(database: Database):
    """An administrator made at install time survives the demo load with its own password."""
    from server.accounts.passwords import hash_password

    db = database
    async with db.session() as s:
        s.add(User(username="admin", display_name="Installer", password_hash=hash_password("Installed-2026"),
                   role="admin"))
    summary = await load_demo(db, today=TODAY)
    assert summary.already_loaded is False and summary.users == 6
    (admin,), = await rows(db, select(User).where(User.username == "admin"))
    assert admin.display_name == "Installer" and verify_password(admin.password_hash, "Installed-2026")
    (event_user,), = await rows(db, select(AuditEvent.user_id))
    assert event_user == admin.id
    (created_by,), = await rows(db, select(func.count()).select_from(Asset).where(Asset.created_by == admin.id))
    assert created_by == summary.assets
