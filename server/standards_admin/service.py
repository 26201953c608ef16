"""Installing a standards version: validate, diff against the version in force, schedule.

One path for the page and the CLI: `prepare` validates a bundle of YAML texts and says what
would change; `install` does it again inside the write transaction and stores the row with
its audit event. Refusals are `InstallRefused` with a stable code, the field at fault and a
message key (server/core/i18n/en.json, zh.json); a YAML fault keeps its file:line:key.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.audit.service import record_event
from server.core.db import utcnow
from server.core.error_codes import lookup
from server.scoring.models import ClosedMonth
from server.standards_admin.models import ORIGINS, StandardsVersion
from server.standards_admin.registry import LiveStandards
from standards import Standard, StandardsFileError
from standards.bundle import diff_versions, load_bundle


class InstallRefused(Exception):
    """A version that may not be installed: `code` (server/core/error_codes.py), `field`, the
    message `key` (the code's own unless given) and its params."""

    def __init__(self, code: str, field: str, *, key: str | None = None, **params: Any) -> None:
        key = key or lookup(code).key
        lookup(code, key)  # a code of the table, worded by one of its keys
        super().__init__(f"{code}: {params.get('detail') or key}")
        self.code, self.key, self.field, self.params = code, key, field, params


@dataclass(frozen=True)
class Prepared:
    """A validated version, the one in force before it, and what it changes."""

    standard: Standard
    files: dict[str, str]
    against: Standard | None
    diff: dict[str, Any]


def today() -> dt.date:
    """The day installs are measured from: the same clock as `StandardsSet.current()`."""
    return dt.date.today()


def _load(files: dict[str, str]) -> Standard:
    try:
        return load_bundle(files)
    except StandardsFileError as exc:
        where = f"{exc.path}:{exc.line}" if exc.line is not None else exc.path
        raise InstallRefused("standards_file_invalid", exc.key or exc.path,
                             where=where, yaml_key=exc.key or "-", detail=exc.detail) from None


async def prepare(db: AsyncSession, live: LiveStandards, files: dict[str, str], *, day: dt.date | None = None) -> Prepared:
    """Validate `files` as a new version; InstallRefused with the reason if it may not be installed."""
    if not files:
        raise InstallRefused("standards_no_files", "files")
    standard = _load(files)
    day = day or today()
    if standard.effective_from <= day:
        raise InstallRefused("standards_date_past", "effective_from",
                             date=standard.effective_from.isoformat(), today=day.isoformat())
    for other in live.versions:
        if other.version == standard.version:
            raise InstallRefused("standards_version_taken", "version",
                                 version=standard.version)
        if other.effective_from == standard.effective_from:
            raise InstallRefused("standards_date_taken", "effective_from",
                                 date=standard.effective_from.isoformat(), version=other.version)
    closed = (await db.execute(
        select(ClosedMonth.month).where(ClosedMonth.reopened_at.is_(None),
                                        ClosedMonth.month >= standard.effective_from.strftime("%Y-%m"))
        .order_by(ClosedMonth.month.desc()).limit(1)
    )).scalar_one_or_none()
    if closed is not None:
        raise InstallRefused("standards_month_closed", "effective_from",
                             date=standard.effective_from.isoformat(), month=closed)
    before = [s for s in live.versions if s.effective_from < standard.effective_from]
    against = before[-1] if before else None
    diff = diff_versions(against, standard) if against is not None else {
        "categories_added": list(standard.categories), "categories_removed": [], "clauses_added": [],
        "clauses_removed": [], "clauses_changed": [], "limits_changed": []}
    return Prepared(standard, dict(files), against, diff)


async def install(db: AsyncSession, live: LiveStandards, files: dict[str, str], *, origin: str,
                  user_id: uuid.UUID | None, request: Request[Any, Any, Any] | None = None,
                  day: dt.date | None = None) -> Prepared:
    """Validate and store `files` as a scheduled version, with its audit event (caller commits)."""
    assert origin in ORIGINS
    await live.refresh(db, force=True)  # judge clashes against what every worker installed
    prepared = await prepare(db, live, files, day=day)
    standard = prepared.standard
    row = StandardsVersion(version=standard.version, effective_from=standard.effective_from, etag=standard.etag,
                           files=prepared.files, origin=origin, status="installed", installed_by=user_id,
                           installed_at=utcnow())
    db.add(row)
    await db.flush()
    await record_event(db, user_id, "standards.install", "standards_version", standard.version, request=request,
                       details={"effective_from": standard.effective_from.isoformat(), "origin": origin,
                                "etag": standard.etag, "files": sorted(prepared.files),
                                "against": prepared.against.version if prepared.against else None,
                                "diff": prepared.diff})
    live.invalidate()
    return prepared


def version_rows(live: LiveStandards, day: dt.date) -> list[dict[str, Any]]:
    """Every version for the list: state (in force / scheduled / past), origin, install facts."""
    in_force = None
    for s in live.versions:
        if s.effective_from <= day:
            in_force = s
    out = []
    for s in reversed(live.versions):
        state = "in_force" if s is in_force else ("scheduled" if s.effective_from > day else "past")
        facts = live.installed.get(s.version, {})
        out.append({"version": s.version, "effective_from": s.effective_from, "state": state,
                    "origin": "shipped" if live.is_shipped(s) else facts.get("origin", ""),
                    "installed_at": facts.get("installed_at"), "categories": len(s.categories),
                    "clauses": len(s.clause_ids), "etag": s.etag[:12]})
    return out
