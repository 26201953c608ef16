"""The work order's state machine: every legal step works, every illegal one is 409; issuing
checks coverage and defect states; every change is an audit event with who, from and to."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from sqlalchemy import select

from server.core.audit.models import AuditEvent
from server.core.db import Database, utcnow
from server.defects import lifecycle
from server.defects.models import Defect
from server.core.errors import AppError
from server.workorders import service
from server.workorders.completion import complete_order
from server.core.geo import offset
from server.workorders.models import WORK_ORDER_STATUSES, WorkOrder
from server.workorders.states import LEGAL, STEPS
from standards import load_standards
from tests.workorder_helpers import World, add_photo, build_world, iso

ACTIONS = ("accept", "start", "complete", "verify", "return", "cancel")
# How to bring a fresh order to each state (from issued).
PATHS = {
    "issued": [],
    "accepted": ["accept"],
    "in_progress": ["accept", "start"],
    "completed": ["accept", "start", "complete"],
    "verified": ["accept", "start", "complete", "verify"],
    "returned": ["accept", "start", "complete", "return"],
    "cancelled": ["cancel"],
}
# Where each legal (state, action) leads: the specification, written out by hand.
EXPECTED = {
    ("issued", "accept"): "accepted",
    ("accepted", "start"): "in_progress",
    ("returned", "start"): "in_progress",
    ("in_progress", "complete"): "completed",
    ("accepted", "complete"): "completed",  # the start step is taken implicitly
    ("returned", "complete"): "completed",
    ("completed", "verify"): "verified",
    ("completed", "return"): "returned",
    ("issued", "cancel"): "cancelled",
    ("accepted", "cancel"): "cancelled",
    ("in_progress", "cancel"): "cancelled",
    ("returned", "cancel"): "cancelled",
}
DEFECT_STATUS_AFTER = {
    "issued": "ordered", "accepted": "ordered", "in_progress": "ordered", "completed": "fixed",
    "verified": "closed", "returned": "ordered", "cancelled": "open",
}


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def issue(database: Database, world: World, codes: tuple[str, ...] = ("Z1-SE-1",), **kw: object) -> uuid.UUID:
    async with database.session() as db:
        order = await service.issue_order(db, world.users["super"], [world.defects[c] for c in codes], **kw)  # type: ignore[arg-type]
        return order.id


async def take(database: Database, world: World, order_id: uuid.UUID, action: str) -> str:
    """Take `action` as the role it belongs to; the order's new status."""
    async with database.session() as db:
        if action == "complete":
            await complete_order(db, world.users["alpha1"], order_id, await proof(database, world, order_id))
        else:
            who = world.users["alpha1" if STEPS[action].role == "contractor" else "super"]
            await service.transition(db, who, order_id, action, reason="because" if STEPS[action].needs_reason else None)
        return (await db.get(WorkOrder, order_id)).status  # type: ignore[union-attr]


async def proof(database: Database, world: World, order_id: uuid.UUID) -> dict[str, object]:
    """A valid completion body: one photo 5 m from each defect, taken now."""
    async with database.session(write=False) as db:
        defects = await service.order_defects(db, order_id)
    photos = []
    for d in defects:
        sha = await add_photo(database, f"after-{d.id}-{uuid.uuid4()}")
        lat, lon = offset(d.lat, d.lon, 3, 4)
        photos.append({"sha256": sha, "lat": lat, "lon": lon, "taken_at": iso(utcnow())})
    return {"work_order_id": str(order_id), "completed_at": iso(utcnow()), "notes": "done", "photos": photos,
            "position": None}


async def order_in(database: Database, world: World, state: str) -> uuid.UUID:
    order_id = await issue(database, world)
    for action in PATHS[state]:
        await take(database, world, order_id, action)
    return order_id


def test_the_table_matches_the_specification() -> None:
    table = {(s, a): STEPS[a].target for a in STEPS for s in STEPS[a].source}
    implied = {("accepted", "complete"): "completed", ("returned", "complete"): "completed"}  # start is implied
    assert table | implied == EXPECTED
    assert LEGAL == {(src, dst) for (src, _), dst in table.items()}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(WORK_ORDER_STATUSES, ACTIONS)))
async def test_every_transition(database: Database, world: World, state: str, action: str) -> None:
    order_id = await order_in(database, world, state)
    async with database.session(write=False) as db:
        before_events = len((await db.execute(select(AuditEvent).where(AuditEvent.entity_id == str(order_id)))).all())
    target = EXPECTED.get((state, action))
    if target is None:
        with pytest.raises(AppError) as refused:
            await take(database, world, order_id, action)
        assert refused.value.status_code == 409
        assert refused.value.code == "illegal_transition"
        assert refused.value.key == f"wo.illegal.{action}"
        async with database.session(write=False) as db:
            assert (await db.get(WorkOrder, order_id)).status == state  # type: ignore[union-attr]
        return
    assert await take(database, world, order_id, action) == target
    async with database.session(write=False) as db:
        events = (await db.execute(
            select(AuditEvent).where(AuditEvent.entity_type == "work_order", AuditEvent.entity_id == str(order_id))
            .order_by(AuditEvent.id))).scalars().all()
        defect = await db.get(Defect, world.defects["Z1-SE-1"])
    new = events[before_events:]
    assert new[-1].action == f"work_order.{target}"
    assert (new[-1].details["from"], new[-1].details["to"]) == ((state if len(new) == 1 else "in_progress"), target)
    assert new[-1].user_id is not None and new[-1].at is not None
    if len(new) == 2:  # the implied start of a completion
        assert (new[0].details["from"], new[0].details["to"]) == (state, "in_progress")
    assert defect.status == DEFECT_STATUS_AFTER[target]  # type: ignore[union-attr]
    if target == "verified":
        assert defect.closed_at is not None  # type: ignore[union-attr]


async def test_issue_sets_due_from_the_most_severe_defect(database: Database, world: World) -> None:
    async with database.session() as db:
        d = await db.get(Defect, world.defects["Z1-SE-2"])
        d.severity = "urgent"  # type: ignore[union-attr]
    started = utcnow()
    order_id = await issue(database, world, ("Z1-SE-1", "Z1-SE-2"))
    async with database.session(write=False) as db:
        order = await db.get(WorkOrder, order_id)
    assert order is not None and order.code.startswith("WO-") and order.status == "issued"
    assert dt.timedelta(hours=23, minutes=59) < order.due_at - started < dt.timedelta(hours=24, minutes=1)
    again = await issue(database, world, ("Z2-SE-1",))
    async with database.session(write=False) as db:
        second = await db.get(WorkOrder, again)
    assert int(second.code.rsplit("-", 1)[1]) == int(order.code.rsplit("-", 1)[1]) + 1  # type: ignore[union-attr]
    assert dt.timedelta(days=6, hours=23) < second.due_at - started < dt.timedelta(days=7, minutes=1)  # type: ignore[union-attr]


async def test_another_due_time_needs_a_reason(database: Database, world: World) -> None:
    later = utcnow() + dt.timedelta(days=20)
    with pytest.raises(AppError) as refused:
        await issue(database, world, due_at=later)
    assert (refused.value.status_code, refused.value.code, refused.value.field) == (422, "reason_required", "due_reason")
    with pytest.raises(AppError) as past:
        await issue(database, world, due_at=utcnow() - dt.timedelta(hours=1), due_reason="x")
    assert past.value.code == "due_in_past"
    order_id = await issue(database, world, due_at=later, due_reason="needs a crane")
    async with database.session() as db:
        order = await db.get(WorkOrder, order_id)
        assert order is not None and order.due_change_reason == "needs a crane"
        with pytest.raises(AppError) as no_reason:
            await service.change_due(db, world.users["super"], order_id, later + dt.timedelta(days=1), "  ")
        assert no_reason.value.code == "reason_required"
        await service.change_due(db, world.users["super"], order_id, later + dt.timedelta(days=1), "rain")
    async with database.session(write=False) as db:
        event = (await db.execute(select(AuditEvent).where(AuditEvent.action == "work_order.due_changed"))).scalar_one()
    assert event.details["reason"] == "rain" and event.details["from"] != event.details["to"]


async def test_issue_needs_one_contract_covering_every_defect(database: Database, world: World) -> None:
    # Z2 green space: no contract covers it.
    with pytest.raises(AppError) as none:
        await issue(database, world, ("Z2-GS-1",))
    assert (none.value.status_code, none.value.code) == (422, "no_covering_contract")
    # Seating (ALPHA) and green space (BETA) together: no single contract.
    with pytest.raises(AppError) as mixed:
        await issue(database, world, ("Z1-SE-1", "Z1-GS-1"))
    assert mixed.value.code == "no_covering_contract"
    # Naming the wrong contract is refused; the right one works.
    with pytest.raises(AppError) as wrong:
        await issue(database, world, ("Z1-GS-1",), contract_id=world.contracts["C-ALPHA"])
    assert wrong.value.code == "contract_not_covering"
    order_id = await issue(database, world, ("Z1-GS-1",), contract_id=world.contracts["C-BETA"])
    async with database.session(write=False) as db:
        assert (await db.get(WorkOrder, order_id)).contractor_id == world.contractors["BETA"]  # type: ignore[union-attr]


async def test_a_defect_is_on_one_open_order_at_a_time(database: Database, world: World) -> None:
    await issue(database, world)
    with pytest.raises(AppError) as busy:
        await issue(database, world)
    assert (busy.value.status_code, busy.value.code) == (409, "defect_not_open")
    with pytest.raises(AppError) as empty:
        await issue(database, world, ())
    assert empty.value.code == "defects_required"
    with pytest.raises(AppError) as unknown:
        async with database.session() as db:
            await service.issue_order(db, world.users["super"], [uuid.uuid4()])
    assert unknown.value.status_code == 404


async def test_cancelled_defects_can_be_ordered_again(database: Database, world: World) -> None:
    first = await order_in(database, world, "cancelled")
    second = await issue(database, world)
    assert first != second


@pytest.mark.parametrize("action", ["return", "cancel"])
async def test_sending_back_and_cancelling_need_a_reason(database: Database, world: World, action: str) -> None:
    order_id = await order_in(database, world, "completed" if action == "return" else "issued")
    async with database.session() as db:
        with pytest.raises(AppError) as refused:
            await service.transition(db, world.users["super"], order_id, action, reason="   ")
    assert (refused.value.status_code, refused.value.code) == (422, "reason_required")
    async with database.session() as db:
        order = await service.transition(db, world.users["super"], order_id, action, reason="not clean")
        assert (order.return_reason if action == "return" else order.cancel_reason) == "not clean"


async def test_each_side_takes_only_its_own_steps(database: Database, world: World) -> None:
    order_id = await issue(database, world)
    async with database.session() as db:
        with pytest.raises(AppError) as contractor_cancels:
            await service.transition(db, world.users["alpha1"], order_id, "cancel", reason="no")
        assert contractor_cancels.value.status_code == 403
        with pytest.raises(AppError) as supervisor_accepts:
            await service.transition(db, world.users["super"], order_id, "accept")
        assert supervisor_accepts.value.status_code == 403
        with pytest.raises(AppError) as other_company:
            await service.transition(db, world.users["beta1"], order_id, "accept")
        assert other_company.value.status_code == 404
        with pytest.raises(AppError) as inspector:
            await service.transition(db, world.users["insp"], order_id, "accept")
        assert inspector.value.status_code == 404
        with pytest.raises(AppError) as plain_complete:
            await service.transition(db, world.users["alpha1"], order_id, "complete")
        assert plain_complete.value.code == "proof_required"


async def test_dismissing_and_closing_defects(database: Database, world: World) -> None:
    async with database.session() as db:
        with pytest.raises(AppError) as no_reason:
            await lifecycle.dismiss_defect(db, world.users["super"], world.defects["Z1-GS-1"], "")
        assert no_reason.value.code == "reason_required"
        d = await lifecycle.dismiss_defect(db, world.users["super"], world.defects["Z1-GS-1"], "false alarm")
        assert (d.status, d.dismissed_reason) == ("dismissed", "false alarm")
        with pytest.raises(AppError) as not_passed:
            await lifecycle.close_passed_defect(db, world.users["super"], world.defects["Z2-GS-1"])
        assert not_passed.value.status_code == 409
    await issue(database, world)
    async with database.session() as db:
        with pytest.raises(AppError) as ordered:
            await lifecycle.dismiss_defect(db, world.users["super"], world.defects["Z1-SE-1"], "x")
        assert ordered.value.code == "defect_not_open"


def test_severity_and_response_time_come_from_the_standards() -> None:
    standard = load_standards().current()
    assert lifecycle.defect_severity(standard, "SE-1") == standard.clause("SE-1").severity
    # A damage type's severity raises a clause's ("high" pothole on RA-1 stays "high"; none lowers it).
    assert lifecycle.defect_severity(standard, "RA-1", [{"type": "pothole", "depth_mm": 30, "area_m2": 2}]) == "high"
    urgent = [c.id for c in standard.categories["sculpture"].clauses if c.severity == "urgent"]
    assert urgent and lifecycle.defect_severity(standard, urgent[0]) == "urgent"
    assert lifecycle.response_time("urgent") == dt.timedelta(hours=24)
    assert lifecycle.response_time("low") == dt.timedelta(days=30)
    assert lifecycle.most_severe(["low", "high", "normal"]) == "high"
