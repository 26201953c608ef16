"""Edge cases of the scoring rule, on a real database (docs/scoring.md, "Edge cases")."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from sqlalchemy import select, update

from server.core.audit.models import AuditEvent
from server.core.db import Database
from server.core.errors import AppError
from server.inspections.models import Inspection
from server.scoring.models import ClosedMonth
from server.scoring.months import BadMonth, Month
from server.scoring.rules import load_rules
from server.scoring.service import close_month, month_report, parse_month, reopen_month, trend
from server.sites.models import Site
from server.workorders.models import WorkOrder
from standards import load_standards
from tests.test_scoring_example import AFTER, MONTH, add_inspection, build_example, local, score_example


async def _site(s) -> Site:  # type: ignore[no-untyped-def]
    return (await s.execute(select(Site).where(Site.code == "RIV"))).scalar_one()


async def _report(db: Database, month: Month, now: dt.datetime = AFTER):  # type: ignore[no-untyped-def]
    async with db.session(write=False) as s:
        return await month_report(s, await _site(s), month, load_standards(), load_rules(), now=now, with_data=True)


async def test_a_zone_with_no_assets_has_no_coverage_and_is_not_scored(database: Database) -> None:
    await build_example(database)
    zone_b = (await score_example(database)).get("zone:B")
    assert zone_b is not None
    assert zone_b.assets == 0 and zone_b.coverage is None and zone_b.compliance is None
    assert zone_b.score is None and zone_b.payment_pct is None
    assert zone_b.notes == ("no_assets", "no_orders_due") and zone_b.timeliness == 1


async def test_a_month_with_no_inspections_has_coverage_zero_and_no_score(database: Database) -> None:
    await build_example(database)
    report = await _report(database, Month(2026, 5), now=dt.datetime(2026, 6, 2, tzinfo=dt.timezone.utc))
    for f in report.figures:
        if f.assets:
            assert f.inspected == 0 and f.coverage == 0 and f.compliance is None, f.scope
            assert f.score is None and "no_inspections" in f.notes, f.scope
    site = report.get("site")
    assert site is not None and site.assets == 6 and site.notes == ("no_inspections", "no_orders_due")


async def test_an_asset_inspected_twice_counts_once_by_its_latest_inspection(database: Database) -> None:
    ex = await build_example(database)
    before = (await score_example(database)).get("site")
    assert before is not None and (before.inspected, before.compliant, before.inspections) == (5, 3, 6)
    # A1 was compliant on 03-20; a later non-compliant look on 03-25 takes its place.
    async with database.session() as s:
        await add_inspection(s, ex["A1"], ex["li"], local("2026-03-25", "08:00"), "non_compliant", {"fail": 1})
    after = (await score_example(database)).get("site")
    assert after is not None and (after.inspected, after.compliant, after.inspections) == (5, 2, 7)
    assert after.compliance == Fraction(2, 5) and after.clause_fail == 2 - 0 + 1  # A2's 2 fails, A1's 1


async def test_latest_means_last_observed_not_last_synced(database: Database) -> None:
    ex = await build_example(database)
    async with database.session() as s:
        # Observed on 03-19 (before A1's compliant look of 03-20) but synced weeks later.
        late_sync = await add_inspection(s, ex["A1"], ex["li"], local("2026-03-19", "08:00"), "non_compliant",
                                         {"fail": 1})
        from server.inspections.models import Inspection

        await s.execute(update(Inspection).where(Inspection.id == late_sync)
                        .values(received_at=local("2026-04-10", "12:00")))
    site = (await score_example(database)).get("site")
    assert site is not None and site.compliant == 3


async def test_orders_still_open_at_month_end_are_late_and_cancelled_ones_do_not_count(database: Database) -> None:
    await build_example(database)
    report = await score_example(database)
    assert report.data is not None
    outcomes = {o.order_id: o.outcome(report.data.now) for o in report.data.orders}
    ex_orders = {o.status: outcomes[o.order_id] for o in report.data.orders}
    assert ex_orders == {"verified": "on_time", "completed": "on_time", "in_progress": "late", "returned": "late",
                         "cancelled": "cancelled"}
    site = report.get("site")
    assert site is not None
    assert (site.orders_due, site.orders_on_time, site.orders_late, site.orders_late_open) == (5, 3, 2, 2)


async def test_an_order_completed_after_its_due_time_is_late(database: Database) -> None:
    ex = await build_example(database)
    async with database.session() as s:
        # WO-2 was completed exactly at its due time; one minute later is late.
        await s.execute(update(WorkOrder).where(WorkOrder.id == ex["WO-2"])
                        .values(completed_at=local("2026-03-18", "17:01")))
    site = (await score_example(database)).get("site")
    assert site is not None and (site.orders_on_time, site.orders_late) == (2, 3)


async def test_while_the_month_runs_orders_not_yet_due_are_pending(database: Database) -> None:
    await build_example(database)
    report = await _report(database, MONTH, now=local("2026-03-26", "09:00"))
    site = report.get("site")
    assert site is not None and not report.month_over and "provisional" in site.notes
    # WO-4 (due 03-28) and WO-5 (due 03-30) are not due yet: neither late nor on time.
    assert (site.orders_on_time, site.orders_late, site.orders_pending) == (3, 0, 2)
    assert site.timeliness == 1 and "no_orders_due" not in site.notes


async def test_inspections_either_side_of_a_month_boundary_at_23_59_and_00_01(database: Database) -> None:
    ex = await build_example(database)
    march = await score_example(database)
    assert march.data is not None
    rows = {r.asset_id: r for r in march.data.assets}
    assert rows[str(ex["A4"])].inspections == 0                      # 02-28 23:59 and 04-01 00:01: not March
    assert rows[str(ex["A3"])].inspections == 1                      # 03-31 23:59: March
    assert rows[str(ex["A1"])].inspections == 2                      # 03-01 00:01 counts too
    february = await _report(database, Month(2026, 2))
    april = await _report(database, Month(2026, 4), now=dt.datetime(2026, 5, 5, tzinfo=dt.timezone.utc))
    assert february.data is not None and april.data is not None
    feb = {r.asset_id: r for r in february.data.assets}
    apr = {r.asset_id: r for r in april.data.assets}
    assert feb[str(ex["A4"])].verdict == "compliant" and feb[str(ex["A4"])].inspections == 1
    assert apr[str(ex["A4"])].verdict == "non_compliant" and apr[str(ex["A4"])].inspections == 1
    assert sum(r.inspections for r in feb.values()) == 1
    # The same instants in UTC are both on 31 March / 28 February: a UTC month would get them wrong.
    assert local("2026-04-01", "00:01").astimezone(dt.timezone.utc).month == 3
    # WO-7 is due at 00:30 on 1 April local time: April's order, not March's.
    april_site = april.get("site")
    assert april_site is not None and april_site.orders_due == 1 and april_site.orders_late == 1


async def test_a_closed_month_is_not_moved_by_a_late_edit_until_an_admin_reopens_it(database: Database) -> None:
    ex = await build_example(database)
    standards, rules = load_standards(), load_rules()
    async with database.session() as s:
        await close_month(s, await _site(s), MONTH, standards, rules, ex["boss"], now=AFTER)
    frozen = await score_example(database)
    assert frozen.closing is not None and frozen.closing.scoring_version == "2026.1"
    assert frozen.closing.standards_version == "2026.1" and frozen.closing.closed_by == "Boss"

    # A late sync: A2 was fixed and found compliant on 31 March; an order is completed late.
    async with database.session() as s:
        await add_inspection(s, ex["A2"], ex["li"], local("2026-03-31", "16:00"), "compliant", {"pass": 5})
        await s.execute(update(WorkOrder).where(WorkOrder.id == ex["WO-4"])
                        .values(status="completed", completed_at=local("2026-03-27", "10:00")))
    still = await score_example(database)
    site = still.get("site")
    assert site is not None and site.compliance == Fraction(3, 5) and site.score == Fraction(635, 10)
    assert still.data is not None and len(still.data.assets) == 6
    assert all(r.verdict != "compliant" for r in still.data.assets if r.asset_id == str(ex["A2"]))
    async with database.session(write=False) as s:
        live = await month_report(s, await _site(s), MONTH, standards, rules, now=AFTER, live=True)
    live_site = live.get("site")
    assert live_site is not None and live_site.compliance == Fraction(4, 5) and live_site.orders_on_time == 4

    async with database.session() as s:
        with pytest.raises(AppError) as refused:
            await reopen_month(s, await _site(s), MONTH, ex["admin"], "   ")
    assert refused.value.code == "reason_required"
    async with database.session() as s:
        await reopen_month(s, await _site(s), MONTH, ex["admin"], "A2 was re-inspected on 31 March; late sync")
    reopened = (await score_example(database)).get("site")
    assert reopened is not None and reopened.compliance == Fraction(4, 5)
    # 100 × (0.60 × 4/5 + 0.25 × 4/5 + 0.15 × 5/6) = 48 + 20 + 12.5
    assert reopened.score == Fraction(805, 10) and reopened.payment_pct == 90

    async with database.session() as s:
        await close_month(s, await _site(s), MONTH, standards, rules, ex["boss"], now=AFTER)
        closings = (await s.execute(select(ClosedMonth).order_by(ClosedMonth.closed_at))).scalars().all()
        events = (await s.execute(select(AuditEvent.action, AuditEvent.user_id, AuditEvent.details)
                                  .where(AuditEvent.entity_type == "closed_month").order_by(AuditEvent.id))).all()
    assert [c.reopen_reason is not None for c in closings] == [True, False]
    assert closings[0].reopened_by == ex["admin"] and closings[1].figures[0]["score"] == 80.5
    assert [(a, u) for a, u, _ in events] == [("scoring.month_closed", ex["boss"]),
                                             ("scoring.month_reopened", ex["admin"]),
                                             ("scoring.month_closed", ex["boss"])]
    assert events[1][2]["reason"] == "A2 was re-inspected on 31 March; late sync"


async def test_closing_is_refused_before_the_month_ends_and_twice(database: Database) -> None:
    ex = await build_example(database)
    standards, rules = load_standards(), load_rules()
    async with database.session() as s:
        with pytest.raises(AppError) as early:
            await close_month(s, await _site(s), MONTH, standards, rules, ex["boss"], now=local("2026-03-31", "23:59"))
    assert early.value.code == "month_not_over" and early.value.status_code == 409
    async with database.session() as s:
        await close_month(s, await _site(s), MONTH, standards, rules, ex["boss"], now=AFTER)
    async with database.session() as s:
        with pytest.raises(AppError) as twice:
            await close_month(s, await _site(s), MONTH, standards, rules, ex["boss"], now=AFTER)
    assert twice.value.code == "month_closed"
    async with database.session() as s:
        with pytest.raises(AppError) as not_closed:
            await reopen_month(s, await _site(s), Month(2026, 2), ex["admin"], "why not")
    assert not_closed.value.code == "month_not_closed"


async def test_the_trend_has_twelve_months_with_frozen_ones_frozen(database: Database) -> None:
    ex = await build_example(database)
    standards, rules = load_standards(), load_rules()
    async with database.session() as s:
        await close_month(s, await _site(s), MONTH, standards, rules, ex["boss"], now=AFTER)
    async with database.session() as s:
        await add_inspection(s, ex["A2"], ex["li"], local("2026-03-31", "16:00"), "compliant", {"pass": 5})
    async with database.session(write=False) as s:
        points = await trend(s, await _site(s), "zone:A", Month(2026, 4), standards, rules,
                             now=dt.datetime(2026, 5, 5, tzinfo=dt.timezone.utc))
    assert [str(p.month) for p in points][0] == "2025-05" and str(points[-1].month) == "2026-04"
    by_month = {str(p.month): p for p in points}
    assert all(by_month[m].figures is None for m in ("2025-05", "2025-12"))  # before the first rule
    march = by_month["2026-03"]
    assert march.closed and march.figures is not None and march.figures.score == Fraction(635, 10)
    assert by_month["2026-02"].figures is not None and by_month["2026-02"].figures.inspected == 1
    assert by_month["2026-01"].figures is not None and by_month["2026-01"].figures.score is None


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-10", "2026/10", "", "October", "2026-10-01"])
def test_bad_months_are_refused(text: str) -> None:
    with pytest.raises(BadMonth):
        Month.parse(text)
    with pytest.raises(AppError) as refused:
        parse_month(text)
    assert refused.value.status_code == 400 and refused.value.code == "bad_month" and refused.value.field == "month"


def test_months_are_bounded_by_local_midnight() -> None:
    from zoneinfo import ZoneInfo

    start, end = Month(2026, 3).bounds(ZoneInfo("Asia/Shanghai"))
    assert start == dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.timezone.utc)
    assert end == dt.datetime(2026, 3, 31, 16, 0, tzinfo=dt.timezone.utc)
    assert Month.parse("2026-12").shift(1) == Month(2027, 1) and str(Month(2026, 1).shift(-1)) == "2025-12"


async def test_the_figures_summed_in_the_database_are_the_ones_counted_from_rows(database: Database) -> None:
    ex = await build_example(database)
    async with database.session() as s:  # one inspection with its clause counts stored as sync stores them
        await add_inspection(s, ex["A1"], ex["li"], local("2026-03-26", "08:00"), "compliant", {"pass": 1})
        await s.execute(update(Inspection).where(Inspection.observed_at == local("2026-03-26", "08:00"))
                        .values(clause_passes=4, clause_exempts=1, clause_fails=0))
    async with database.session(write=False) as s:
        site, standards, rules = await _site(s), load_standards(), load_rules()
        rows = await month_report(s, site, MONTH, standards, rules, now=AFTER, with_data=True)
        summed = await month_report(s, site, MONTH, standards, rules, now=AFTER)
    assert rows.data is not None and summed.data is None
    assert [f.to_json() for f in summed.figures] == [f.to_json() for f in rows.figures]
    figures = summed.get("site")
    assert figures is not None and figures.clause_pass >= 4  # the stored counts, not the one clause result
