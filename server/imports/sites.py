"""Creating a site from the command line (`fieldcheck create-site`)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from server.core.audit.service import record_event
from server.core.db import Database
from server.sites.models import Site

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")


class SiteProblem(ValueError):
    """A site that cannot be created (bad code, taken code, unknown time zone)."""


async def create_site(db: Database, code: str, name_zh: str, name_en: str | None = None,
                      timezone: str = "Asia/Shanghai") -> Site:
    """Add a site; its map centre is set from its zones when they are imported."""
    if not CODE.fullmatch(code):
        raise SiteProblem(f"site code {code!r}: letters, digits, - and _, at most 32 characters")
    if not name_zh.strip() or len(name_zh) > 120 or (name_en and len(name_en) > 120):
        raise SiteProblem("--name: 1 to 120 characters")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SiteProblem(f"--timezone {timezone!r}: not a time zone (e.g. Asia/Shanghai)") from None
    async with db.session() as session:
        if (await session.execute(select(Site.id).where(Site.code == code))).first() is not None:
            raise SiteProblem(f"site code {code!r} is taken")
        site = Site(code=code, name_zh=name_zh.strip(), name_en=(name_en or name_zh).strip(), timezone=timezone,
                    center_lat=0.0, center_lon=0.0)
        session.add(site)
        await session.flush()
        await record_event(session, None, "site.created", "site", str(site.id),
                           details={"code": code, "timezone": timezone})
    return site
