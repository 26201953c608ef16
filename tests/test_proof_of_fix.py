"""Proof of fix must be new (server/workorders/proof.py): an after photo first uploaded after
the order was issued, not any defect's evidence nor another completion's photo, EXIF time
after the order and EXIF position within PROOF_DISTANCE_M when it has them — each refusal
with its stable code; and the supervisor's review page shows each photo's checks."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

import pytest
from bs4 import BeautifulSoup

from server.core.db import Database, utcnow
from server.core.errors import AppError
from server.inspections.models import InspectionPhoto
from server.photos.models import Photo
from server.defects.models import Defect
from server.workorders import service
from server.workorders.completion import complete_order
from server.core.geo import offset
from server.workorders.models import WorkOrder
from server.core.workorder_settings import get_workorder_settings
from tests.conftest import make_client
from tests.workorder_helpers import World, build_world, iso, signed_in


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def started_order(database: Database, world: World, code: str = "Z1-SE-1") -> WorkOrder:
    async with database.session() as db:
        order = await service.issue_order(db, world.users["super"], [world.defects[code]])
        await service.transition(db, world.users["alpha1"], order.id, "accept")
        await service.transition(db, world.users["alpha1"], order.id, "start")
        return order


async def photo(database: Database, *, uploaded_at: dt.datetime | None = None, exif_taken_at: dt.datetime | None = None,
                exif_at: tuple[float, float] | None = None) -> str:
    sha = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    async with database.session() as s:
        s.add(Photo(sha256=sha, media_type="image/jpeg", size_bytes=1000, width=1600, height=1200,
                    exif_taken_at=exif_taken_at, exif_lat=exif_at[0] if exif_at else None,
                    exif_lon=exif_at[1] if exif_at else None, uploaded_at=uploaded_at or utcnow()))
    return sha


def near(world: World, code: str = "Z1-SE-1", metres: float = 3.0) -> tuple[float, float]:
    return offset(*world.positions[code], metres, 0)


def doc(order: WorkOrder, world: World, *shas: str) -> dict[str, Any]:
    lat, lon = near(world)
    return {"work_order_id": str(order.id), "completed_at": iso(utcnow()), "notes": "",
            "photos": [{"sha256": s, "lat": lat, "lon": lon, "taken_at": iso(utcnow())} for s in shas], "position": None}


async def refusal(database: Database, world: World, order: WorkOrder, body: dict[str, Any]) -> AppError:
    with pytest.raises(AppError) as refused:
        async with database.session() as db:
            await complete_order(db, world.users["alpha1"], order.id, body)
    async with database.session(write=False) as db:
        assert (await db.get(WorkOrder, order.id)).status == "in_progress"  # type: ignore[union-attr]
    return refused.value


async def before_photo_of(database: Database, world: World, code: str) -> str:
    """Attach a photo to the inspection that opened the defect: its "before" photo."""
    sha = await photo(database, uploaded_at=utcnow() - dt.timedelta(days=2))
    async with database.session() as s:
        defect = await s.get(Defect, world.defects[code])
        assert defect is not None
        s.add(InspectionPhoto(inspection_id=defect.opened_by_inspection_id, ordinal=0, photo_sha256=sha))
    return sha


async def test_the_defects_own_before_photo_is_refused(database: Database, world: World) -> None:
    before = await before_photo_of(database, world, "Z1-SE-1")
    order = await started_order(database, world)
    exc = await refusal(database, world, order, doc(order, world, before))  # the phone claims here and now
    assert (exc.status_code, exc.code, exc.field) == (422, "photo_uploaded_before_order", "body.photos[0].sha256")


async def test_a_photo_uploaded_before_the_order_is_refused(database: Database, world: World) -> None:
    old = await photo(database, uploaded_at=utcnow() - dt.timedelta(hours=1))
    order = await started_order(database, world)
    exc = await refusal(database, world, order, doc(order, world, old))
    assert exc.code == "photo_uploaded_before_order" and "already uploaded" in exc.errors[0]["message"]


async def test_a_defects_evidence_is_refused_even_when_uploaded_later(database: Database, world: World) -> None:
    order = await started_order(database, world)
    sha = await photo(database)
    async with database.session() as s:  # the evidence of another defect, uploaded after the order
        other = await s.get(Defect, world.defects["Z1-GS-1"])
        assert other is not None
        s.add(InspectionPhoto(inspection_id=other.opened_by_inspection_id, ordinal=0, photo_sha256=sha))
    exc = await refusal(database, world, order, doc(order, world, sha))
    assert (exc.code, exc.field) == ("photo_is_defect_evidence", "body.photos[0].sha256")


async def test_a_photo_of_an_earlier_completion_is_refused(database: Database, world: World) -> None:
    order = await started_order(database, world)
    sha = await photo(database)
    async with database.session() as db:
        await complete_order(db, world.users["alpha1"], order.id, doc(order, world, sha))
    async with database.session() as db:
        await service.transition(db, world.users["super"], order.id, "return", reason="still broken")
    exc = await refusal_returned(database, world, order, doc(order, world, sha))
    assert (exc.code, exc.field) == ("photo_already_used", "body.photos[0].sha256")
    fresh = await photo(database)
    async with database.session() as db:
        done = await complete_order(db, world.users["alpha1"], order.id, doc(order, world, fresh))
    assert done["status"] == "completed"


async def refusal_returned(database: Database, world: World, order: WorkOrder, body: dict[str, Any]) -> AppError:
    with pytest.raises(AppError) as refused:
        async with database.session() as db:
            await complete_order(db, world.users["alpha1"], order.id, body)
    return refused.value


async def test_the_exif_position_must_be_near_the_defect(database: Database, world: World) -> None:
    order = await started_order(database, world)
    limit = get_workorder_settings().proof_distance_m
    far = await photo(database, exif_at=near(world, metres=limit + 40))
    exc = await refusal(database, world, order, doc(order, world, far))  # the phone claims 3 m away
    assert (exc.code, exc.field) == ("photo_exif_too_far", "body.photos[0].sha256")
    assert f"{limit + 40:.0f} m" in exc.errors[0]["message"]
    early = await photo(database, exif_taken_at=order.issued_at - dt.timedelta(minutes=10))
    assert (await refusal(database, world, order, doc(order, world, early))).code == "photo_exif_before_order"
    good = await photo(database, exif_at=near(world, metres=limit - 5), exif_taken_at=utcnow())
    async with database.session() as db:
        assert (await complete_order(db, world.users["alpha1"], order.id, doc(order, world, good)))["status"] == "completed"


async def test_the_review_page_shows_the_checks_each_after_photo_passed(
    database: Database, database_url: str, world: World
) -> None:
    order = await started_order(database, world)
    with_exif = await photo(database, exif_at=near(world, metres=4), exif_taken_at=utcnow())
    async with database.session() as db:
        await complete_order(db, world.users["alpha1"], order.id, doc(order, world, with_exif))
    async with make_client(database_url) as c:
        await signed_in(c, "super")
        page = BeautifulSoup((await c.get(f"/supervise/orders/{order.id}", headers={"Accept-Language": "en"})).text,
                             "html.parser")
    box = page.select_one(f'.proof-checks[data-photo="{with_exif}"]')
    assert box is not None
    states = {li["data-check"]: li["data-state"] for li in box.select("li[data-check]")}
    assert states == {"uploaded_after_order": "passed", "not_evidence": "passed", "not_reused": "passed",
                      "taken_after_order": "passed", "exif_time_after_order": "passed", "near_defect": "passed",
                      "exif_near_defect": "passed"}
    assert "by its EXIF position" in box.get_text()


async def test_a_photo_without_exif_shows_those_checks_as_not_applicable(
    database: Database, database_url: str, world: World
) -> None:
    order = await started_order(database, world)
    plain = await photo(database)
    async with database.session() as db:
        await complete_order(db, world.users["alpha1"], order.id, doc(order, world, plain))
    async with make_client(database_url) as c:
        await signed_in(c, "super")
        page = BeautifulSoup((await c.get(f"/supervise/orders/{order.id}", headers={"Accept-Language": "en"})).text,
                             "html.parser")
    states = {li["data-check"]: li["data-state"] for li in page.select(f'.proof-checks[data-photo="{plain}"] li')}
    assert states["exif_time_after_order"] == states["exif_near_defect"] == "na"
    assert states["uploaded_after_order"] == "passed"
    assert "The photo has no EXIF position" in page.get_text()  # the user chose English
