"""Issue 12 items 6 and 7 over HTTP on the demo site: the bugs people met, and htmx requests
getting the fragment (with out-of-band counts) while a plain request gets the whole page."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from tests.conftest import make_client, sign_in

PASSWORDS = {"inspector": "Inspect-2026-demo", "supervisor": "Super-2026-demo", "admin": "Manage-2026-demo",
             "green": "Lvyuan-2026-demo"}


def page(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


@pytest.fixture
async def supervisor(demo_database_url: str) -> AsyncIterator[AsyncTestClient]:
    client = make_client(demo_database_url)
    async with client:
        await sign_in(client, "supervisor", PASSWORDS["supervisor"])
        yield client


async def test_not_found_page_keeps_navigation_and_language_switch(supervisor: AsyncTestClient) -> None:
    response = await supervisor.get("/no-such-page")
    assert response.status_code == 404
    doc = page(response.text)
    # Signed in on a 404 too: the navigation and the sign-out are there.
    assert doc.select_one("nav.nav a[href='/supervise']") is not None
    assert doc.select_one("form[action='/logout']") is not None
    form = doc.select_one("form.lang-switch")
    token = form.select_one("input[name=_csrf_token]")
    assert token is not None and token["value"]
    switched = await supervisor.post("/language", data={"_csrf_token": token["value"], "lang": "en",
                                                       "next": "/no-such-page"}, follow_redirects=False)
    assert switched.status_code == 303
    # The demo database is shared by the session: put the supervisor's language back.
    token = page((await supervisor.get("/no-such-page")).text).select_one("form.lang-switch input[name=_csrf_token]")
    await supervisor.post("/language", data={"_csrf_token": token["value"], "lang": "zh", "next": "/"})


async def test_orders_list_counts_work_orders(supervisor: AsyncTestClient) -> None:
    response = await supervisor.get("/supervise/orders")
    assert response.status_code == 200
    count = page(response.text).select_one("#order-total").get_text()
    assert ("工单" in count and "缺陷" not in count) or ("work orders" in count and "defects" not in count)


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


async def test_high_severity_text_contrast(supervisor: AsyncTestClient) -> None:
    css = (await supervisor.get("/static/views.css")).text
    colour = css.split(".sev-high { color: #", 1)[1][:6]
    assert 1.05 / (_luminance(colour) + 0.05) >= 4.5


@pytest.mark.parametrize("path", ["/supervise/orders?overdue=1", "/scores/2026-10"])
async def test_htmx_request_gets_the_fragment_and_a_plain_request_the_page(supervisor: AsyncTestClient,
                                                                             path: str) -> None:
    full = await supervisor.get(path)
    assert full.status_code == 200 and "<html" in full.text and "HX-Request" in full.headers["vary"]
    fragment = await supervisor.get(path, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and "<header" not in fragment.text
    doc = page(fragment.text)
    assert doc.select_one("h1") is not None
    # The fragment's controls keep swapping in place (the form / month links carry hx-get).
    assert doc.select_one("[hx-get][hx-push-url='true'][hx-target='#main']") is not None
    restore = await supervisor.get(path, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text
