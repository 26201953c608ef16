"""In real Chromium: an admin creates a zone (a bad outline first: the error appears next to
the field, in place), a contractor, a contract of that contractor for the zone, and an
inspector of that zone — all through the admin pages, htmx swapping each answer in — and
the rows land in the database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from server.accounts.models import User, UserZone
from server.contractors.models import Contract, ContractZone, Contractor
from server.sites.models import Zone
from tests.browser.admin_steps import add_contractor_with_contract, add_inspector
from tests.browser.conftest import LiveServer, collect_errors, sign_in

pytestmark = pytest.mark.browser

ADMIN = ("admin", "Manage-2026-demo")
RING = [[118.80, 32.20], [118.81, 32.20], [118.81, 32.21], [118.80, 32.21], [118.80, 32.20]]


def test_admin_creates_zone_contractor_contract_and_inspector(context: Any, live_server: LiveServer) -> None:
    page = context.new_page()
    errors = collect_errors(page)
    sign_in(page, *ADMIN, landing="**/admin")
    page.click("nav.admin-nav a[href='/admin/zones']")
    page.click("a[href^='/admin/zones/new']")
    page.select_option("#f-site_id", index=1)
    page.fill("#f-code", "ZX")
    page.fill("#f-name_zh", "新区")
    page.fill("#f-name_en", "New zone")
    page.fill("#f-outline", '{"type": "Point", "coordinates": [118.8, 32.2]}')
    page.click("#zone-form button[type=submit]")
    page.wait_for_selector("#err-outline:not(:empty)")
    assert page.url.endswith("/admin/zones/new")  # swapped in place, no navigation
    assert page.input_value("#f-code") == "ZX"  # what was typed is still there
    page.fill("#f-outline", json.dumps({"type": "Polygon", "coordinates": [RING]}))
    page.click("#zone-form button[type=submit]")
    page.wait_for_selector("#zone-list tr[data-zone='ZX']")

    add_contractor_with_contract(page, "NEWCO", "新园林公司", "C-NEWCO", "新区养护", "ZX")
    add_inspector(page, "xiaoli", "Garden-path-2026", "小李", "ZX")

    zone = live_server.query(select(Zone.id).where(Zone.code == "ZX"))[0][0]
    contract = live_server.query(select(Contract.id, Contractor.code).join(Contractor, Contractor.id == Contract.contractor_id)
                                 .where(Contract.code == "C-NEWCO"))
    assert contract and contract[0][1] == "NEWCO"
    assert live_server.query(select(ContractZone.zone_id).where(ContractZone.contract_id == contract[0][0])) == [(zone,)]
    user = live_server.query(select(User.id, User.role).where(User.username == "xiaoli"))
    assert user and user[0][1] == "inspector"
    assert live_server.query(select(UserZone.zone_id).where(UserZone.user_id == user[0][0])) == [(zone,)]
    # The refused outline's 422 is logged by Chromium as a failed load; anything else is a fault.
    assert not [e for e in errors if "status of 422" not in e], errors
