"""Importing zones and assets into a site: one path for the CLI and the page `/admin/import`.

The file is read a batch at a time (`BATCH_SIZE` features), so memory stays bounded
however large it is. Each batch is checked (`checks`), compared with what the register
holds by code in one query, and written in one transaction with executemany inserts and
updates: a feature is written whole or refused whole, never half. A rerun of the same file
finds every feature unchanged and writes nothing. `--retire-missing` retires the site's
active assets whose codes the file does not hold (refused features count as present, so a
typo never retires anything). A dry run does every check and writes nothing.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import shapely
from shapely.geometry import shape
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.assets.models import Asset
from server.core.audit.service import record_event
from server.core.db import Database, utcnow
from server.core.i18n import translate
from server.imports.checks import AssetChecker, AssetRow, Refusal, SiteZone, ZoneChecker, ZoneFinder
from server.imports.columns import ASSET_FIELDS, ZONE_FIELDS, ColumnProblem, match_columns, parse_field_options
from server.imports.crs import WGS84, CrsProblem, SourceCrs, parse_crs
from server.imports.reading import Batch, ReadProblem, Source, open_source
from server.sites.models import Site, Zone
from standards import Standard

BATCH_SIZE = 5000
PREVIEW_FEATURES = 2000  # features kept for the preview map; the counts cover them all
KINDS = ("assets", "zones")
Progress = Callable[[int, int | None], None]


class ImportProblem(Exception):
    """The import cannot run at all: a message key and its params (one clear message)."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def message(self, lang: str = "en") -> str:
        return translate(lang, self.key, **self.params)


@dataclass(frozen=True)
class ImportOptions:
    kind: str  # "assets" or "zones"
    site: str
    layer: str | None = None
    crs: str | None = None
    fields: tuple[str, ...] = ()
    dry_run: bool = False
    retire_missing: bool = False
    user_id: uuid.UUID | None = None
    batch_size: int = BATCH_SIZE


@dataclass
class ImportReport:
    """What an import did (or, dry, would do)."""

    kind: str
    site: str
    file: str
    layer: str | None
    crs: str
    total: int | None
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    read: int = 0
    refused: list[Refusal] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self, lang: str = "en") -> dict[str, Any]:
        """The `--json` object, exactly: counts and the refused features with their messages."""
        return {
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged, "retired": self.retired,
            "refused": [{"feature": r.feature, "field": r.field, "code": r.code,
                         "message": refusal_message(r, lang)} for r in self.refused],
        }


def refusal_message(refusal: Refusal, lang: str) -> str:
    text = translate(lang, f"imports.{refusal.code}", **{"field": refusal.field, **refusal.params})
    asset = refusal.params.get("asset")
    return translate(lang, "imports.refused_asset", code=asset, message=text) if asset else text


async def run_import(db: Database, standard: Standard, path: Path, options: ImportOptions,
                     progress: Progress | None = None) -> ImportReport:
    """Import the file at `path` into the site (see the module docstring); ImportProblem if it cannot run."""
    if options.kind not in KINDS:
        raise ImportProblem("imports.unknown_kind", kind=options.kind)
    async with db.session(write=False) as session:
        site = (await session.execute(select(Site).where(Site.code == options.site))).scalar_one_or_none()
        if site is None:
            raise ImportProblem("imports.unknown_site", site=options.site)
        zones = await _site_zones(session, site.id)
    try:
        source = await asyncio.to_thread(open_source, path, options.layer)
    except ReadProblem as exc:
        raise ImportProblem("imports.unreadable", detail=str(exc)) from None
    crs = _source_crs(source, options)
    aliases = ASSET_FIELDS if options.kind == "assets" else ZONE_FIELDS
    try:
        columns = match_columns(source.columns, aliases, parse_field_options(options.fields, aliases))
    except ColumnProblem as exc:
        raise ImportProblem("imports.bad_field_option", detail=str(exc)) from None
    needed = ["code"] + (["category"] if options.kind == "assets" else []) + (["lon", "lat"] if source.tabular else [])
    for target in needed:
        if columns.get(target) is None:
            raise ImportProblem("imports.no_column", target=target, names=" / ".join(aliases[target][:6]),
                                columns=", ".join(source.columns) or "—")
    report = ImportReport(options.kind, site.code, path.name, source.layer, crs.label, source.total, options.dry_run)
    if options.kind == "assets":
        writer: _Writer = _AssetWriter(db, site, report, options, AssetChecker(standard, columns, crs, ZoneFinder(zones)))
    else:
        writer = _ZoneWriter(db, site, report, options, ZoneChecker(columns, crs), zones)
    batches = source.batches(options.batch_size)
    while (batch := await asyncio.to_thread(_next, batches)) is not None:
        await writer.write(batch)
        report.read += len(batch.positions)
        if progress is not None:
            progress(report.read, source.total)
    await writer.finish()
    return report


def _next(batches: Iterator[Batch]) -> Batch | None:
    try:
        return next(batches)
    except ReadProblem as exc:
        raise ImportProblem("imports.unreadable", detail=str(exc)) from None
    except StopIteration:
        return None


def _source_crs(source: Source, options: ImportOptions) -> SourceCrs:
    if options.crs:
        try:
            return parse_crs(options.crs)
        except CrsProblem as exc:
            raise ImportProblem("imports.bad_crs", detail=str(exc)) from None
    if source.crs is not None:
        return source.crs
    if source.tabular:
        return SourceCrs(crs=WGS84)  # longitude/latitude columns: WGS 84 unless --crs says otherwise
    raise ImportProblem("imports.no_crs", file=source.path.name)


async def _site_zones(session: AsyncSession, site_id: uuid.UUID) -> list[SiteZone]:
    rows = await session.execute(select(Zone.id, Zone.code, Zone.name_zh, Zone.name_en, Zone.outline)
                                 .where(Zone.site_id == site_id).order_by(Zone.code))
    zones = []
    for zone_id, code, name_zh, name_en, outline in rows:
        polygon = shape(outline)
        shapely.prepare(polygon)
        zones.append(SiteZone(zone_id, code, name_zh, name_en, polygon))
    return zones


class _Writer:
    def __init__(self, db: Database, site: Site, report: ImportReport, options: ImportOptions) -> None:
        self.db = db
        self.site = site
        self.report = report
        self.options = options
        self.seen: set[str] = set()  # codes in the file so far (refused ones too)

    async def write(self, batch: Batch) -> None:
        raise NotImplementedError

    async def finish(self) -> None:
        if not self.options.dry_run:
            async with self.db.session() as session:
                r = self.report
                await record_event(session, self.options.user_id, f"import.{r.kind}", "site", str(self.site.id), details={
                    "file": r.file, "layer": r.layer, "crs": r.crs, "created": r.created, "updated": r.updated,
                    "unchanged": r.unchanged, "retired": r.retired, "refused": len(r.refused),
                })

    def _dedupe(self, rows: list[Any], refused: list[Refusal]) -> list[Any]:
        """Drop (refuse) a code the file already had; remember every code seen."""
        kept = []
        for refusal in refused:
            if refusal.params.get("asset"):
                self.seen.add(refusal.params["asset"])
        for row in rows:
            if row.code in self.seen:
                refused.append(Refusal(row.position, "code", "duplicate_code", {"asset": row.code}))
            else:
                self.seen.add(row.code)
                kept.append(row)
        return kept

    def _preview(self, geometry: Any, code: str, status: str) -> None:
        if len(self.report.preview) < PREVIEW_FEATURES and geometry is not None:
            self.report.preview.append({"type": "Feature", "geometry": shapely.geometry.mapping(geometry),
                                        "properties": {"code": code, "status": status}})


class _AssetWriter(_Writer):
    def __init__(self, db: Database, site: Site, report: ImportReport, options: ImportOptions, checker: AssetChecker) -> None:
        super().__init__(db, site, report, options)
        self.checker = checker

    async def write(self, batch: Batch) -> None:
        rows, refused = self.checker.check(batch)
        rows = self._dedupe(rows, refused)
        async with self.db.session(write=not self.options.dry_run) as session:
            existing = {}
            if rows:
                found = await session.execute(
                    select(Asset.id, Asset.code, Asset.zone_id, Asset.category, Asset.name, Asset.lat, Asset.lon,
                           Asset.outline, Asset.active).where(Asset.code.in_([r.code for r in rows])))
                existing = {row.code: row for row in found}
            now = utcnow()
            inserts: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            for row in rows:
                old = existing.get(row.code)
                if old is None:
                    inserts.append({"id": uuid.uuid4(), "zone_id": row.zone_id, "category": row.category, "code": row.code,
                                    "name": row.name, "lat": row.lat, "lon": row.lon, "outline": row.outline,
                                    "qr_token": secrets.token_hex(8), "active": True, "created_at": now,
                                    "created_by": self.options.user_id, "updated_at": now})
                    self._preview(row.geometry, row.code, "created")
                elif old.zone_id not in self.checker.zones.ids:
                    refused.append(Refusal(row.position, "code", "code_in_other_site", {"asset": row.code}))
                elif _same_asset(old, row):
                    self.report.unchanged += 1
                    self._preview(row.geometry, row.code, "unchanged")
                else:
                    updates.append({"b_id": old.id, "b_zone_id": row.zone_id, "b_category": row.category,
                                    "b_name": row.name, "b_lat": row.lat, "b_lon": row.lon, "b_outline": row.outline,
                                    "b_updated_at": now})
                    self._preview(row.geometry, row.code, "updated")
            if not self.options.dry_run:
                table = cast(Table, Asset.__table__)  # a mapped class's table, typed only as a FromClause
                if inserts:
                    await session.execute(insert(table), inserts)
                if updates:
                    await session.execute(
                        update(table).where(table.c.id == bindparam("b_id")).values(
                            zone_id=bindparam("b_zone_id"), category=bindparam("b_category"), name=bindparam("b_name"),
                            lat=bindparam("b_lat"), lon=bindparam("b_lon"), outline=bindparam("b_outline"),
                            active=True, updated_at=bindparam("b_updated_at")),
                        updates)
        self.report.created += len(inserts)
        self.report.updated += len(updates)
        self.report.refused.extend(sorted(refused, key=lambda r: r.feature))

    async def finish(self) -> None:
        if self.options.retire_missing:
            zone_ids = list(self.checker.zones.ids)
            async with self.db.session(write=not self.options.dry_run) as session:
                gone: list[uuid.UUID] = []
                if zone_ids:
                    rows = await session.execute(select(Asset.id, Asset.code).where(
                        Asset.zone_id.in_(zone_ids), Asset.active.is_(True)))
                    gone = [asset_id for asset_id, code in rows if code not in self.seen]
                if not self.options.dry_run:
                    for start in range(0, len(gone), BATCH_SIZE):
                        await session.execute(update(Asset).where(Asset.id.in_(gone[start:start + BATCH_SIZE]))
                                              .values(active=False, updated_at=utcnow()))
            self.report.retired = len(gone)
        await super().finish()


def _same_asset(old: Any, row: AssetRow) -> bool:
    return (old.active and old.zone_id == row.zone_id and old.category == row.category and old.name == row.name
            and round(old.lat, 7) == row.lat and round(old.lon, 7) == row.lon and (old.outline or None) == row.outline)


class _ZoneWriter(_Writer):
    def __init__(self, db: Database, site: Site, report: ImportReport, options: ImportOptions, checker: ZoneChecker,
                 zones: list[SiteZone]) -> None:
        super().__init__(db, site, report, options)
        self.checker = checker

    async def write(self, batch: Batch) -> None:
        rows, refused = self.checker.check(batch)
        rows = self._dedupe(rows, refused)
        async with self.db.session(write=not self.options.dry_run) as session:
            found = await session.execute(select(Zone).where(Zone.site_id == self.site.id,
                                                             Zone.code.in_([r.code for r in rows])))
            existing = {z.code: z for z in found.scalars()}
            for row in rows:
                old = existing.get(row.code)
                values = {"name_zh": row.name_zh, "name_en": row.name_en, "outline": row.outline, **row.bbox}
                if old is None:
                    self.report.created += 1
                    self._preview(row.geometry, row.code, "created")
                    if not self.options.dry_run:
                        session.add(Zone(site_id=self.site.id, code=row.code, **values))
                elif old.name_zh == row.name_zh and old.name_en == row.name_en and old.outline == row.outline:
                    self.report.unchanged += 1
                    self._preview(row.geometry, row.code, "unchanged")
                else:
                    self.report.updated += 1
                    self._preview(row.geometry, row.code, "updated")
                    if not self.options.dry_run:
                        for key, value in values.items():
                            setattr(old, key, value)
            if not self.options.dry_run:
                await session.flush()
                await self._centre_site(session)
        self.report.refused.extend(sorted(refused, key=lambda r: r.feature))

    async def _centre_site(self, session: AsyncSession) -> None:
        """A site made without a map centre (0, 0) is centred on its zones once it has some."""
        site = await session.get(Site, self.site.id)
        if site is None or (site.center_lat, site.center_lon) != (0.0, 0.0):
            return
        box = (await session.execute(select(Zone.min_lat, Zone.min_lon, Zone.max_lat, Zone.max_lon)
                                     .where(Zone.site_id == site.id))).all()
        if box:
            site.center_lat = round((min(b[0] for b in box) + max(b[2] for b in box)) / 2, 7)
            site.center_lon = round((min(b[1] for b in box) + max(b[3] for b in box)) / 2, 7)
