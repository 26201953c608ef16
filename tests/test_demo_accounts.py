"""Every demo account signs in and lands on its own page, with the demo data on it."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from server.demo import DEMO_ACCOUNTS
from server.home import LANDING
from tests.conftest import sign_in


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=[a[0] for a in DEMO_ACCOUNTS])
async def test_demo_account_lands_on_its_page(demo_client: AsyncTestClient, account: tuple) -> None:
    username, password, role = account[0], account[1], account[2]
    await sign_in(demo_client, username, password)
    home = await demo_client.get("/", follow_redirects=False)
    assert home.headers["location"] == LANDING[role]
    page = await demo_client.get(LANDING[role], headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.text
    if role == "inspector":
        assert text.count('class="tile"') >= 3  # three zones each
        assert "verdict-" in text  # recent inspections of their own
    elif role == "supervisor":
        assert text.count("data-zone=") == 5
    elif role == "contractor":
        assert "data-order=" in text
    elif role == "admin":
        assert text.count("data-user=") == len(DEMO_ACCOUNTS)


async def test_contractors_see_only_their_own_orders(demo_client: AsyncTestClient) -> None:
    seen: dict[str, set[str]] = {}
    for username, password, role, *_ in DEMO_ACCOUNTS:
        if role != "contractor":
            continue
        demo_client.cookies.clear()
        await sign_in(demo_client, username, password)
        page = (await demo_client.get("/contractor")).text
        seen[username] = {part.split('"')[1] for part in page.split("data-order=")[1:]}
        assert seen[username]
    first, second = seen.values()
    assert not first & second
