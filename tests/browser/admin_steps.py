"""What an admin does in Chromium on the admin pages, step by step, shared by the browser
tests that set up a site (tests/browser/test_admin_flow.py, test_run_a_site.py)."""

from __future__ import annotations

from typing import Any


def add_contractor_with_contract(page: Any, code: str, name: str, contract: str, contract_name: str,
                                 zone: str, category: str = "seating") -> None:
    """A contractor, then from its row a contract of it for `zone` and `category` from 2026-01-01."""
    page.goto("/admin/contractors/new")
    page.fill("#f-code", code)
    page.fill("#f-name", name)
    page.click("#contractor-form button[type=submit]")
    page.wait_for_selector(f"#contractor-list tr[data-contractor='{code}']")
    page.click(f"#contractor-list tr[data-contractor='{code}'] a[href^='/admin/contracts/new']")
    page.fill("#f-code", contract)
    page.fill("#f-name", contract_name)
    page.fill("#f-starts_on", "2026-01-01")
    page.check(f"#f-zone_id label:has-text('{zone}') input")
    page.check(f"#f-category input[value='{category}']")
    page.click("#contract-form button[type=submit]")
    page.wait_for_selector(f"#contract-list tr[data-contract='{contract}']")


def add_inspector(page: Any, username: str, password: str, display_name: str, zone: str) -> None:
    """An inspector of the first site and of `zone`."""
    page.goto("/admin/users/new")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.fill("#f-display_name", display_name)
    page.select_option("#f-role", "inspector")
    page.check("#f-site_id input >> nth=0")
    page.check(f"#f-zone_id label:has-text('{zone}') input")
    page.click("#user-form button[type=submit]")
    page.wait_for_selector(f"#user-list tr[data-user='{username}']")
