"""Small builders for test data, written through the real models."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from server.accounts.models import User
from server.accounts.passwords import hash_password
from server.contractors.models import Contractor
from server.core.db import Database
from server.sites.models import Site, UserSite, Zone

PASSWORD = "Test-pass-2026"


async def add_user(db: Database, username: str, role: str, *, language: str | None = None) -> uuid.UUID:
    """A user with password PASSWORD; contractor users get a company of their own."""
    async with db.session() as s:
        contractor_id = None
        if role == "contractor":
            company = Contractor(code=f"CO-{username}", name=f"{username} Ltd")
            s.add(company)
            await s.flush()
            contractor_id = company.id
        user = User(
            username=username,
            display_name=username.title(),
            password_hash=hash_password(PASSWORD),
            role=role,
            contractor_id=contractor_id,
            language=language,
        )
        s.add(user)
        await s.flush()
        if role != "admin":  # test users work in every site there is (and the ones added later)
            s.add_all(UserSite(user_id=user.id, site_id=site_id) for site_id in await s.scalars(select(Site.id)))
        return user.id


async def add_site_with_asset(db: Database, *, category: str = "seating") -> dict[str, uuid.UUID]:
    """A site, one square zone near the demo river, one asset in it. Returns their ids."""
    from server.assets.models import Asset

    ring = [[118.70, 32.10], [118.71, 32.10], [118.71, 32.11], [118.70, 32.11], [118.70, 32.10]]
    async with db.session() as s:
        site = Site(code="T", name_zh="测试", name_en="Test", center_lat=32.105, center_lon=118.705)
        s.add(site)
        await s.flush()
        s.add_all(UserSite(user_id=user_id, site_id=site.id)
                  for user_id in await s.scalars(select(User.id).where(User.role != "admin")))
        zone = Zone(
            site_id=site.id, code="Z", name_zh="区", name_en="Zone",
            outline={"type": "Polygon", "coordinates": [ring]},
            min_lat=32.10, min_lon=118.70, max_lat=32.11, max_lon=118.71,
        )
        s.add(zone)
        await s.flush()
        asset = Asset(zone_id=zone.id, category=category, code="Z-1", name="Bench 1", lat=32.105, lon=118.705, qr_token="qr-z-1")
        s.add(asset)
        await s.flush()
        return {"site": site.id, "zone": zone.id, "asset": asset.id}
