"""The database itself: migrations, SQLite set-up, constraints that protect the data."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from server.core.audit.models import AuditEvent
from server.core.db import Database, utcnow
from server.defects.models import Defect
from server.inspections.models import Inspection
from server.migrate import alembic_config, upgrade
from tests.conftest import BACKEND
from tests.factories import add_site_with_asset, add_user


async def _inspection(db: Database, asset_id: uuid.UUID, inspector_id: uuid.UUID) -> uuid.UUID:
    async with db.session() as s:
        i = Inspection(
            id=uuid.uuid4(), asset_id=asset_id, inspector_id=inspector_id, observed_at=utcnow(),
            observations={}, damages=[], not_applicable=[], standards_version="2026.1",
            verdict="non_compliant", content_hash=hashlib.sha256(b"x").hexdigest(),
        )
        s.add(i)
        return i.id


def _defect(asset_id: uuid.UUID, zone_id: uuid.UUID, inspection_id: uuid.UUID, status: str = "open") -> Defect:
    return Defect(
        asset_id=asset_id, zone_id=zone_id, category="seating", clause_id="SE-1", severity="normal",
        status=status, lat=32.1, lon=118.7, respond_by=utcnow() + dt.timedelta(days=7),
        opened_by_inspection_id=inspection_id, last_inspection_id=inspection_id,
    )


async def test_one_active_defect_per_asset_and_clause(database: Database) -> None:
    ids = await add_site_with_asset(database)
    user = await add_user(database, "insp", "inspector")
    first = await _inspection(database, ids["asset"], user)
    async with database.session() as s:
        s.add(_defect(ids["asset"], ids["zone"], first))
    with pytest.raises(IntegrityError):
        async with database.session() as s:
            s.add(_defect(ids["asset"], ids["zone"], first))
    # Once the first is closed, the same clause may fail again as a new defect.
    async with database.session() as s:
        await s.execute(update(Defect).values(status="closed", closed_at=utcnow()))
        s.add(_defect(ids["asset"], ids["zone"], first))
    async with database.session(write=False) as s:
        assert await s.scalar(select(func.count()).select_from(Defect)) == 2


async def test_dismissal_needs_a_reason(database: Database) -> None:
    ids = await add_site_with_asset(database)
    user = await add_user(database, "insp", "inspector")
    inspection = await _inspection(database, ids["asset"], user)
    with pytest.raises(IntegrityError):
        async with database.session() as s:
            s.add(_defect(ids["asset"], ids["zone"], inspection, status="dismissed"))


async def test_audit_events_cannot_be_changed_or_deleted(database: Database) -> None:
    async with database.session() as s:
        s.add(AuditEvent(action="test.event", entity_type="test", entity_id="1", details={}))
    statements = ["UPDATE audit_events SET action = 'forged'", "DELETE FROM audit_events"]
    if not database.settings.is_sqlite:  # a TRUNCATE fires no row trigger: a statement trigger refuses it
        statements.append("TRUNCATE audit_events")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            async with database.session() as s:
                await s.execute(text(statement))
    async with database.session(write=False) as s:
        assert await s.scalar(select(AuditEvent.action)) == "test.event"


async def test_positions_off_the_planet_are_refused_by_the_database(database: Database) -> None:
    from server.assets.models import Asset

    ids = await add_site_with_asset(database)
    with pytest.raises(IntegrityError):
        async with database.session() as s:
            s.add(Asset(zone_id=ids["zone"], category="seating", code="BAD", name="x", lat=95.0, lon=0.0, qr_token="bad"))


async def test_concurrent_writers_never_see_database_is_locked(database: Database) -> None:
    """Forty read-then-write transactions at once: each takes its turn, none fails."""
    ids = await add_site_with_asset(database)

    async def bump(n: int) -> None:
        async with database.session() as s:
            # Read first, then write: the pattern that fails with deferred transactions.
            name = await s.scalar(select(AuditEvent.action).limit(1))
            await asyncio.sleep(0.001)
            s.add(AuditEvent(action=f"w{n}", entity_type="asset", entity_id=str(ids["asset"]), details={"saw": name}))

    await asyncio.gather(*(bump(n) for n in range(40)))
    async with database.session(write=False) as s:
        assert await s.scalar(select(func.count()).select_from(AuditEvent)) == 40


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite set-up only")
async def test_sqlite_runs_in_wal_with_foreign_keys(database: Database) -> None:
    async with database.session(write=False) as s:
        assert (await s.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await s.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await s.execute(text("PRAGMA busy_timeout"))).scalar() >= 5000


async def test_foreign_keys_are_enforced(database: Database) -> None:
    from server.assets.models import Asset

    with pytest.raises(IntegrityError):
        async with database.session() as s:
            s.add(Asset(zone_id=uuid.uuid4(), category="seating", code="X", name="x", lat=1, lon=1, qr_token="x"))


def _schema(database_url: str) -> dict[str, Any]:
    """Every table's columns (type, nullability, default), keys (with their ON DELETE/UPDATE),
    indexes, unique and check constraints, and the triggers (and, on PostgreSQL, the functions
    and enum types) — as the database itself reports them."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import create_async_engine

    def read(connection: Connection) -> dict[str, Any]:
        look = inspect(connection)
        tables: dict[str, Any] = {
            table: {
                "columns": [(c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in look.get_columns(table)],
                "primary_key": look.get_pk_constraint(table)["constrained_columns"],
                "foreign_keys": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]),
                     tuple(sorted((f.get("options") or {}).items())))
                    for f in look.get_foreign_keys(table)
                ),
                "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in look.get_indexes(table)),
                "unique": sorted((str(u["name"]), tuple(u["column_names"])) for u in look.get_unique_constraints(table)),
                "checks": sorted(str(c["sqltext"]) for c in look.get_check_constraints(table)),
            }
            for table in sorted(look.get_table_names())
        }
        if connection.dialect.name == "sqlite":
            triggers = connection.execute(text(
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")).all()
            extra: dict[str, Any] = {"triggers": [tuple(t) for t in triggers]}
        else:
            triggers = connection.execute(text(
                "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal ORDER BY t.tgname")).all()
            functions = connection.execute(text(
                "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = current_schema() ORDER BY p.proname")).all()
            extra = {"triggers": [tuple(t) for t in triggers], "functions": [tuple(f) for f in functions],
                     "enums": sorted((e["name"], tuple(e["labels"])) for e in look.get_enums())}
        return {"tables": tables, **extra}

    async def run() -> dict[str, Any]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(read)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _empty(schema: dict[str, Any]) -> bool:
    """Nothing of any migration left: no table but Alembic's own, no trigger, function or type."""
    return set(schema["tables"]) <= {"alembic_version"} and not any(
        schema[key] for key in ("triggers", "functions", "enums") if key in schema)


def test_migrations_go_down_and_up_again(database_url: str) -> None:
    """Every migration's downgrade gives back exactly the schema from before its upgrade, one
    step at a time (going to base at once would hide a downgrade that leaves a column or an
    index behind in a table an older downgrade then drops), and upgrading again gives the same."""
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config(database_url)
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]  # oldest first
    assert len(revisions) >= 12 and script.get_revision(revisions[0]).down_revision is None

    head = _schema(database_url)
    assert {"assets", "inspections", "defects", "work_orders", "users", "audit_events"} <= set(head["tables"])
    assert head["triggers"]  # the audit log's append-only triggers are part of what is compared
    command.downgrade(config, "base")
    assert _empty(_schema(database_url))

    at: dict[str, dict[str, Any]] = {}  # each revision's schema, on the way up
    for revision in revisions:
        command.upgrade(config, revision)
        at[revision] = _schema(database_url)
    assert at[revisions[-1]] == head
    assert len({repr(s) for s in at.values()}) > len(revisions) // 2  # the steps do change the schema

    for newer, older in zip(reversed(revisions), reversed([None, *revisions[:-1]])):
        command.downgrade(config, "-1")
        now = _schema(database_url)
        if older is None:
            assert _empty(now), f"downgrade of {newer} leaves {now}"
        else:
            assert now == at[older], f"downgrade of {newer} does not give back the schema of {older}"

    upgrade(database_url)
    assert _schema(database_url) == head
