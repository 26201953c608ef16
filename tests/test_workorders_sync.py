"""Completing an order goes through the sync API like an inspection: a `completion` record,
its photos uploaded first, stored exactly once, refusals per record in the user's language."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import func, select

from server.core.db import Database, utcnow
from server.workorders import service
from server.core.geo import offset
from server.workorders.models import WorkOrder, WorkOrderCompletion
from tests.conftest import make_client
from tests.photo_helpers import sha
from tests.workorder_helpers import World, api_headers, build_world, iso, signed_in


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


@pytest.fixture
async def order_id(database: Database, world: World) -> uuid.UUID:
    async with database.session() as db:
        order = await service.issue_order(db, world.users["super"], [world.defects["Z1-SE-1"]])
        await service.transition(db, world.users["alpha1"], order.id, "accept")
        return order.id


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (seed % 255, 80, 160)).save(out, "JPEG")
    return out.getvalue()


async def upload(client: AsyncTestClient, data: bytes) -> str:
    answer = await client.put(f"/api/photos/{sha(data)}", content=data,
                              headers={**api_headers(client), "Content-Type": "image/jpeg"})
    assert answer.status_code in (200, 201), answer.text
    return sha(data)


def completion(order_id: uuid.UUID, photo: str, lat: float, lon: float) -> dict[str, Any]:
    return {"work_order_id": str(order_id), "completed_at": iso(utcnow()), "notes": "fixed",
            "photos": [{"sha256": photo, "lat": lat, "lon": lon, "taken_at": iso(utcnow())}],
            "position": {"lat": lat, "lon": lon, "accuracy_m": 5}}


async def test_a_completion_is_stored_once(database_url: str, database: Database, world: World, order_id: uuid.UUID) -> None:
    async with make_client(database_url) as phone:
        await signed_in(phone, "alpha1")
        photo = await upload(phone, jpeg(1))
        lat, lon = offset(*world.positions["Z1-SE-1"], 5, 5)
        record = {"kind": "completion", "id": str(uuid.uuid4()), "body": completion(order_id, photo, lat, lon)}
        first = await phone.post("/api/sync", json={"records": [record]}, headers=api_headers(phone))
        assert first.status_code == 200, first.text
        (result,) = first.json()["results"]
        assert (result["status"], result["outcome"]) == (201, "created")
        assert result["result"]["status"] == "completed" and result["result"]["completion_id"] == record["id"]
        for _ in range(3):
            again = (await phone.post("/api/sync", json={"records": [record]}, headers=api_headers(phone))).json()["results"][0]
            assert (again["status"], again["outcome"], again["result"]) == (200, "duplicate", result["result"])
        changed = {**record, "body": {**record["body"], "notes": "other"}}
        conflict = (await phone.post("/api/sync", json={"records": [changed]}, headers=api_headers(phone))).json()["results"][0]
        assert (conflict["status"], conflict["code"]) == (409, "record_conflict")
        one = await phone.put(f"/api/sync/completion/{record['id']}", json=record["body"], headers=api_headers(phone))
        assert one.status_code == 200 and one.json()["outcome"] == "duplicate"
    async with database.session(write=False) as db:
        assert await db.scalar(select(func.count()).select_from(WorkOrderCompletion)) == 1
        assert (await db.get(WorkOrder, order_id)).status == "completed"  # type: ignore[union-attr]


async def test_refusals_come_back_per_record(database_url: str, world: World, order_id: uuid.UUID) -> None:
    async with make_client(database_url) as phone:
        await signed_in(phone, "alpha1")
        photo = await upload(phone, jpeg(2))
        far_lat, far_lon = offset(*world.positions["Z1-SE-1"], 0, 40)
        far = {"kind": "completion", "id": str(uuid.uuid4()), "body": completion(order_id, photo, far_lat, far_lon)}
        lat, lon = offset(*world.positions["Z1-SE-1"], 1, 1)
        unsent = {"kind": "completion", "id": str(uuid.uuid4()), "body": completion(order_id, "b" * 64, lat, lon)}
        results = (await phone.post("/api/sync", json={"records": [far, unsent]},
                                    headers={**api_headers(phone), "Accept-Language": "zh-CN"})).json()["results"]
        assert (results[0]["status"], results[0]["code"]) == (422, "photo_too_far")
        assert results[0]["errors"][0]["field"] == "body.photos[0].lat" and "40" in results[0]["errors"][0]["message"]
        assert (results[1]["status"], results[1]["missing"]) == (428, ["b" * 64])
    async with make_client(database_url) as other:
        await signed_in(other, "beta1")
        photo = await upload(other, jpeg(3))
        theirs = {"kind": "completion", "id": str(uuid.uuid4()), "body": completion(order_id, photo, lat, lon)}
        result = (await other.post("/api/sync", json={"records": [theirs]}, headers=api_headers(other))).json()["results"][0]
        assert (result["status"], result["code"]) == (422, "work_order_not_found")
        inspection = {"kind": "inspection", "id": str(uuid.uuid4()), "body": {}}
        assert (await other.post("/api/sync", json={"records": [inspection]}, headers=api_headers(other))).status_code == 403
    async with make_client(database_url) as inspector:
        await signed_in(inspector, "insp")
        lat, lon = offset(*world.positions["Z1-SE-1"], 1, 1)
        mine = {"kind": "completion", "id": str(uuid.uuid4()), "body": completion(order_id, "c" * 64, lat, lon)}
        result = (await inspector.post("/api/sync", json={"records": [mine]}, headers=api_headers(inspector))).json()["results"][0]
        assert result["status"] == 422


async def test_the_after_photos_are_seen_by_who_reviews_them(database_url: str, world: World, order_id: uuid.UUID) -> None:
    """The supervisor reviews before and after side by side; the other company sees nothing.
    (Needs the rule for completion photos in server/photos/access.py.)"""
    async with make_client(database_url) as phone:
        await signed_in(phone, "alpha1")
        photo = await upload(phone, jpeg(9))
        lat, lon = offset(*world.positions["Z1-SE-1"], 3, 3)
        record = {"kind": "completion", "id": str(uuid.uuid4()), "body": completion(order_id, photo, lat, lon)}
        assert (await phone.post("/api/sync", json={"records": [record]}, headers=api_headers(phone))).json()["results"][0]["status"] == 201
    expected = {"super": 200, "alpha2": 200, "beta1": 404}
    for username, status in expected.items():
        async with make_client(database_url) as client:
            await signed_in(client, username)
            assert (await client.get(f"/photos/{photo}/thumb")).status_code == status, username
