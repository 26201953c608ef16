"""Proof of fix: after photos taken after the order was issued, within PROOF_DISTANCE_M metres
(on the ground) of each defect — refused with a clear reason otherwise."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from server.core.db import Database, utcnow
from server.defects.models import Defect
from server.core.errors import AppError
from server.workorders import service
from server.workorders.completion import complete_order
from server.core.geo import distance_m, offset
from server.workorders.models import CompletionPhoto, WorkOrder, WorkOrderCompletion
from server.core.workorder_settings import get_workorder_settings
from tests.workorder_helpers import World, add_photo, build_world, iso


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def started_order(database: Database, world: World, codes: tuple[str, ...] = ("Z1-SE-1",)) -> uuid.UUID:
    async with database.session() as db:
        order = await service.issue_order(db, world.users["super"], [world.defects[c] for c in codes])
        await service.transition(db, world.users["alpha1"], order.id, "accept")
        await service.transition(db, world.users["alpha1"], order.id, "start")
        return order.id


async def photo_at(database: Database, world: World, code: str, north_m: float, east_m: float = 0.0,
                   taken: dt.datetime | None = None) -> dict[str, Any]:
    lat, lon = offset(*world.positions[code], north_m, east_m)
    sha = await add_photo(database, f"{code}-{north_m}-{east_m}-{uuid.uuid4()}")
    return {"sha256": sha, "lat": lat, "lon": lon, "taken_at": iso(taken or utcnow())}


def body(order_id: uuid.UUID, photos: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"work_order_id": str(order_id), "completed_at": iso(utcnow()), "notes": "replaced the slat",
            "photos": photos, "position": None, **extra}


async def complete(database: Database, world: World, order_id: uuid.UUID, doc: Any, user: str = "alpha1") -> dict[str, Any]:
    async with database.session() as db:
        return await complete_order(db, world.users[user], order_id, doc)


async def status_of(database: Database, order_id: uuid.UUID) -> str:
    async with database.session(write=False) as db:
        return (await db.get(WorkOrder, order_id)).status  # type: ignore[union-attr]


def test_distances_are_metres_on_the_ground() -> None:
    # One degree of longitude at 32° N is about 94.4 km, of latitude about 111.2 km.
    assert 94_200 < distance_m(32, 118, 32, 119) < 94_500
    assert 111_100 < distance_m(32, 118, 33, 118) < 111_300
    lat, lon = offset(32.1, 118.7, 0, 25)
    assert abs(distance_m(32.1, 118.7, lat, lon) - 25) < 0.01


async def test_a_photo_just_inside_the_distance_is_accepted(database: Database, world: World) -> None:
    order_id = await started_order(database, world)
    limit = get_workorder_settings().proof_distance_m
    inside = await photo_at(database, world, "Z1-SE-1", 0, limit - 0.5)  # due east: degrees of longitude are shorter
    result = await complete(database, world, order_id, body(order_id, [inside]))
    assert result["status"] == "completed"
    assert limit - 1 < result["photos"][0]["distance_m"] <= limit
    assert await status_of(database, order_id) == "completed"
    async with database.session(write=False) as db:
        completion = (await db.execute(select(WorkOrderCompletion))).scalar_one()
        stored = (await db.execute(select(CompletionPhoto))).scalar_one()
        defect = await db.get(Defect, world.defects["Z1-SE-1"])
    assert completion.notes == "replaced the slat" and stored.defect_id == world.defects["Z1-SE-1"]
    assert defect is not None and defect.status == "fixed"


async def test_a_photo_too_far_is_refused_with_the_distance(database: Database, world: World) -> None:
    order_id = await started_order(database, world)
    limit = get_workorder_settings().proof_distance_m
    outside = await photo_at(database, world, "Z1-SE-1", 0, limit + 0.5)
    with pytest.raises(AppError) as refused:
        await complete(database, world, order_id, body(order_id, [outside]))
    exc = refused.value
    assert (exc.status_code, exc.code, exc.field) == (422, "photo_too_far", "body.photos[0].lat")
    message = exc.errors[0]["message"]
    assert f"{limit + 0.5:.0f} m" in message and f"{limit:g} m" in message, message
    assert await status_of(database, order_id) == "in_progress"
    # Measured in metres, not degrees: 30 m north is refused as well as 30 m east.
    north = await photo_at(database, world, "Z1-SE-1", 30, 0)
    with pytest.raises(AppError):
        await complete(database, world, order_id, body(order_id, [north]))


async def test_a_photo_taken_before_the_order_is_refused(database: Database, world: World) -> None:
    order_id = await started_order(database, world)
    async with database.session(write=False) as db:
        issued = (await db.get(WorkOrder, order_id)).issued_at  # type: ignore[union-attr]
    old = await photo_at(database, world, "Z1-SE-1", 1, 1, taken=issued - dt.timedelta(hours=2))
    with pytest.raises(AppError) as refused:
        await complete(database, world, order_id, body(order_id, [old]))
    exc = refused.value
    assert (exc.status_code, exc.code, exc.field) == (422, "photo_before_order", "body.photos[0].taken_at")
    assert "before the order was issued" in exc.errors[0]["message"]
    assert await status_of(database, order_id) == "in_progress"


async def test_an_old_photo_is_known_by_its_exif_time_too(database: Database, world: World) -> None:
    order_id = await started_order(database, world)
    lat, lon = offset(*world.positions["Z1-SE-1"], 2, 2)
    sha = await add_photo(database, "exif-old", exif_taken_at=utcnow() - dt.timedelta(days=30))
    doc = body(order_id, [{"sha256": sha, "lat": lat, "lon": lon, "taken_at": iso(utcnow())}])
    with pytest.raises(AppError) as refused:
        await complete(database, world, order_id, doc)
    assert (refused.value.code, refused.value.field) == ("photo_exif_before_order", "body.photos[0].sha256")
    assert "EXIF" in refused.value.errors[0]["message"]


async def test_every_defect_needs_its_own_photo(database: Database, world: World) -> None:
    order_id = await started_order(database, world, ("Z1-SE-1", "Z1-SE-2"))
    one = await photo_at(database, world, "Z1-SE-1", 3, 3)
    with pytest.raises(AppError) as refused:
        await complete(database, world, order_id, body(order_id, [one]))
    assert refused.value.code == "defect_without_proof"
    assert "Z1-SE-2" in refused.value.errors[0]["message"]
    two = await photo_at(database, world, "Z1-SE-2", -3, 2)
    result = await complete(database, world, order_id, body(order_id, [one, two]))
    assert {p["defect_id"] for p in result["photos"]} == {str(world.defects["Z1-SE-1"]), str(world.defects["Z1-SE-2"])}


async def test_bad_bodies_are_refused_field_by_field(database: Database, world: World) -> None:
    order_id = await started_order(database, world)
    good = await photo_at(database, world, "Z1-SE-1", 1, 1)
    cases = [
        ([], "photos", "proof_photo_required"),
        ("nope", "body", "bad_body"),
        (body(order_id, [good], extra=1), "body.extra", "unknown_field"),
        (body(uuid.uuid4(), [good]), "body.work_order_id", "order_mismatch"),
        (body(order_id, [good], completed_at="yesterday"), "body.completed_at", "bad_time"),
        (body(order_id, [good], completed_at="2026-01-01T10:00:00"), "body.completed_at", "bad_time"),  # no offset
        (body(order_id, [{**good, "lat": None}]), "body.photos[0].lat", "photo_position_missing"),
        (body(order_id, [{**good, "lat": 95}]), "body.photos[0].lat", "photo_position_missing"),
        (body(order_id, [{**good, "sha256": "ABC"}]), "body.photos[0].sha256", "bad_sha256"),
        (body(order_id, [good, good]), "body.photos[1].sha256", "duplicate_photo"),
        (body(order_id, [{**good, "taken_at": iso(utcnow() + dt.timedelta(hours=1))}]), "body.photos[0].taken_at", "in_future"),
        (body(order_id, [good], position={"lat": "x"}), "body.position", "bad_position"),
    ]
    for doc, field, code in cases:
        if doc == []:
            doc = body(order_id, [])
            field = "body.photos"
        with pytest.raises(AppError) as refused:
            await complete(database, world, order_id, doc)
        assert refused.value.status_code == 422, (doc, refused.value.code)
        assert (refused.value.field, refused.value.code) == (field, code), doc
        assert refused.value.errors and refused.value.errors[0]["message"]
    assert await status_of(database, order_id) == "in_progress"


async def test_photos_not_uploaded_yet_are_asked_for(database: Database, world: World) -> None:
    order_id = await started_order(database, world)
    lat, lon = offset(*world.positions["Z1-SE-1"], 1, 1)
    missing = "a" * 64
    with pytest.raises(AppError) as refused:
        await complete(database, world, order_id, body(order_id, [{"sha256": missing, "lat": lat, "lon": lon,
                                                                   "taken_at": iso(utcnow())}]))
    assert refused.value.status_code == 428 and refused.value.missing == [missing]  # type: ignore[attr-defined]


async def test_only_the_company_of_the_order_may_complete_it(database: Database, world: World) -> None:
    order_id = await started_order(database, world)
    good = await photo_at(database, world, "Z1-SE-1", 1, 1)
    for user, status in (("beta1", 404), ("insp", 404), ("super", 403)):
        with pytest.raises(AppError) as refused:
            await complete(database, world, order_id, body(order_id, [good]), user=user)
        assert refused.value.status_code == status, user
    # Another user of the same company may.
    assert (await complete(database, world, order_id, body(order_id, [good]), user="alpha2"))["status"] == "completed"
    # And once completed, completing again is an illegal transition.
    with pytest.raises(AppError) as again:
        await complete(database, world, order_id, body(order_id, [good]))
    assert (again.value.status_code, again.value.code) == (409, "illegal_transition")


async def test_an_issued_order_must_be_accepted_first(database: Database, world: World) -> None:
    async with database.session() as db:
        order = await service.issue_order(db, world.users["super"], [world.defects["Z1-SE-1"]])
    good = await photo_at(database, world, "Z1-SE-1", 1, 1)
    with pytest.raises(AppError) as refused:
        await complete(database, world, order.id, body(order.id, [good]))
    assert refused.value.status_code == 409


async def test_the_distance_is_configurable(database: Database, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROOF_DISTANCE_M", "10")
    get_workorder_settings.cache_clear()
    try:
        order_id = await started_order(database, world)
        fifteen = await photo_at(database, world, "Z1-SE-1", 15, 0)
        with pytest.raises(AppError) as refused:
            await complete(database, world, order_id, body(order_id, [fifteen]))
        assert refused.value.code == "photo_too_far" and "10 m" in refused.value.errors[0]["message"]
    finally:
        monkeypatch.delenv("PROOF_DISTANCE_M")
        get_workorder_settings.cache_clear()
