"""Issue 12 item 6 over HTTP: the map's filters, the order and defect actions and the month
switch answer an htmx request with the fragment (its <title>, the top bar's count out of
band) and a plain request with the whole page or a 303 — JavaScript off still works."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from server.core.config import DatabaseSettings
from server.core.db import Database
from server.defects.models import Defect
from server.demo import load_demo
from server.workorders.models import WorkOrder
from tests.conftest import DEMO_TODAY, make_client, sign_in

HX = {"HX-Request": "true"}


def page(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


@pytest.fixture
async def demo_copy(database_url: str) -> AsyncIterator[Database]:
    """A demo site of this test's own: the actions below change it."""
    db = Database.connect(DatabaseSettings(url=database_url))
    await load_demo(db, today=DEMO_TODAY)
    yield db
    await db.dispose()


@pytest.fixture
async def supervisor(demo_copy: Database, database_url: str) -> AsyncIterator[AsyncTestClient]:
    client = make_client(database_url)
    async with client:
        await sign_in(client, "supervisor", "Super-2026-demo")
        yield client


def nav_count(html: str) -> int:
    badge = page(html).select_one("#nav-count")
    assert badge is not None, "no count of orders to review"
    return int(badge["data-count"])


async def token(client: AsyncTestClient, path: str) -> str:
    found = page((await client.get(path)).text).select_one("input[name=_csrf_token]")
    assert found is not None
    return str(found["value"])


async def test_map_filter_fragment_holds_the_list_the_points_address_and_oob_parts(supervisor: AsyncTestClient) -> None:
    full = await supervisor.get("/supervise/map?severity=urgent")
    assert full.status_code == 200 and "<html" in full.text and "HX-Request" in full.headers["vary"]
    form = page(full.text).select_one("form.filters")
    assert form["hx-get"] == "/supervise/map" and form["hx-target"] == "#map-results" and form["hx-push-url"] == "true"
    swap = await supervisor.get("/supervise/map?severity=urgent", headers={**HX, "HX-Target": "map-results"})
    assert swap.status_code == 200 and "<html" not in swap.text and "<header" not in swap.text
    doc = page(swap.text)
    results = doc.select_one("#map-results")
    # map.js redraws the points from this address: the same filter as the list.
    assert results is not None and "severity=urgent" in results["data-defects"]
    severities = {tr["data-severity"] for tr in results.select("tr[data-defect]")}
    assert severities == {"urgent"}
    assert doc.find("title", recursive=False) is not None  # the page's title, set by htmx
    assert doc.select_one("#filters-active[hx-swap-oob=true]").get_text() == "1"
    assert doc.select_one("#nav-count[hx-swap-oob=true]") is not None
    # The back button: htmx reloads (refreshOnHistoryMiss), and a history restore gets the page.
    restore = await supervisor.get("/supervise/map?severity=urgent", headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text
    assert '"refreshOnHistoryMiss": true' in full.text


async def test_verify_in_place_updates_the_count_and_works_as_a_plain_form(supervisor: AsyncTestClient,
                                                                            demo_copy: Database) -> None:
    async with demo_copy.session() as s:
        completed = list((await s.execute(select(WorkOrder.id).where(WorkOrder.status == "completed")
                                          .order_by(WorkOrder.code))).scalars())
    assert len(completed) >= 2
    first, second = completed[:2]
    before = nav_count((await supervisor.get("/supervise")).text)
    assert before == len(completed)
    form = page((await supervisor.get(f"/supervise/orders/{first}")).text).select_one("form[action$='/verify']")
    assert form["hx-post"] == f"/supervise/orders/{first}/verify" and form["hx-target"] == "#main"
    # htmx: the POST's 303 is followed with HX-Request kept, and the order's fragment comes back
    # with the count out of band, one fewer.
    done = await supervisor.post(f"/supervise/orders/{first}/verify", headers=HX,
                                 data={"_csrf_token": await token(supervisor, f"/supervise/orders/{first}")})
    assert done.status_code == 200 and "<html" not in done.text
    doc = page(done.text)
    assert doc.select_one("#nav-count[hx-swap-oob=true]")["data-count"] == str(before - 1)
    assert doc.select_one("form[action$='/verify']") is None  # verified: no more verify
    # JavaScript off: a plain form post answers 303 to the order's page.
    plain = await supervisor.post(f"/supervise/orders/{second}/verify", follow_redirects=False,
                                  data={"_csrf_token": await token(supervisor, f"/supervise/orders/{second}")})
    assert plain.status_code == 303 and plain.headers["location"] == f"/supervise/orders/{second}"
    assert nav_count((await supervisor.get("/supervise")).text) == before - 2
    async with demo_copy.session() as s:
        states = dict((await s.execute(select(WorkOrder.id, WorkOrder.status)
                                       .where(WorkOrder.id.in_([first, second])))).all())
    assert states == {first: "verified", second: "verified"}


async def test_dismiss_in_place_swaps_the_defect_and_a_bad_one_changes_nothing(supervisor: AsyncTestClient,
                                                                                demo_copy: Database) -> None:
    async with demo_copy.session() as s:
        defect_id = (await s.execute(select(Defect.id).where(Defect.status == "open").order_by(Defect.opened_at)
                                     .limit(1))).scalar_one()
    path = f"/supervise/defects/{defect_id}"
    form = page((await supervisor.get(path)).text).select_one("form[action$='/dismiss']")
    assert form["hx-target"] == "closest article.defect-detail" and form["hx-swap"] == "outerHTML"
    csrf = await token(supervisor, path)
    # No reason: refused naming the field, the defect stays open.
    refused = await supervisor.post(f"{path}/dismiss", headers=HX, data={"_csrf_token": csrf, "reason": ""})
    assert refused.status_code == 422
    async with demo_copy.session() as s:
        assert (await s.get(Defect, defect_id)).status == "open"
    done = await supervisor.post(f"{path}/dismiss", headers=HX, data={"_csrf_token": csrf, "reason": "Duplicate / 重复"})
    assert done.status_code == 200
    article = page(done.text).select_one("article.defect-detail")
    assert article is not None and article["data-status"] == "dismissed"


async def test_month_form_swaps_main_and_redirects_without_js(supervisor: AsyncTestClient) -> None:
    form = page((await supervisor.get("/scores/2026-10")).text).select_one("form.month-picker")
    assert form["hx-get"] == "/scores" and form["hx-target"] == "#main" and form["hx-push-url"] == "true"
    plain = await supervisor.get("/scores?month=2026-09", follow_redirects=False)
    assert plain.status_code in (302, 303) and plain.headers["location"].endswith("/scores/2026-09")
    swapped = await supervisor.get("/scores?month=2026-09", headers={**HX, "HX-Target": "main"})
    doc = page(swapped.text)
    assert swapped.status_code == 200 and "<html" not in swapped.text
    assert doc.find("title", recursive=False) is not None and doc.select_one("#month-input")["value"] == "2026-09"
