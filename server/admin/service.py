"""Creating and changing sites, zones, contractors and contracts from the admin pages.

Each `save_*` reads the whole form (every bad field noted, server/admin/fields.py), refuses
with one 422 naming them all, else writes the row and its audit event in the request's
transaction: `<entity>.created` or `<entity>.updated` with the fields that changed.
"""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import available_timezones

from litestar import Request
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.identity import CurrentUser
from server.admin.fields import Form
from server.admin.geometry import parse_outline
from server.core.audit.service import record_event
from server.contractors.models import Contract, ContractCategory, Contractor, ContractZone
from server.core.errors import AppError
from server.sites.models import Site, Zone

TIMEZONES = frozenset(available_timezones())


# The 404 code of each kind of row an admin page edits.
NOT_FOUND = {"asset": "asset_not_found", "contract": "contract_not_found", "contractor": "contractor_not_found",
             "site": "site_not_found", "user": "user_not_found", "zone": "zone_not_found"}


def not_found(entity: str) -> AppError:
    """The 404 of an admin page's row (`entity` one of NOT_FOUND) that does not exist."""
    return AppError(NOT_FOUND[entity], key="adminf.not_found", field=f"{entity}_id")


def _changes(row: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Set `values` on `row`; what changed, as {field: [before, after]} (JSON-safe)."""
    changed = {}
    for name, value in values.items():
        before = getattr(row, name)
        if before != value:
            changed[name] = [_plain(before), _plain(value)]
            setattr(row, name, value)
    return changed


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return "(geometry)"
    return str(value)


async def _audit(db: AsyncSession, admin: CurrentUser, request: Request[Any, Any, Any] | None, entity: str,
                 entity_id: uuid.UUID, created: bool, changes: dict[str, Any]) -> None:
    if created or changes:
        await record_event(db, admin.id, f"{entity}.{'created' if created else 'updated'}", entity, str(entity_id),
                           request=request, details={"changes": changes})


async def _taken(db: AsyncSession, column: Any, value: str, own_id: uuid.UUID | None, *where: Any) -> bool:
    model = column.class_
    found = await db.scalar(select(model.id).where(column == value, *where).limit(1))
    return found is not None and found != own_id


# -- sites ----------------------------------------------------------------------------------

async def save_site(db: AsyncSession, admin: CurrentUser, form: Form, site: Site | None = None,
                    request: Request[Any, Any, Any] | None = None) -> Site:
    code = form.code("code")
    values = {
        "code": code, "name_zh": form.text("name_zh", max_length=120), "name_en": form.text("name_en", max_length=120),
        "timezone": form.choice("timezone", TIMEZONES),
        "center_lat": form.number("center_lat", -90, 90), "center_lon": form.number("center_lon", -180, 180),
    }
    if code and not form.has("code") and await _taken(db, Site.code, code, site.id if site else None):
        form.add("code", "adminf.code_taken")
    form.check()
    created = site is None
    if site is None:
        site = Site()
        db.add(site)
    changes = _changes(site, values)
    await db.flush()
    await _audit(db, admin, request, "site", site.id, created, changes)
    return site


# -- zones ----------------------------------------------------------------------------------

async def save_zone(db: AsyncSession, admin: CurrentUser, form: Form, outline_text: str, zone: Zone | None = None,
                    request: Request[Any, Any, Any] | None = None) -> Zone:
    site_ids = set((await db.execute(select(Site.id))).scalars())
    site_id = form.one_id("site_id", site_ids) if zone is None else zone.site_id
    code = form.code("code")
    values: dict[str, Any] = {"site_id": site_id, "code": code, "name_zh": form.text("name_zh", max_length=120),
                              "name_en": form.text("name_en", max_length=120)}
    if not outline_text.strip():
        if zone is None:
            form.add("outline", "adminf.required")
    else:
        parsed = parse_outline(form, outline_text)
        if parsed is not None:
            outline, (min_lat, min_lon, max_lat, max_lon) = parsed
            values.update(outline=outline, min_lat=min_lat, min_lon=min_lon, max_lat=max_lat, max_lon=max_lon)
    if code and site_id and not form.has("code") and await _taken(
            db, Zone.code, code, zone.id if zone else None, Zone.site_id == site_id):
        form.add("code", "adminf.code_taken")
    form.check()
    created = zone is None
    if zone is None:
        zone = Zone()
        db.add(zone)
    changes = _changes(zone, values)
    await db.flush()
    await _audit(db, admin, request, "zone", zone.id, created, changes)
    return zone


# -- contractors and contracts --------------------------------------------------------------

async def save_contractor(db: AsyncSession, admin: CurrentUser, form: Form, contractor: Contractor | None = None,
                          request: Request[Any, Any, Any] | None = None) -> Contractor:
    code = form.code("code")
    values = {"code": code, "name": form.text("name", max_length=160)}
    if code and not form.has("code") and await _taken(db, Contractor.code, code, contractor.id if contractor else None):
        form.add("code", "adminf.code_taken")
    form.check()
    created = contractor is None
    if contractor is None:
        contractor = Contractor()
        db.add(contractor)
    changes = _changes(contractor, values)
    await db.flush()
    await _audit(db, admin, request, "contractor", contractor.id, created, changes)
    return contractor


async def save_contract(db: AsyncSession, admin: CurrentUser, form: Form, categories: set[str],
                        contract: Contract | None = None, request: Request[Any, Any, Any] | None = None) -> Contract:
    """A contract: one contractor × zones × asset categories × a date range."""
    contractor_ids = set((await db.execute(select(Contractor.id))).scalars())
    zone_ids = set((await db.execute(select(Zone.id))).scalars())
    code = form.code("code")
    starts_on, ends_on = form.date("starts_on"), form.date("ends_on", required=False)
    values = {"code": code, "name": form.text("name", max_length=160),
              "contractor_id": form.one_id("contractor_id", contractor_ids), "starts_on": starts_on, "ends_on": ends_on}
    zones = form.ids("zone_id", zone_ids)
    if not zones and not form.has("zone_id"):
        form.add("zone_id", "adminf.choose_one")
    chosen = []
    for category in form.values.getall("category", []):
        if category not in categories:
            form.add("category", "adminf.unknown_choice")
        elif category not in chosen:
            chosen.append(category)
    if not chosen and not form.has("category"):
        form.add("category", "adminf.choose_one")
    if starts_on and ends_on and ends_on < starts_on:
        form.add("ends_on", "adminf.ends_before_start")
    if code and not form.has("code") and await _taken(db, Contract.code, code, contract.id if contract else None):
        form.add("code", "adminf.code_taken")
    form.check()
    created = contract is None
    if contract is None:
        contract = Contract()
        db.add(contract)
    changes = _changes(contract, values)
    await db.flush()
    old_zones = set((await db.execute(select(ContractZone.zone_id).where(ContractZone.contract_id == contract.id))).scalars())
    old_cats = set((await db.execute(select(ContractCategory.category)
                                     .where(ContractCategory.contract_id == contract.id))).scalars())
    if old_zones != set(zones):
        await db.execute(delete(ContractZone).where(ContractZone.contract_id == contract.id))
        db.add_all(ContractZone(contract_id=contract.id, zone_id=z) for z in zones)
        changes["zones"] = [sorted(map(str, old_zones)), sorted(map(str, zones))]
    if old_cats != set(chosen):
        await db.execute(delete(ContractCategory).where(ContractCategory.contract_id == contract.id))
        db.add_all(ContractCategory(contract_id=contract.id, category=c) for c in chosen)
        changes["categories"] = [sorted(old_cats), sorted(chosen)]
    await db.flush()
    await _audit(db, admin, request, "contract", contract.id, created, changes)
    return contract
