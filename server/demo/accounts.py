"""The demo's people and companies: accounts for every role, two contractors, their contracts."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from server.accounts.models import Role


class DemoAccount(NamedTuple):
    """One demo sign-in. The passwords are public on purpose: this is demo data.

    Each passes `password_problem()`, which refuses a password containing its username:
    hence "Manage-…" for admin and the companies' pinyin (绿源 Lvyuan, 城建 Chengjian)
    for the contractor users, rather than "Admin-…", "Green-…", "Civil-…".
    """

    username: str
    password: str
    role: str
    display_name: str
    contractor_code: str | None


DEMO_ACCOUNTS: list[DemoAccount] = [
    DemoAccount("admin", "Manage-2026-demo", Role.admin.value, "系统管理员 Administrator", None),
    DemoAccount("supervisor", "Super-2026-demo", Role.supervisor.value, "王主管 Supervisor Wang", None),
    DemoAccount("inspector", "Inspect-2026-demo", Role.inspector.value, "李巡查 Inspector Li", None),
    DemoAccount("inspector2", "Inspect-2026-demo2", Role.inspector.value, "张巡查 Inspector Zhang", None),
    DemoAccount("green", "Lvyuan-2026-demo", Role.contractor.value, "绿源园林 陈工 Chen (GREEN)", "GREEN"),
    DemoAccount("civil", "Chengjian-2026-demo", Role.contractor.value, "城建市政 赵工 Zhao (CIVIL)", "CIVIL"),
]

# The zones each inspector covers (UserZone rows: what "download for offline" stores).
INSPECTOR_ZONES: dict[str, tuple[str, ...]] = {
    "inspector": ("Z1", "Z2", "Z3"),
    "inspector2": ("Z3", "Z4", "Z5"),
}

# The phone each inspector carries, recorded as the device of their inspections.
INSPECTOR_DEVICES: dict[str, str] = {"inspector": "demo-phone-1", "inspector2": "demo-phone-2"}


class DemoContractor(NamedTuple):
    code: str
    name: str


class DemoContract(NamedTuple):
    code: str
    contractor_code: str
    name: str
    starts_on: dt.date
    zones: tuple[str, ...]
    categories: tuple[str, ...]


DEMO_CONTRACTORS: list[DemoContractor] = [
    DemoContractor("GREEN", "绿源园林"),
    DemoContractor("CIVIL", "城建市政"),
]

LANDSCAPING = ("green_space", "heritage_tree", "tree_guard", "planter")
FACILITIES = ("road_asphalt", "road_concrete", "sidewalk", "sculpture", "seating")

CONTRACT_START = dt.date(2026, 1, 1)

DEMO_CONTRACTS: list[DemoContract] = [
    DemoContract(
        "C-GREEN-2026", "GREEN", "2026年园林绿化养护合同 Landscaping maintenance 2026",
        CONTRACT_START, ("Z1", "Z2", "Z3"), LANDSCAPING,
    ),
    DemoContract(
        "C-CIVIL-2026", "CIVIL", "2026年市政设施维修合同 Facilities maintenance 2026",
        CONTRACT_START, ("Z2", "Z3", "Z4", "Z5"), FACILITIES,
    ),
]


def covering_contract(zone_code: str, category: str) -> DemoContract | None:
    """The contract whose zones and categories both include this asset's, if any."""
    for contract in DEMO_CONTRACTS:
        if zone_code in contract.zones and category in contract.categories:
            return contract
    return None
