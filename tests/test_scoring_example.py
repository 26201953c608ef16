"""The worked example of docs/scoring.md, built in a real database and scored to the digit.

`build_example` writes exactly the records the document lists (site RIV, zones A and B,
March 2026 in Asia/Shanghai); the tests below check every number the document states.
Other scoring tests import it for the edge cases around it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from server.accounts.models import User
from server.assets.models import Asset
from server.contractors.models import Contract, ContractCategory, Contractor, ContractZone
from server.core.db import Database
from server.defects.models import Defect
from server.inspections.models import ClauseResult, Inspection
from server.scoring.months import Month
from server.scoring.rules import load_rules
from server.scoring.service import month_report
from server.sites.models import Site, UserSite, Zone
from server.workorders.models import WorkOrder, WorkOrderDefect
from standards import load_standards
from tests.factories import PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH = Month(2026, 3)
AFTER = dt.datetime(2026, 4, 15, tzinfo=dt.timezone.utc)  # "now" for the tests: the month is over
DOCS = Path(__file__).resolve().parent.parent / "docs" / "scoring.md"


def local(day: str, clock: str = "10:00") -> dt.datetime:
    """A time on the site's clock ("2026-03-31", "23:59"), as an aware datetime."""
    return dt.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SHANGHAI)


def square(lon: float, lat: float, size: float = 0.004) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


class Example:
    """Ids of what build_example wrote, by the names the document uses."""

    def __init__(self) -> None:
        self.ids: dict[str, uuid.UUID] = {}

    def __getitem__(self, name: str) -> uuid.UUID:
        return self.ids[name]


async def build_example(db: Database) -> Example:
    """The records of the worked example (docs/scoring.md, "A worked example")."""
    ex = Example()
    ids = ex.ids
    from argon2 import PasswordHasher

    password = PasswordHasher().hash(PASSWORD)
    async with db.session() as s:
        site = Site(code="RIV", name_zh="滨河绿带", name_en="Riverside belt", timezone="Asia/Shanghai",
                    center_lat=32.1, center_lon=118.7)
        s.add(site)
        await s.flush()
        ids["site"] = site.id
        for code, name_zh, name_en, lon in (("A", "甲区", "Zone A", 118.70), ("B", "乙区", "Zone B", 118.71)):
            zone = Zone(site_id=site.id, code=code, name_zh=name_zh, name_en=name_en, outline=square(lon, 32.1),
                        min_lat=32.1, min_lon=lon, max_lat=32.104, max_lon=lon + 0.004)
            s.add(zone)
            await s.flush()
            ids[f"zone {code}"] = zone.id
        for code in ("CIVIL", "GREEN"):
            company = Contractor(code=code, name=f"{code} Ltd")
            s.add(company)
            await s.flush()
            ids[code] = company.id
        for username, role, company in (("admin", "admin", None), ("boss", "supervisor", None),
                                        ("li", "inspector", None), ("civil", "contractor", "CIVIL"),
                                        ("green", "contractor", "GREEN")):
            user = User(username=username, display_name=username.title(), password_hash=password, role=role,
                        contractor_id=ids[company] if company else None)
            s.add(user)
            await s.flush()
            if role != "admin":
                s.add(UserSite(user_id=user.id, site_id=site.id))
            ids[username] = user.id
        for code, company, category in (("C-CIVIL", "CIVIL", "seating"), ("C-GREEN", "GREEN", "green_space")):
            contract = Contract(code=code, contractor_id=ids[company], name=code, starts_on=dt.date(2026, 1, 1))
            s.add(contract)
            await s.flush()
            s.add_all([ContractZone(contract_id=contract.id, zone_id=ids["zone A"]),
                       ContractZone(contract_id=contract.id, zone_id=ids["zone B"]),
                       ContractCategory(contract_id=contract.id, category=category)])
            ids[code] = contract.id
        created = local("2026-01-05")
        for n, category, active in ((1, "seating", True), (2, "seating", True), (3, "seating", True),
                                    (4, "seating", True), (5, "green_space", True), (6, "green_space", True),
                                    (7, "seating", False)):
            asset = Asset(zone_id=ids["zone A"], category=category, code=f"A{n}", name=f"Asset A{n}",
                          lat=32.102, lon=118.702, qr_token=f"qr-a{n}", active=active, created_at=created)
            s.add(asset)
            await s.flush()
            ids[f"A{n}"] = asset.id
        # (asset, local day, local clock, verdict, {result: count}) — the document's table.
        inspections = [
            ("A1", "2026-03-01", "00:01", "non_compliant", {"pass": 3, "fail": 2}),
            ("A1", "2026-03-20", "09:30", "compliant", {"pass": 4, "exempt": 1}),
            ("A2", "2026-03-10", "10:15", "non_compliant", {"pass": 3, "fail": 2}),
            ("A3", "2026-03-31", "23:59", "compliant", {"pass": 5}),
            ("A4", "2026-02-28", "23:59", "compliant", {"pass": 5}),
            ("A4", "2026-04-01", "00:01", "non_compliant", {"pass": 4, "fail": 1}),
            ("A5", "2026-03-15", "14:00", "undetermined", {"pass": 2, "unknown": 2, "n/a": 1}),
            ("A6", "2026-03-16", "14:20", "compliant", {"pass": 4, "n/a": 1}),
            ("A7", "2026-03-05", "08:40", "compliant", {"pass": 5}),
        ]
        for asset, day, clock, verdict, results in inspections:
            ids[f"{asset} {day} {clock}"] = await add_inspection(s, ids[asset], ids["li"], local(day, clock), verdict,
                                                                 results)
        # (code, due, status, completed, contractor) — the document's order table.
        orders = [
            ("WO-1", local("2026-03-10", "17:00"), "verified", local("2026-03-09", "15:00")),
            ("WO-2", local("2026-03-18", "17:00"), "completed", local("2026-03-18", "17:00")),
            ("WO-3", local("2026-03-25", "12:00"), "completed", local("2026-03-24", "11:00")),
            ("WO-4", local("2026-03-28", "17:00"), "in_progress", None),
            ("WO-5", local("2026-03-30", "17:00"), "returned", None),
            ("WO-6", local("2026-03-20", "17:00"), "cancelled", None),
            ("WO-7", local("2026-04-01", "00:30"), "issued", None),
        ]
        opening = ids["A2 2026-03-10 10:15"]
        for n, (code, due, status, completed) in enumerate(orders, start=1):
            ids[code] = await add_order(s, code, ids["C-CIVIL"], ids["CIVIL"], ids["boss"], due, status, completed,
                                        asset_id=ids["A2"], zone_id=ids["zone A"], category="seating",
                                        clause=f"SE-{n}", inspection_id=opening)
    return ex


async def add_inspection(s: Any, asset_id: uuid.UUID, inspector_id: uuid.UUID, at: dt.datetime, verdict: str,
                         results: dict[str, int]) -> uuid.UUID:
    """One inspection with `results` clause results (counts per result)."""
    inspection_id = uuid.uuid4()
    s.add(Inspection(
        id=inspection_id, asset_id=asset_id, inspector_id=inspector_id, device_id="test", observed_at=at,
        received_at=at + dt.timedelta(minutes=5), observations={}, damages=[], not_applicable=[], notes="",
        standards_version="2026.1", verdict=verdict,
        content_hash=hashlib.sha256(str(inspection_id).encode()).hexdigest(),
    ))
    await s.flush()
    n = 0
    for result, count in results.items():
        for _ in range(count):
            n += 1
            s.add(ClauseResult(inspection_id=inspection_id, clause_id=f"C-{n}", result=result))
    await s.flush()
    return inspection_id


async def add_order(s: Any, code: str, contract_id: uuid.UUID, contractor_id: uuid.UUID, issued_by: uuid.UUID,
                    due: dt.datetime, status: str, completed: dt.datetime | None, *, asset_id: uuid.UUID,
                    zone_id: uuid.UUID, category: str, clause: str, inspection_id: uuid.UUID) -> uuid.UUID:
    """A work order on one new defect of the asset."""
    defect = Defect(asset_id=asset_id, zone_id=zone_id, category=category, clause_id=clause, severity="normal",
                    status="ordered", lat=32.102, lon=118.702, opened_at=due - dt.timedelta(days=7),
                    respond_by=due, opened_by_inspection_id=inspection_id, last_inspection_id=inspection_id)
    s.add(defect)
    await s.flush()
    order = WorkOrder(code=code, contract_id=contract_id, contractor_id=contractor_id, status=status,
                      issued_at=due - dt.timedelta(days=6), issued_by=issued_by, due_at=due, completed_at=completed,
                      cancel_reason="issued in error" if status == "cancelled" else None,
                      return_reason="still broken" if status == "returned" else None)
    s.add(order)
    await s.flush()
    s.add(WorkOrderDefect(work_order_id=order.id, defect_id=defect.id))
    await s.flush()
    return order.id


async def score_example(db: Database, now: dt.datetime = AFTER) -> Any:
    async with db.session(write=False) as s:
        site = (await s.get(Site, (await _site_id(s))))
        assert site is not None
        return await month_report(s, site, MONTH, load_standards(), load_rules(), now=now, with_data=True)


async def _site_id(s: Any) -> uuid.UUID:
    from sqlalchemy import select

    return (await s.execute(select(Site.id).where(Site.code == "RIV"))).scalar_one()


# -- the document's numbers --------------------------------------------------------------------

def documented_results() -> dict[str, dict[str, str]]:
    """The results table of docs/scoring.md: {scope: {column: text}} (so the doc is what is tested)."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("<!-- worked-example-results -->", 1)[1].split("<!-- /worked-example-results -->", 1)[0]
    lines = [line.strip() for line in section.strip().splitlines() if line.strip().startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = dict(zip(header, cells))
    return rows


async def test_the_worked_example_reproduces_the_document_exactly(database: Database) -> None:
    await build_example(database)
    report = await score_example(database)
    documented = documented_results()
    assert set(documented) == {"site", "zone:A", "zone:B", "contractor:CIVIL", "contractor:GREEN",
                               "category:seating", "category:green_space"}
    from server.scoring import formatting as fmt

    for scope, row in documented.items():
        f = report.get(scope)
        assert f is not None, scope
        shown = {
            "coverage": f"{f.inspected}/{f.assets} = {fmt.percent(f.coverage)}" if f.assets else "undefined",
            "compliance": f"{f.compliant}/{f.inspected} = {fmt.percent(f.compliance)}" if f.inspected else "undefined",
            "clause pass rate": (f"{f.clause_pass + f.clause_exempt}/{f.clause_pass + f.clause_exempt + f.clause_fail}"
                                 f" = {fmt.percent(f.clause_pass_rate)}") if f.clause_pass_rate is not None
            else "undefined",
            "timeliness": "1 (no orders due)" if "no_orders_due" in f.notes
            else f"{f.orders_on_time}/{f.orders_due} = {fmt.percent(f.timeliness)}",
            "score": fmt.score(f.score) if f.score is not None else "not scored",
            "payment": fmt.payment(f.payment_pct),
        }
        for column, value in shown.items():
            assert row[column] == value, (scope, column, row[column], value)


async def test_the_worked_example_exact_values(database: Database) -> None:
    """The same numbers as fractions: nothing is lost to floating point on the way."""
    await build_example(database)
    report = await score_example(database)
    site = report.get("site")
    assert site is not None
    assert (site.coverage, site.compliance, site.timeliness) == (Fraction(5, 6), Fraction(3, 5), Fraction(3, 5))
    assert site.clause_pass_rate == Fraction(19, 21)
    assert site.score == Fraction(635, 10) and site.payment_pct == 80
    civil = report.get("contractor:CIVIL")
    assert civil is not None
    # 66.25 exactly, rounded half up to 66.3 (the same sum in floats is 66.24999999999999 → 66.2)
    assert civil.score == Fraction(663, 10)
    assert (civil.orders_on_time, civil.orders_late, civil.orders_late_open, civil.orders_cancelled) == (3, 2, 2, 1)
    assert report.rule.version == "2026.1" and report.standards_version == "2026.1"


async def test_the_document_shows_the_arithmetic_for_the_site() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert re.search(r"0\.60 × 3/5 \+ 0\.25 × 3/5 \+ 0\.15 × 5/6", text)
    assert "63.5" in text and "66.25" in text and "66.3" in text
