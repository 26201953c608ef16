"""Serving photos: `GET /photos/{sha256}/display|thumb`, only to users allowed to see them,
streamed from the folder or from the bucket (`media_store`, tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import select
from server.sites.models import Site, UserSite

from server.accounts.models import User
from server.contractors.models import Contract
from server.core.db import Database
from server.defects.models import Defect, DefectEvidence
from server.inspections.models import Inspection, InspectionPhoto
from server.accounts.passwords import hash_password
from server.workorders.models import CompletionPhoto, WorkOrder, WorkOrderCompletion, WorkOrderDefect
from tests.conftest import make_client, sign_in
from tests.factories import PASSWORD, add_site_with_asset
from tests.photo_helpers import derived_key, jpeg, photo_like, photo_store, sha, signed_in_api, stored_bytes

NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.timezone.utc)


async def user_id(database: Database, username: str) -> tuple[uuid.UUID, uuid.UUID | None]:
    async with database.session(write=False) as s:
        user = (await s.scalars(select(User).where(User.username == username))).one()
        return user.id, user.contractor_id


async def add_inspection(database: Database, asset_id: uuid.UUID, inspector_id: uuid.UUID, photos: list[str]) -> uuid.UUID:
    inspection_id = uuid.uuid4()
    async with database.session() as s:
        s.add(
            Inspection(
                id=inspection_id, asset_id=asset_id, inspector_id=inspector_id, observed_at=NOW,
                observations={}, damages=[], not_applicable=[], notes="", standards_version="2026.1",
                verdict="non_compliant", content_hash="0" * 64,
            )
        )
        await s.flush()
        for ordinal, digest in enumerate(photos):
            s.add(InspectionPhoto(inspection_id=inspection_id, ordinal=ordinal, photo_sha256=digest))
    return inspection_id


async def add_order(
    database: Database, site: dict[str, uuid.UUID], inspection_id: uuid.UUID, contractor_id: uuid.UUID, issued_by: uuid.UUID,
    clause: str = "SE-1",
) -> tuple[uuid.UUID, uuid.UUID]:
    """A defect seen by `inspection_id`, on a work order of `contractor_id`'s company: their ids."""
    async with database.session() as s:
        defect = Defect(
            asset_id=site["asset"], zone_id=site["zone"], category="seating", clause_id=clause, severity="high",
            status="ordered", lat=32.105, lon=118.705, respond_by=NOW + dt.timedelta(days=3),
            opened_by_inspection_id=inspection_id, last_inspection_id=inspection_id,
        )
        contract = Contract(code=f"C-{contractor_id.hex[:6]}", contractor_id=contractor_id, name="Upkeep", starts_on=dt.date(2026, 1, 1))
        s.add_all([defect, contract])
        await s.flush()
        order = WorkOrder(
            code=f"WO-{contractor_id.hex[:6]}", contract_id=contract.id, contractor_id=contractor_id,
            issued_by=issued_by, due_at=NOW + dt.timedelta(days=7),
        )
        s.add_all([order, DefectEvidence(defect_id=defect.id, inspection_id=inspection_id)])
        await s.flush()
        s.add(WorkOrderDefect(work_order_id=order.id, defect_id=defect.id))
        return order.id, defect.id


async def add_completion(
    database: Database, order_id: uuid.UUID, defect_id: uuid.UUID, completed_by: uuid.UUID, photo: str
) -> None:
    """The contractor's report that the order is done, with `photo` as its "after" photo."""
    async with database.session() as s:
        completion = WorkOrderCompletion(work_order_id=order_id, completed_by=completed_by, completed_at=NOW)
        s.add(completion)
        await s.flush()
        s.add(
            CompletionPhoto(
                completion_id=completion.id, ordinal=0, photo_sha256=photo, defect_id=defect_id,
                lat=32.105, lon=118.705, taken_at=NOW, distance_m=2.0,
            )
        )


async def add_colleague(database: Database, username: str, contractor_id: uuid.UUID) -> None:
    """A second user of an existing contractor company."""
    async with database.session() as s:
        colleague = User(
            username=username, display_name=username.title(), password_hash=hash_password(PASSWORD),
            role="contractor", contractor_id=contractor_id, language="en",
        )
        s.add(colleague)
        await s.flush()
        s.add_all(UserSite(user_id=colleague.id, site_id=site_id) for site_id in await s.scalars(select(Site.id)))


async def upload(client: AsyncTestClient, headers: dict[str, str], data: bytes) -> str:
    response = await client.put(f"/api/photos/{sha(data)}", content=data, headers=headers)
    assert response.status_code == 201, response.text
    return sha(data)


async def test_who_sees_which_photo(
    client: AsyncTestClient, database: Database, database_url: str, media_store: str
) -> None:
    site = await add_site_with_asset(database)
    ivy_headers = await signed_in_api(client, database, "ivy", "inspector")
    ordered = await upload(client, ivy_headers, jpeg(200, 150))  # evidence of a defect on con1's order
    inspected = await upload(client, ivy_headers, jpeg(210, 150))  # in an inspection, no defect
    unattached = await upload(client, ivy_headers, jpeg(220, 150))  # uploaded, not (yet) in a record
    ivy, _ = await user_id(database, "ivy")

    clients = {}
    for username, role in (("ian", "inspector"), ("sue", "supervisor"), ("ada", "admin"), ("con1", "contractor"), ("con2", "contractor")):
        other = make_client(database_url)
        await other.__aenter__()
        clients[username] = (other, await signed_in_api(other, database, username, role))
    try:
        contractors_own = await upload(*clients["con1"], jpeg(230, 150))  # not in any record (yet)
        after = await upload(*clients["con1"], jpeg(240, 150))  # the "after" photo of con1's order
        sue, _ = await user_id(database, "sue")
        con1, company1 = await user_id(database, "con1")
        _, company2 = await user_id(database, "con2")
        assert company1 and company2
        first = await add_inspection(database, site["asset"], ivy, [ordered])
        await add_inspection(database, site["asset"], ivy, [inspected])
        order, defect = await add_order(database, site, first, company1, sue)
        await add_completion(database, order, defect, con1, after)
        second_site_inspection = await add_inspection(database, site["asset"], ivy, [])
        await add_order(database, site, second_site_inspection, company2, sue, clause="SE-2")  # con2 has an order, not that one
        await add_colleague(database, "con1b", company1)
        colleague = make_client(database_url)
        await colleague.__aenter__()
        await sign_in(colleague, "con1b", PASSWORD)
        clients["con1b"] = (colleague, {})

        expected = {
            "ivy": {ordered: 200, inspected: 200, unattached: 200, contractors_own: 404, after: 404},
            "ian": {ordered: 200, inspected: 200, unattached: 404, contractors_own: 404, after: 404},
            "sue": {ordered: 200, inspected: 200, unattached: 404, contractors_own: 404, after: 200},
            "ada": {ordered: 200, inspected: 200, unattached: 404, contractors_own: 404, after: 200},
            "con1": {ordered: 200, inspected: 404, unattached: 404, contractors_own: 200, after: 200},
            "con1b": {ordered: 200, inspected: 404, unattached: 404, contractors_own: 404, after: 200},
            "con2": {ordered: 404, inspected: 404, unattached: 404, contractors_own: 404, after: 404},
        }
        seen = {}
        for username, photos in expected.items():
            viewer = client if username == "ivy" else clients[username][0]
            for digest in photos:
                for variant in ("display", "thumb"):
                    response = await viewer.get(f"/photos/{digest}/{variant}")
                    seen[(username, digest, variant)] = response.status_code
                    if response.status_code == 404:
                        # The same answer as for a photo that does not exist: hashes cannot be probed.
                        nowhere = await viewer.get(f"/photos/{sha(b'no such photo')}/{variant}")
                        assert response.json() == nowhere.json()
                        assert response.json()["code"] == "not_found"
        wanted = {(u, d, v): status for u, photos in expected.items() for d, status in photos.items() for v in ("display", "thumb")}
        assert seen == wanted
    finally:
        for other, _ in clients.values():
            await other.__aexit__(None, None, None)


async def test_signed_out_is_401_even_for_a_browser(client: AsyncTestClient, database: Database, media_store: str) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    digest = await upload(client, headers, jpeg())
    await client.post("/logout", headers=headers)
    client.cookies.delete("fc_session")
    for accept in ("image/avif,image/webp,*/*", "text/html"):
        response = await client.get(f"/photos/{digest}/thumb", headers={"Accept": accept}, follow_redirects=False)
        assert response.status_code == 401
        assert response.json()["code"] == "not_signed_in"


async def test_served_sizes_are_cached_for_good_and_revalidate_by_etag(
    client: AsyncTestClient, database: Database, media_store: str
) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    data = jpeg(image=photo_like(2400, 1800), gps=(32.1, 118.7), taken="2026:11:20 10:15:30")
    digest = await upload(client, headers, data)  # its own photo: visible to ivy
    tags = set()
    for variant, size in (("display", (1600, 1200)), ("thumb", (320, 240))):
        response = await client.get(f"/photos/{digest}/{variant}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        assert response.content == stored_bytes(derived_key(digest, variant))
        assert response.headers["content-length"] == str(len(response.content))
        cache = response.headers["cache-control"]
        assert "immutable" in cache and "private" in cache and "max-age=31536000" in cache
        assert response.headers["etag"].startswith('"') and digest in response.headers["etag"]
        tags.add(response.headers["etag"])
        image = Image.open(io.BytesIO(response.content))
        assert image.size == size
        assert not image.getexif() and b"Exif" not in response.content
        again = await client.get(f"/photos/{digest}/{variant}", headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == response.headers["etag"]
    assert len(tags) == 2
    assert (await client.get(f"/photos/{digest}/original")).status_code == 404
    assert (await client.get(f"/photos/{digest.upper()}/display")).status_code == 404


@pytest.mark.parametrize("loss", ["deleted", "emptied"])
async def test_a_lost_derived_size_is_made_again_from_the_original(
    client: AsyncTestClient, database: Database, loss: str, media_store: str
) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    digest = await upload(client, headers, jpeg(400, 300, orientation=6))
    key = derived_key(digest, "thumb")
    before = stored_bytes(key)
    if loss == "deleted":
        photo_store().delete(key)
    else:
        photo_store().write(key, b"")  # what a power cut can leave of a file not yet flushed
    response = await client.get(f"/photos/{digest}/thumb")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).size == (240, 320)
    assert stored_bytes(key) == before == response.content
