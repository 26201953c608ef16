"""A small world for the work-order tests, written through the real models.

Two zones side by side near the demo river; in each, benches (seating) and a lawn
(green_space), each with one open defect from a failing inspection. Two contractor
companies: ALPHA (contract: Z1 and Z2 × seating) with two users, BETA (contract: Z1 ×
green_space) with one. A supervisor, an inspector, an admin. Everyone's password is
`tests.factories.PASSWORD`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from litestar.testing import AsyncTestClient

from server.core.identity import CurrentUser, SiteChoice
from server.accounts.models import User
from server.accounts.passwords import hash_password
from server.assets.models import Asset
from server.contractors.models import Contract, ContractCategory, Contractor, ContractZone
from server.core.db import Database, utcnow
from server.defects.models import Defect, DefectEvidence
from server.inspections.models import Inspection
from server.photos.models import Photo
from server.sites.models import Site, UserSite, Zone
from tests.conftest import sign_in
from tests.factories import PASSWORD

_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once for every user


@dataclass
class World:
    site: uuid.UUID
    zones: dict[str, uuid.UUID]
    assets: dict[str, uuid.UUID]
    defects: dict[str, uuid.UUID]  # asset code → its open defect
    positions: dict[str, tuple[float, float]]  # asset code → (lat, lon)
    users: dict[str, CurrentUser] = field(default_factory=dict)
    contractors: dict[str, uuid.UUID] = field(default_factory=dict)
    contracts: dict[str, uuid.UUID] = field(default_factory=dict)


def square(lon0: float, lat0: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[lon0, lat0], [lon0 + size, lat0], [lon0 + size, lat0 + size], [lon0, lat0 + size], [lon0, lat0]]
    return {"type": "Polygon", "coordinates": [ring]}


ASSETS = [  # code, zone, category, lat, lon, clause, severity
    ("Z1-SE-1", "Z1", "seating", 32.1020, 118.7020, "SE-1", "normal"),
    ("Z1-SE-2", "Z1", "seating", 32.1060, 118.7070, "SE-2", "normal"),
    ("Z1-GS-1", "Z1", "green_space", 32.1040, 118.7040, "GS-1", "normal"),
    ("Z2-SE-1", "Z2", "seating", 32.1050, 118.7150, "SE-1", "normal"),
    ("Z2-GS-1", "Z2", "green_space", 32.1030, 118.7130, "GS-1", "normal"),
]


async def build_world(database: Database) -> World:
    now = utcnow()
    async with database.session() as s:
        site = Site(code="T", name_zh="测试", name_en="Test", center_lat=32.105, center_lon=118.71)
        s.add(site)
        await s.flush()
        zones = {}
        for code, lon0 in (("Z1", 118.70), ("Z2", 118.71)):
            z = Zone(site_id=site.id, code=code, name_zh=f"{code}区", name_en=f"Zone {code}", outline=square(lon0, 32.10),
                     min_lat=32.10, min_lon=lon0, max_lat=32.11, max_lon=lon0 + 0.01)
            s.add(z)
            await s.flush()
            zones[code] = z.id
        people = [("super", "supervisor", None), ("insp", "inspector", None), ("admin", "admin", None),
                  ("alpha1", "contractor", "ALPHA"), ("alpha2", "contractor", "ALPHA"), ("beta1", "contractor", "BETA")]
        companies = {}
        for code in ("ALPHA", "BETA"):
            c = Contractor(code=code, name=f"{code} Ltd")
            s.add(c)
            await s.flush()
            companies[code] = c.id
        users = {}
        for username, role, company in people:
            u = User(username=username, display_name=username.title(), password_hash=_HASH, role=role,
                     contractor_id=companies.get(company) if company else None, language="en")
            s.add(u)
            await s.flush()
            if role != "admin":
                s.add(UserSite(user_id=u.id, site_id=site.id))
            users[username] = CurrentUser(u.id, username, u.display_name, role, u.contractor_id, "en",
                                          (SiteChoice(site.id, site.code, site.name_zh, site.name_en),), site.id)
        contracts = {}
        for code, company, zone_codes, cats in (("C-ALPHA", "ALPHA", ("Z1", "Z2"), ("seating",)),
                                                ("C-BETA", "BETA", ("Z1",), ("green_space",))):
            k = Contract(code=code, contractor_id=companies[company], name=code, starts_on=dt.date(2020, 1, 1))
            s.add(k)
            await s.flush()
            s.add_all(ContractZone(contract_id=k.id, zone_id=zones[z]) for z in zone_codes)
            s.add_all(ContractCategory(contract_id=k.id, category=c) for c in cats)
            contracts[code] = k.id
        assets, defects, positions = {}, {}, {}
        opened = now - dt.timedelta(days=2)
        for code, zone, cat, lat, lon, clause, severity in ASSETS:
            a = Asset(zone_id=zones[zone], category=cat, code=code, name=f"Asset {code}", lat=lat, lon=lon,
                      qr_token=f"qr-{code.lower()}")
            s.add(a)
            await s.flush()
            insp = Inspection(id=uuid.uuid4(), asset_id=a.id, inspector_id=users["insp"].id, observed_at=opened,
                              received_at=opened, lat=lat, lon=lon, accuracy_m=5, observations={}, damages=[],
                              not_applicable=[], notes="", standards_version="2026.1", verdict="non_compliant",
                              content_hash="0" * 64)
            s.add(insp)
            await s.flush()
            d = Defect(asset_id=a.id, zone_id=zones[zone], category=cat, clause_id=clause, severity=severity,
                       status="open", lat=lat, lon=lon, opened_at=opened, respond_by=opened + dt.timedelta(days=7),
                       opened_by_inspection_id=insp.id, last_inspection_id=insp.id)
            s.add(d)
            await s.flush()
            s.add(DefectEvidence(defect_id=d.id, inspection_id=insp.id))
            assets[code], defects[code], positions[code] = a.id, d.id, (lat, lon)
    world = World(site.id, zones, assets, defects, positions, users, companies, contracts)
    return world


async def add_photo(database: Database, seed: str, *, exif_taken_at: dt.datetime | None = None) -> str:
    """A photo row (no file needed: proof of fix reads the row), named by a made-up SHA-256."""
    sha = hashlib.sha256(seed.encode()).hexdigest()
    async with database.session() as s:
        if await s.get(Photo, sha) is None:
            s.add(Photo(sha256=sha, media_type="image/jpeg", size_bytes=1000, width=1600, height=1200,
                        exif_taken_at=exif_taken_at))
    return sha


async def signed_in(client: AsyncTestClient, username: str) -> AsyncTestClient:
    await sign_in(client, username, PASSWORD)
    return client


def api_headers(client: AsyncTestClient) -> dict[str, str]:
    return {"X-CSRFToken": client.cookies.get("fc_csrf") or "", "Content-Type": "application/json",
            "Accept-Language": "en", "X-Device-Id": "test-device"}


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")
