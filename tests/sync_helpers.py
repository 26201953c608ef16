"""Helpers for the sync API tests: signed-in phones, record bodies, row counts."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from server.accounts.models import UserZone
from server.core.db import Database
from server.photos.models import Photo
from tests.conftest import sign_in
from tests.factories import PASSWORD, add_user

DEVICE = "test-phone-1"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PASSING = {"damage_pct": 0, "usable": True, "missing_pct": 0, "tilt_affects_use": False, "rust_pct": 0}
FAILING_SE1 = {**PASSING, "damage_pct": 40}


async def phone(
    client: AsyncTestClient, database: Database, username: str = "insp", *, role: str = "inspector",
    zones: list[uuid.UUID] | tuple[uuid.UUID, ...] = (), language: str | None = None,
) -> uuid.UUID:
    """Sign a new user in on `client` (with `zones` assigned) and arm it for API calls."""
    user_id = await add_user(database, username, role, language=language)
    if zones:
        async with database.session() as s:
            s.add_all(UserZone(user_id=user_id, zone_id=z) for z in zones)
    await sign_in(client, username, PASSWORD)  # leaves the fc_csrf cookie on the client
    return user_id


def api_headers(client: AsyncTestClient, lang: str | None = None, *, device: str | None = DEVICE) -> dict[str, str]:
    headers = {"X-CSRFToken": client.cookies.get("fc_csrf") or "", "Content-Type": "application/json"}
    if device:
        headers["X-Device-Id"] = device
    if lang:
        headers["Accept-Language"] = lang
    return headers


def observed(minutes_ago: float = 10) -> str:
    """An ISO time with the +08:00 offset, some minutes ago."""
    return (dt.datetime.now(SHANGHAI) - dt.timedelta(minutes=minutes_ago)).isoformat(timespec="seconds")


def inspection(asset_id: uuid.UUID, observations: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "asset_id": str(asset_id),
        "observed_at": observed(),
        "position": {"lat": 32.1051, "lon": 118.7052, "accuracy_m": 6.5},
        "observations": dict(PASSING) if observations is None else observations,
        "damages": [],
        "not_applicable": [],
        "notes": "",
        "photos": [],
        "standards_version": "2026.1",
    }
    body.update(overrides)
    return body


def record(kind: str, body: Any, record_id: uuid.UUID | str | None = None) -> dict[str, Any]:
    return {"kind": kind, "id": str(record_id or uuid.uuid4()), "body": body}


async def send(client: AsyncTestClient, *records: dict[str, Any], lang: str | None = "en") -> Any:
    """POST a batch; returns the response."""
    return await client.post("/api/sync", json={"records": list(records)}, headers=api_headers(client, lang))


async def send_one(client: AsyncTestClient, rec: dict[str, Any], lang: str | None = "en") -> Any:
    return await client.put(f"/api/sync/{rec['kind']}/{rec['id']}", json=rec["body"], headers=api_headers(client, lang))


async def count(database: Database, model: Any, *where: Any) -> int:
    async with database.session(write=False) as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def add_photo(database: Database, data: bytes = b"photo") -> str:
    """A stored photo row (the bytes themselves are not needed by the sync API)."""
    sha = hashlib.sha256(data).hexdigest()
    async with database.session() as s:
        s.add(Photo(sha256=sha, media_type="image/jpeg", size_bytes=len(data), width=10, height=10))
    return sha


async def add_asset(database: Database, zone_id: uuid.UUID, category: str, code: str, *,
                    lat: float = 32.105, lon: float = 118.705, active: bool = True) -> uuid.UUID:
    from server.assets.models import Asset

    async with database.session() as s:
        asset = Asset(zone_id=zone_id, category=category, code=code, name=f"Asset {code}", lat=lat, lon=lon,
                      qr_token=f"qr-{code}", active=active)
        s.add(asset)
        await s.flush()
        return asset.id


async def add_zone(database: Database, site_id: uuid.UUID, code: str, west: float, south: float,
                   size: float = 0.01) -> uuid.UUID:
    """A square zone with its south-west corner at (west, south)."""
    from server.sites.models import Zone

    ring = [[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]
    async with database.session() as s:
        zone = Zone(site_id=site_id, code=code, name_zh=f"区{code}", name_en=f"Zone {code}",
                    outline={"type": "Polygon", "coordinates": [ring]},
                    min_lat=south, min_lon=west, max_lat=south + size, max_lon=west + size)
        s.add(zone)
        await s.flush()
        return zone.id
