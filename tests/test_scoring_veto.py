"""The safety veto's worked example (docs/scoring.md), built in a real database and checked cell by cell.

Month January 2027 under rule 2027.1 (the shipped rule with the veto). Times are set
explicitly, so the test holds on any day.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from server.accounts.models import User
from server.assets.models import Asset
from server.contractors.models import Contract, ContractCategory, Contractor, ContractZone
from server.core.db import Database
from server.defects.models import Defect
from server.scoring import formatting as fmt
from server.scoring.months import Month
from server.scoring.rules import load_rules
from server.scoring.service import close_month, month_report
from server.sites.models import Site, UserSite, Zone
from standards import StandardsFileError, load_standards
from tests.conftest import sign_in
from tests.factories import PASSWORD
from tests.test_scoring_example import add_inspection, local, square

MONTH = Month(2027, 1)
AFTER = dt.datetime(2027, 2, 15, tzinfo=dt.timezone.utc)
DOCS = Path(__file__).resolve().parent.parent / "docs" / "scoring.md"

# (name, asset, clause, severity, due, closed, status) — the document's defect table.
DEFECTS = [
    ("D1", "P1", "PL-2", "urgent", local("2026-12-31"), local("2027-01-03", "09:00"), "closed"),
    ("D2", "P2", "PL-1", "normal", local("2027-01-10"), None, "open"),
    ("D3", "G1", "GS-8", "high", local("2027-01-12"), None, "open"),
    ("D4", "P2", "PL-2", "urgent", local("2027-01-21"), local("2027-01-21", "09:00"), "closed"),
    ("D5", "G1", "GS-8", "urgent", local("2027-01-15"), local("2027-01-20"), "dismissed"),
    ("D6", "P2", "PL-2", "urgent", local("2027-02-01", "00:30"), None, "open"),
    ("D7", "P1", "PL-2", "urgent", local("2026-12-20"), local("2026-12-31", "23:00"), "closed"),
]


async def build_veto_example(db: Database) -> dict[str, uuid.UUID]:
    ids: dict[str, uuid.UUID] = {}
    password = PasswordHasher().hash(PASSWORD)
    async with db.session() as s:
        site = Site(code="VET", name_zh="否决示例", name_en="Veto example", timezone="Asia/Shanghai",
                    center_lat=32.1, center_lon=118.7)
        s.add(site)
        await s.flush()
        for code, lon in (("A", 118.70), ("B", 118.71)):
            zone = Zone(site_id=site.id, code=code, name_zh=f"{code}区", name_en=f"Zone {code}",
                        outline=square(lon, 32.1), min_lat=32.1, min_lon=lon, max_lat=32.104, max_lon=lon + 0.004)
            s.add(zone)
            await s.flush()
            ids[f"zone {code}"] = zone.id
        for username, role in (("boss", "supervisor"), ("li", "inspector")):
            user = User(username=username, display_name=username.title(), password_hash=password, role=role)
            s.add(user)
            await s.flush()
            s.add(UserSite(user_id=user.id, site_id=site.id))  # people see only their sites' scores
            ids[username] = user.id
        for code, category in (("CIVIL", "planter"), ("GREEN", "green_space")):
            company = Contractor(code=code, name=f"{code} Ltd")
            s.add(company)
            await s.flush()
            contract = Contract(code=f"C-{code}", contractor_id=company.id, name=code, starts_on=dt.date(2026, 1, 1))
            s.add(contract)
            await s.flush()
            s.add_all([ContractZone(contract_id=contract.id, zone_id=ids["zone A"]),
                       ContractZone(contract_id=contract.id, zone_id=ids["zone B"]),
                       ContractCategory(contract_id=contract.id, category=category)])
        for code, zone, category in (("P1", "A", "planter"), ("P2", "A", "planter"), ("G1", "B", "green_space")):
            asset = Asset(zone_id=ids[f"zone {zone}"], category=category, code=code, name=f"Asset {code}",
                          lat=32.102, lon=118.702, qr_token=f"qr-{code}", active=True, created_at=local("2026-06-01"))
            s.add(asset)
            await s.flush()
            ids[code] = asset.id
        # The December inspections that opened the defects, then January's compliant ones.
        for code in ("P1", "P2", "G1"):
            ids[f"{code} dec"] = await add_inspection(s, ids[code], ids["li"], local("2026-12-01"), "non_compliant",
                                                      {"pass": 2, "fail": 1})
        for code, day in (("P1", "2027-01-05"), ("P2", "2027-01-06"), ("G1", "2027-01-07")):
            await add_inspection(s, ids[code], ids["li"], local(day), "compliant", {"pass": 3})
        for name, asset, clause, severity, due, closed, status in DEFECTS:
            zone = "B" if asset == "G1" else "A"
            defect = Defect(asset_id=ids[asset], zone_id=ids[f"zone {zone}"],
                            category="green_space" if asset == "G1" else "planter", clause_id=clause,
                            severity=severity, status=status, lat=32.102, lon=118.702,
                            opened_at=due - dt.timedelta(hours=24), respond_by=due,
                            opened_by_inspection_id=ids[f"{asset} dec"], last_inspection_id=ids[f"{asset} dec"],
                            closed_at=closed, dismissed_reason="duplicate" if status == "dismissed" else None)
            s.add(defect)
            await s.flush()
            ids[name] = defect.id
    return ids


async def _report(db: Database, **kwargs: Any) -> Any:
    async with db.session(write=False) as s:
        site = (await s.execute(select(Site).where(Site.code == "VET"))).scalar_one()
        return await month_report(s, site, MONTH, load_standards(), load_rules(), now=AFTER, **kwargs)


def documented() -> dict[str, dict[str, str]]:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("<!-- veto-example-results -->", 1)[1].split("<!-- /veto-example-results -->", 1)[0]
    lines = [line.strip() for line in section.strip().splitlines() if line.strip().startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return {cells[0].strip("`"): dict(zip(header, cells))
            for cells in ([c.strip() for c in line.strip("|").split("|")] for line in lines[2:])}


async def test_the_veto_example_reproduces_the_document(database: Database) -> None:
    ids = await build_veto_example(database)
    names = {str(v): k for k, v in ids.items()}
    report = await _report(database)
    assert report.rule.version == "2027.1" and report.rule.veto is not None
    rows = documented()
    assert set(rows) == {"site", "zone:A", "zone:B", "contractor:CIVIL", "contractor:GREEN",
                         "category:planter", "category:green_space"}
    for scope, row in rows.items():
        f = report.get(scope)
        assert f is not None, scope
        band = f.band_payment_pct if f.band_payment_pct is not None else f.payment_pct
        shown = {
            "score": fmt.score(f.score),
            "band": fmt.payment(band),
            "vetoed by": ", ".join(names[d] for d, *_ in f.vetoed_by) or "—",
            "payment": fmt.payment(f.payment_pct),
        }
        for column, value in shown.items():
            assert row[column] == value, (scope, column, row[column], value)
        assert ("safety_veto" in f.notes) == bool(f.vetoed_by)


async def test_the_first_rule_has_no_veto_and_says_whose_numbers_these_are() -> None:
    rules = load_rules()
    first = rules.get("2026.1")
    assert first.veto is None and first.origin == "operator"
    assert "考核与付款" not in first.source["zh"]  # a section the source text does not have
    assert "默认" in first.source["zh"] and "default" in first.source["en"]
    assert rules.get("2027.1").origin == "operator"


async def test_page_and_api_show_the_veto_and_why(client: AsyncTestClient, database: Database) -> None:
    ids = await build_veto_example(database)
    # The month is closed as of 2027-02-15, so the pages show it as then, whatever today is.
    async with database.session() as s:
        site = (await s.execute(select(Site).where(Site.code == "VET"))).scalar_one()
        await close_month(s, site, MONTH, load_standards(), load_rules(), ids["boss"], now=AFTER)
    await sign_in(client, "boss", PASSWORD)
    page = await client.get("/scores/2027-01?site=VET", headers={"Accept-Language": "en"})
    assert page.status_code == 200, page.text
    html = BeautifulSoup(page.text, "html.parser")
    veto = html.select_one("#veto-applied")
    assert veto is not None and veto["data-capped"] == "yes"
    assert "70 %" in veto.get_text() and "100 %" in veto.get_text()
    [item] = veto.select("li")
    assert item["data-defect"] == str(ids["D1"]) and "PL-2" in item.get_text()
    assert "2026-12-31 10:00" in item.get_text()
    assert html.select_one(f'a[href="/supervise/defects/{ids["D1"]}"]') is not None
    origin = html.select_one("#rule-origin")
    assert origin is not None and "operator's defaults" in origin.get_text() and "RESPONSE_TIMES" in origin.get_text()
    assert html.select_one("#veto-rule") is not None
    zh = await client.get("/scores/2027-01?site=VET", headers={"Accept-Language": "zh-CN"})
    assert "安全一票否决" in zh.text and "运营方默认值" in zh.text

    body = (await client.get("/api/scores?month=2027-01&site=VET")).json()
    scores = {s["scope"]: s for s in body["scores"]}
    assert scores["site"]["payment_pct"] == 70 and scores["site"]["band_payment_pct"] == 100
    assert [v[:3] for v in scores["site"]["vetoed_by"]] == [[str(ids["D1"]), "PL-2", "urgent"]]
    assert scores["zone:B"]["vetoed_by"] == [] and scores["zone:B"]["payment_pct"] == 100
    assert body["rule"]["origin"] == "operator" and body["rule"]["veto"]["max_payment_pct"] == 70


async def test_a_closed_month_keeps_its_veto(database: Database) -> None:
    ids = await build_veto_example(database)
    async with database.session() as s:
        site = (await s.execute(select(Site).where(Site.code == "VET"))).scalar_one()
        await close_month(s, site, MONTH, load_standards(), load_rules(), ids["boss"], now=AFTER)
    # Reopening D1's story afterwards (say it is found closed in time) does not move the frozen month.
    async with database.session() as s:
        defect = await s.get(Defect, ids["D1"])
        assert defect is not None
        defect.closed_at = local("2026-12-30")
    frozen = await _report(database, with_data=True)
    assert frozen.closing is not None
    assert frozen.get("site").payment_pct == 70 and frozen.get("site").vetoed_by[0][0] == str(ids["D1"])
    assert [v.defect_id for v in frozen.data.vetoes] == [str(ids["D1"])]
    live = await _report(database, live=True)
    assert live.get("site").payment_pct == 100 and live.get("site").vetoed_by == ()


SECOND_RULE = (Path(__file__).resolve().parent.parent / "standards" / "scoring" / "2027-01-01.yaml").read_text(
    encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "key", "detail"), [
    ("  max_payment_pct: 70", "  max_payment_pct: 100", "veto.max_payment_pct", "caps nothing"),
    ("  severities: [urgent]", "  severities: [dire]", "veto.severities[0]", "'dire' is not one of"),
    ("  clauses: [PL-2, RL-1, RL-2, PE-1, PE-2, SL-2]\n  severities: [urgent]", "  clauses: []", "veto",
     "could never apply"),
    ("  max_payment_pct: 70", "  max_payment_pct: 70\n  colour: red", "veto.colour", "unknown key 'colour'"),
    ("origin: operator", "origin: lawyer", "origin", "'lawyer' is not one of"),
])
def test_bad_veto_is_refused_naming_file_line_and_key(tmp_path: Path, old: str, new: str, key: str,
                                                      detail: str) -> None:
    assert old in SECOND_RULE
    folder = tmp_path / "scoring"
    folder.mkdir()
    (folder / "2027-01-01.yaml").write_text(SECOND_RULE.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(StandardsFileError) as refused:
        load_rules(folder)
    assert refused.value.key == key and detail in refused.value.detail, str(refused.value)
    assert refused.value.path.endswith("2027-01-01.yaml") and refused.value.line
