"""The supervisor's and contractor's pages as plain forms: POST, 303, and refusals shown on
the page with their code and status; before and after side by side; the history."""

from __future__ import annotations

import re
import uuid

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from server.core.db import Database
from server.defects.models import Defect
from server.workorders.models import WorkOrder
from tests.conftest import make_client
from tests.workorder_helpers import World, build_world, signed_in


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def token(client: AsyncTestClient) -> str:
    return client.cookies.get("fc_csrf") or ""


async def issue_by_form(client: AsyncTestClient, world: World, *codes: str) -> str:
    ids = [str(world.defects[c]) for c in codes]
    form = await client.get("/supervise/orders/new?" + "&".join(f"defect={i}" for i in ids))
    assert form.status_code == 200
    doc = soup(form.text)
    contract = doc.select_one('select[name="contract_id"] option')["value"]
    answer = await client.post("/supervise/orders", data={"defect_id": ids, "contract_id": contract,
                                                          "due_at": doc.select_one("#due-at")["value"],
                                                          "_csrf_token": token(client)}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    match = re.fullmatch(r"/supervise/orders/([0-9a-f-]{36})", answer.headers["location"])
    assert match
    return match.group(1)


async def test_the_whole_round_through_the_forms(database_url: str, database: Database, world: World) -> None:
    async with make_client(database_url) as boss, make_client(database_url) as alpha:
        await signed_in(boss, "super")
        await signed_in(alpha, "alpha1")
        # The map lists the world's open defects, ticked boxes go to the order form.
        page = soup((await boss.get("/supervise/map?zone=Z1&category=seating")).text)
        assert {r["data-defect"] for r in page.select("#defect-list tbody tr")} == {
            str(world.defects["Z1-SE-1"]), str(world.defects["Z1-SE-2"])}
        order_id = await issue_by_form(boss, world, "Z1-SE-1", "Z1-SE-2")
        page = soup((await boss.get(f"/supervise/orders/{order_id}")).text)
        assert page.select_one("#order-status").text.strip() == "Issued"
        assert [li["data-action"] for li in page.select(".history li")] == ["work_order.issued"]

        home = soup((await alpha.get("/contractor")).text)
        assert [li["data-status"] for li in home.select("#order-cards li")] == ["issued"]
        mine = soup((await alpha.get(f"/contractor/orders/{order_id}")).text)
        assert mine.select_one("#accept") and not mine.select_one("#complete-form")
        assert len(mine.select(".fix-item")) == 2
        # Starting before accepting: refused on the page, 409, nothing changed.
        refused = await alpha.post(f"/contractor/orders/{order_id}/start", data={"_csrf_token": token(alpha)})
        assert refused.status_code == 409
        assert soup(refused.text).select_one('.alert.error[data-code="illegal_transition"]')
        for action in ("accept", "start"):
            done = await alpha.post(f"/contractor/orders/{order_id}/{action}", data={"_csrf_token": token(alpha)},
                                    follow_redirects=False)
            assert done.status_code == 303 and done.headers["location"] == f"/contractor/orders/{order_id}"
        mine = soup((await alpha.get(f"/contractor/orders/{order_id}")).text)
        form = mine.select_one("#complete-form")
        assert form["data-order-id"] == order_id and float(form["data-limit-m"]) == 25

        # The completion itself comes through the outbox; here straight through the service.
        from tests.test_workorders_lifecycle import take

        await take(database, world, uuid.UUID(order_id), "complete")
        review = soup((await boss.get(f"/supervise/orders/{order_id}")).text)
        pairs = review.select(".before-after")
        assert len(pairs) == 2
        for pair in pairs:
            assert pair.select("img.after-photo")  # after, next to before
            assert pair["data-status"] == "fixed"
        # Sending back without a reason: the page again, 422, the field named.
        no_reason = await boss.post(f"/supervise/orders/{order_id}/return", data={"reason": " ", "_csrf_token": token(boss)})
        assert no_reason.status_code == 422
        assert soup(no_reason.text).select_one('.alert.error[data-field="reason"]')
        back = await boss.post(f"/supervise/orders/{order_id}/return", data={"reason": "still loose", "_csrf_token": token(boss)},
                               follow_redirects=False)
        assert back.status_code == 303
        mine = soup((await alpha.get(f"/contractor/orders/{order_id}")).text)
        assert mine.select_one("#return-reason-text").text == "still loose"
        assert mine.select_one("#start") and mine.select_one("#complete-form")  # back to the contractor
        await take(database, world, uuid.UUID(order_id), "complete")
        ok = await boss.post(f"/supervise/orders/{order_id}/verify", data={"_csrf_token": token(boss)}, follow_redirects=False)
        assert ok.status_code == 303
        review = soup((await boss.get(f"/supervise/orders/{order_id}")).text)
        assert [li["data-action"] for li in review.select(".history li")] == [
            "work_order.issued", "work_order.accepted", "work_order.in_progress", "work_order.completed",
            "work_order.returned", "work_order.in_progress", "work_order.completed", "work_order.verified"]
        assert "Super" in review.select(".history li")[-1].text
    async with database.session(write=False) as db:
        assert (await db.get(WorkOrder, uuid.UUID(order_id))).status == "verified"  # type: ignore[union-attr]
        for code in ("Z1-SE-1", "Z1-SE-2"):
            assert (await db.get(Defect, world.defects[code])).status == "closed"  # type: ignore[union-attr]


async def test_refusals_on_the_order_form_keep_what_was_typed(database_url: str, world: World) -> None:
    async with make_client(database_url) as boss:
        await signed_in(boss, "super")
        mixed = [str(world.defects["Z1-SE-1"]), str(world.defects["Z1-GS-1"])]
        form = soup((await boss.get("/supervise/orders/new?" + "&".join(f"defect={i}" for i in mixed))).text)
        assert form.select_one("#no-contract") and form.select_one("#issue").has_attr("disabled")
        answer = await boss.post("/supervise/orders", data={"defect_id": mixed, "notes": "both", "_csrf_token": token(boss)})
        assert answer.status_code == 422
        doc = soup(answer.text)
        assert doc.select_one('.alert.error[data-code="no_covering_contract"]')
        assert doc.select_one("#notes").text == "both"
        empty = soup((await boss.get("/supervise/orders/new")).text)
        assert "No defect chosen" in empty.text


async def test_dismissing_a_defect_from_its_page(database_url: str, world: World) -> None:
    async with make_client(database_url) as boss:
        await signed_in(boss, "super")
        url = f"/supervise/defects/{world.defects['Z2-GS-1']}"
        refused = await boss.post(f"{url}/dismiss", data={"reason": "", "_csrf_token": token(boss)})
        assert refused.status_code == 422
        done = await boss.post(f"{url}/dismiss", data={"reason": "duplicate of another", "_csrf_token": token(boss)},
                               follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == url
        page = soup((await boss.get(url)).text)
        assert page.select_one(".defect-detail")["data-status"] == "dismissed"
        assert [li["data-action"] for li in page.select(".history li")] == ["defect.dismissed"]
        again = await boss.post(f"{url}/dismiss", data={"reason": "again", "_csrf_token": token(boss)})
        assert again.status_code == 409


async def test_pages_speak_chinese_too(database_url: str, database: Database, world: World) -> None:
    async with database.session() as db:
        from server.accounts.models import User

        user = await db.get(User, world.users["alpha1"].id)
        user.language = "zh"  # type: ignore[union-attr]
    async with make_client(database_url) as alpha:
        await signed_in(alpha, "alpha1")
        page = await alpha.get("/contractor")
        assert "我的工单" in page.text
