"""The standards the app judges with: the shipped versions plus the installed ones.

`LiveStandards` is a `StandardsSet` (every caller keeps using `for_date`, `current`, `get`)
whose versions are the shipped ones (standards/data or STANDARDS_DIR) and the rows of
`standards_versions`. Each worker keeps its own copy and checks a cheap fingerprint of the
table (row count and latest install time) at most every `recheck_seconds`, before a
request is handled: a version installed through another worker is seen within that time.
Installs are refused for today or earlier (service.py), so that delay never changes how a
record is judged.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from standards import Standard, StandardsSet
from standards.bundle import load_bundle

from server.standards_admin.models import StandardsVersion

log = logging.getLogger(__name__)


class LiveStandards(StandardsSet):
    """Shipped versions plus the installed ones, refreshed from the database."""

    def __init__(self, shipped: StandardsSet, recheck_seconds: float = 2.0) -> None:
        super().__init__(list(shipped.versions))
        self.shipped: tuple[Standard, ...] = shipped.versions
        self.recheck_seconds = recheck_seconds
        self.installed: dict[str, dict[str, Any]] = {}  # version -> {origin, installed_at, installed_by}
        self._fingerprint: tuple[Any, ...] | None = None
        self._checked = float("-inf")
        self._loaded: dict[uuid.UUID, Standard] = {}  # row id -> its parsed version (rows never change)

    def is_shipped(self, standard: Standard) -> bool:
        return any(s is standard for s in self.shipped)

    def invalidate(self) -> None:
        """Check the table again before the next request (after an install in this worker)."""
        self._checked = float("-inf")

    async def refresh(self, db: AsyncSession, *, force: bool = False) -> bool:
        """Reload the installed versions if the table changed; True when the set changed."""
        now = time.monotonic()
        if not force and now - self._checked < self.recheck_seconds:
            return False
        fingerprint = tuple((await db.execute(
            select(func.count(StandardsVersion.id), func.max(StandardsVersion.installed_at))
        )).one())
        self._checked = now
        if fingerprint == self._fingerprint:
            return False
        rows = (await db.execute(
            select(StandardsVersion).where(StandardsVersion.status == "installed")
            .order_by(StandardsVersion.effective_from)
        )).scalars().all()
        versions = list(self.shipped)
        installed: dict[str, dict[str, Any]] = {}
        for row in rows:
            standard = self._loaded.get(row.id)
            if standard is None:
                standard = load_bundle(dict(row.files))
                self._loaded[row.id] = standard
            if any(s.version == standard.version or s.effective_from == standard.effective_from for s in versions):
                # STANDARDS_DIR changed under an installed version: the shipped one is kept.
                log.warning("installed standards version %s clashes with a shipped one; ignored", standard.version)
                continue
            versions.append(standard)
            installed[standard.version] = {"origin": row.origin, "installed_at": row.installed_at,
                                           "installed_by": row.installed_by}
        self.versions = tuple(sorted(versions, key=lambda s: s.effective_from))
        self.installed = installed
        self._fingerprint = fingerprint
        return True


def refresh_before_request(then: Any) -> Any:
    """A `before_request` hook: run `then`, then refresh the app's standards if it is time."""

    async def hook(request: Any) -> None:
        await then(request)
        live = request.app.state.standards
        if isinstance(live, LiveStandards) and time.monotonic() - live._checked >= live.recheck_seconds:
            try:
                async with request.app.state.db.session(write=False) as db:
                    await live.refresh(db)
            except Exception:  # noqa: BLE001  database down: keep the set known, try again next request
                log.warning("standards versions not refreshed", exc_info=True)

    return hook


async def load_live(database: Any, directory: str | None) -> LiveStandards:
    """The shipped and installed versions, for a command that runs outside the app (CLI)."""
    from standards import load_standards

    live = LiveStandards(load_standards(directory or None), 0)
    async with database.session(write=False) as db:
        await live.refresh(db, force=True)
    return live
