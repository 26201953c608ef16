"""Rounds through the app (Litestar client, SQLite and PostgreSQL), with the clock frozen:
schedules at /supervise/rounds, the due list and the bundle's rounds section, emergency
rounds, the missed-rounds job and its alerts, adherence on the score page, the weekly report."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import subprocess
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from server.accounts.models import UserZone
from server.assets.models import Asset
from server.core.audit.models import AuditEvent
from server.core.db import Database
from server.inspections.models import Inspection
from server.rounds import jobs as round_jobs
from server.rounds.models import MissedRound, RoundAlert, RoundSchedule
from tests.conftest import csrf_token, sign_in
from tests.factories import PASSWORD, add_site_with_asset, add_user

# 09:00 on Tuesday 1 December 2026 in Shanghai (01:00 UTC).
NOW = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    import server.rounds.controllers
    import server.rounds.jobs
    import server.rounds.service

    for module in (server.rounds.controllers, server.rounds.service, server.rounds.jobs):
        monkeypatch.setattr(module, "utcnow", lambda: NOW)
    return NOW


async def _world(database: Database) -> dict[str, Any]:
    ids = await add_site_with_asset(database)
    inspector = await add_user(database, "insp", "inspector")
    await add_user(database, "boss", "supervisor")
    async with database.session() as s:
        s.add(UserZone(user_id=inspector, zone_id=ids["zone"]))
        more = [Asset(zone_id=ids["zone"], category="seating", code=f"Z-{i}", name=f"Bench {i}", lat=32.105 + i * 1e-4,
                      lon=118.705, qr_token=f"qr-z-{i}") for i in (2, 3)]
        s.add_all(more)
        await s.flush()
        ids["assets"] = {"Z-1": ids["asset"], **{a.code: a.id for a in more}}
    ids["inspector"] = inspector
    return ids


async def _inspect(database: Database, asset_id: uuid.UUID, inspector: uuid.UUID, at: dt.datetime,
                   lat: float = 32.105, lon: float = 118.705) -> None:
    async with database.session() as s:
        s.add(Inspection(id=uuid.uuid4(), asset_id=asset_id, inspector_id=inspector, observed_at=at, received_at=at,
                         lat=lat, lon=lon, accuracy_m=5, observations={}, damages=[], not_applicable=[],
                         standards_version="2026-01-01", verdict="compliant", content_hash="0" * 64))


async def _post(client: AsyncTestClient, path: str, data: dict[str, Any]) -> Any:
    token = await csrf_token(client, "/supervise/rounds")
    return await client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)


async def _schedule(client: AsyncTestClient, zone: uuid.UUID, **form: Any) -> Any:
    return await _post(client, "/supervise/rounds/schedules", {"zone": str(zone), "category": "seating", **form})


async def test_a_supervisor_adds_versions_and_bad_input_is_a_422_naming_the_field(client: AsyncTestClient,
                                                                                  database: Database) -> None:
    w = await _world(database)
    await sign_in(client, "boss", PASSWORD)
    ok = await _schedule(client, w["zone"], kind="every_days", every_days="3", effective_from="2026-11-28")
    assert ok.status_code == 303
    again = await _schedule(client, w["zone"], kind="weekdays", weekdays=["1", "4"], effective_from="2026-12-07",
                            window_from="06:00", window_to="10:00")
    assert again.status_code == 303
    bad = [
        ({"kind": "every_days", "every_days": "0", "effective_from": "2026-12-10"}, "every_days"),
        ({"kind": "weekdays", "effective_from": "2026-12-10"}, "weekdays"),
        ({"kind": "monthly", "day_of_month": "32", "effective_from": "2026-12-10"}, "day_of_month"),
        ({"kind": "monthly", "day_of_month": "31", "effective_from": "2026-02-30"}, "effective_from"),
        ({"kind": "every_days", "every_days": "2", "effective_from": "2026-12-10", "window_from": "10:00",
          "window_to": "09:00"}, "window_to"),
        ({"kind": "every_days", "every_days": "2", "effective_from": "2026-12-10", "window_from": "25:00",
          "window_to": "26:00"}, "window_from"),
        ({"kind": "hourly", "effective_from": "2026-12-10"}, "kind"),
        ({"kind": "every_days", "every_days": "3", "effective_from": "2026-11-28"}, "effective_from"),  # taken
    ]
    for form, field in bad:
        answer = await _schedule(client, w["zone"], **form)
        assert answer.status_code == 422, (form, answer.status_code)
        assert f'data-error-field="{field}"' in answer.text, form
    client.headers["Accept-Language"] = "en"
    unknown = await _post(client, "/supervise/rounds/schedules", {"zone": str(uuid.uuid4()), "category": "seating",
                                                                   "kind": "off", "effective_from": "2026-12-10"})
    assert unknown.status_code == 422 and 'data-error-field="zone"' in unknown.text
    async with database.session() as s:
        rows = (await s.execute(select(RoundSchedule).order_by(RoundSchedule.effective_from))).scalars().all()
        assert [(r.kind, r.effective_from.isoformat(), r.window_from) for r in rows] == [
            ("every_days", "2026-11-28", None), ("weekdays", "2026-12-07", "06:00")]
        audited = (await s.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "round_schedule.created"))).scalar_one()
        assert audited == 2
    page = await client.get("/supervise/rounds")
    assert 'data-schedule="Z:seating:2026-11-28"' in page.text and 'data-schedule="Z:seating:2026-12-07"' in page.text


async def test_inspectors_may_not_edit_schedules(client: AsyncTestClient, database: Database) -> None:
    await _world(database)
    await sign_in(client, "insp", PASSWORD)
    assert (await client.get("/supervise/rounds")).status_code == 403


async def test_the_due_list_and_the_bundle_agree(client: AsyncTestClient, database: Database) -> None:
    w = await _world(database)
    await sign_in(client, "boss", PASSWORD)
    assert (await _schedule(client, w["zone"], kind="every_days", every_days="3", effective_from="2026-11-28")).status_code == 303
    # Round of 28 Nov – 30 Nov ended; today (1 Dec, Shanghai) a new one starts. 23:30 UTC on
    # 30 Nov is 07:30 on 1 Dec in Shanghai: it counts for today's round.
    await _inspect(database, w["assets"]["Z-2"], w["inspector"], dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.timezone.utc))
    await _inspect(database, w["assets"]["Z-3"], w["inspector"], dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.timezone.utc))
    client.cookies.clear()
    await sign_in(client, "insp", PASSWORD)
    due = (await client.get("/api/rounds/due", params={"lat": "32.1053", "lon": "118.705"})).json()
    assert due["today"] == "2026-12-01"
    assert due["counts"] == {"emergency": 0, "due_today": 2, "overdue": 0, "done": 1, "left": 2}
    assert [(i["code"], i["state"]) for i in due["items"]] == [("Z-3", "due_today"), ("Z-1", "due_today"), ("Z-2", "done")]
    bundle = (await client.get("/api/offline/bundle")).json()
    rounds = bundle["rounds"]
    assert rounds["timezone"] == "Asia/Shanghai"
    assert [s["every_days"] for s in rounds["schedules"]] == [3]
    assert len(rounds["inspections"]) == 2
    from server.rounds.due import due_list

    offline = due_list({**rounds, "now": NOW.isoformat(), "position": {"lat": 32.1053, "lon": 118.705},
                        "assets": bundle["assets"]})
    assert offline == due
    bad = await client.get("/api/rounds/due", params={"lat": "91", "lon": "0"})
    assert bad.status_code == 422 and bad.json()["field"] == "lat"


async def test_an_emergency_round_goes_first_is_tracked_and_closed(client: AsyncTestClient, database: Database) -> None:
    w = await _world(database)
    await sign_in(client, "boss", PASSWORD)
    refused = await _post(client, "/supervise/rounds/emergencies", {"zones": [str(w["zone"])], "hours": "0", "reason": "storm"})
    assert refused.status_code == 422 and 'data-error-field="hours"' in refused.text
    refused = await _post(client, "/supervise/rounds/emergencies", {"zones": [str(w["zone"])], "hours": "6", "reason": " "})
    assert refused.status_code == 422 and 'data-error-field="reason"' in refused.text
    started = await _post(client, "/supervise/rounds/emergencies",
                          {"zones": [str(w["zone"])], "categories": ["seating"], "hours": "6", "reason": "台风过境 typhoon"})
    assert started.status_code == 303
    em_path = started.headers["location"]
    await _inspect(database, w["assets"]["Z-1"], w["inspector"], NOW)  # the clock stands still: at the start
    page = await client.get(em_path)
    assert page.status_code == 200
    assert 'data-done="1" data-total="3"' in page.text
    assert page.text.count('data-state="done"') == 2  # the dot on the map and the row
    assert '<svg class="rounds-map"' in page.text
    client.cookies.clear()
    await sign_in(client, "insp", PASSWORD)
    due = (await client.get("/api/rounds/due")).json()
    assert [(i["code"], i["state"]) for i in due["items"]] == [("Z-2", "emergency"), ("Z-3", "emergency"), ("Z-1", "done")]
    state = (await client.get("/api/rounds/state")).json()
    assert [e["reason"] for e in state["emergencies"]] == ["台风过境 typhoon"]
    client.cookies.clear()
    await sign_in(client, "boss", PASSWORD)
    closed = await _post(client, f"{em_path}/close", {})
    assert closed.status_code == 303
    page = await client.get(em_path)
    assert 'id="emergency-summary"' in page.text and "Z-2, Z-3" in page.text
    again = await _post(client, f"{em_path}/close", {})
    assert again.status_code == 409
    client.cookies.clear()
    await sign_in(client, "insp", PASSWORD)
    assert (await client.get("/api/rounds/state")).json()["emergencies"] == []


async def test_the_missed_round_job_marks_once_across_workers_and_alerts(client: AsyncTestClient,
                                                                         database: Database) -> None:
    w = await _world(database)
    await sign_in(client, "boss", PASSWORD)
    await _schedule(client, w["zone"], kind="monthly", day_of_month="31", effective_from="2026-10-01")
    # Rounds: 31 Oct – 29 Nov (ended), 30 Nov – 30 Dec (day 31 in November is the 30th; open).
    for code in ("Z-1", "Z-2"):
        await _inspect(database, w["assets"][code], w["inspector"], dt.datetime(2026, 11, 10, 2, 0, tzinfo=dt.timezone.utc))
    results = await asyncio.gather(*(round_jobs.run_missed(database) for _ in range(3)))
    marked = [r for r in results if r]
    assert len(marked) == 1 and [(m["round_start"], m["round_end"], m["missed"]) for m in marked[0]] == [
        ("2026-10-31", "2026-11-29", 1)]
    assert [r for r in results if r is None] == [None, None]
    assert await round_jobs.run_missed(database, force=True) == []  # marked once only
    async with database.session() as s:
        missed = (await s.execute(select(MissedRound))).scalars().all()
        assert [(m.due, m.done, m.missed_asset_ids) for m in missed] == [(3, 2, [str(w["assets"]["Z-3"])])]
        assert (await s.execute(select(func.count()).select_from(RoundAlert))).scalar_one() == 1
    page = await client.get("/supervise/rounds")
    assert 'data-missed="Z:seating:2026-10-31"' in page.text
    assert '<span class="badge" data-unread>1</span>' in page.text
    # The notifications page lists it beside the work-order notices; "mark all read" clears both.
    notices = await client.get("/supervise/notifications")
    assert 'id="round-alerts" data-unread="1"' in notices.text
    assert '<li class="notice unread" data-kind="missed">' in notices.text
    assert "漏检：片区 Z，2026-10-31 – 2026-11-29，3 个中 1 个未检" in notices.text
    read = await client.post("/supervise/notifications/read", data={"_csrf_token": client.cookies["fc_csrf"]},
                             follow_redirects=False)
    assert read.status_code == 303
    notices = await client.get("/supervise/notifications")
    assert 'id="round-alerts" data-unread="0"' in notices.text and '<li class="notice " data-kind="missed">' in notices.text
    assert '<span class="badge" data-unread>0</span>' in (await client.get("/supervise/rounds")).text


async def test_adherence_and_the_weekly_report(client: AsyncTestClient, database: Database, tmp_path: Any) -> None:
    w = await _world(database)
    await sign_in(client, "boss", PASSWORD)
    await _schedule(client, w["zone"], kind="weekdays", weekdays=["1"], effective_from="2026-11-16")
    # Week 2026-W48: Mon 23 – Sun 29 Nov (Shanghai). The round of Mon 16 Nov ended on Sun 22;
    # the round of 23 Nov ended on 29 Nov: in the week, 3 assets due, 2 done by the inspector.
    utc = dt.timezone.utc
    await _inspect(database, w["assets"]["Z-1"], w["inspector"], dt.datetime(2026, 11, 24, 1, 0, tzinfo=utc), 32.1, 118.7)
    await _inspect(database, w["assets"]["Z-2"], w["inspector"], dt.datetime(2026, 11, 24, 2, 0, tzinfo=utc), 32.101, 118.7)
    # 16:30 UTC on Sunday 29 Nov is Monday 30 Nov in Shanghai: outside the week.
    await _inspect(database, w["assets"]["Z-3"], w["inspector"], dt.datetime(2026, 11, 29, 16, 30, tzinfo=utc))
    page = await client.get("/reports/week/2026-W48")
    assert page.status_code == 200
    answer = await client.get("/reports/week/2026-W48/report.csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    insp = next(r for r in rows if r["section"] == "inspector" and r["name"] == "Insp")
    assert (insp["assets_inspected"], insp["inspections"], insp["rounds_due"], insp["rounds_done"]) == ("2", "2", "3", "2")
    assert 105 <= int(insp["distance_walked_m"]) <= 117  # 0.001° of latitude ≈ 111 m
    assert (await client.get("/reports/week/2026-W60")).status_code == 422
    pdf = await client.get("/reports/week/2026-W48/report.pdf")
    # The CJK font is a test dependency (`make test-deps`): without it the 503 fails here, never passes.
    assert pdf.status_code == 200, pdf.text[:300]
    assert pdf.content.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert "2026-W48" in text and "Insp" in text  # the week and the inspector of the CSV above
    scores = await client.get("/scores/2026-11")
    assert scores.status_code == 200
    assert 'id="adherence"' in scores.text and '<tr data-name="Z"><th scope="row">Z</th><td>6</td><td>2</td>' in scores.text
    redirect = await client.get("/reports/week", follow_redirects=False)
    assert redirect.status_code == 303 and redirect.headers["location"] == "/reports/week/2026-W49"


def test_the_cli_prints_the_weekly_report(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from server.__main__ import main
    from server.core.config import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    assert main(["report", "week", "2026-W48"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("week,section,code,name,assets_inspected")
    assert main(["report", "week", "2026-48"]) == 2
