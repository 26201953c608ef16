"""The administrator's pages (admin role only): sites, zones, assets, contractors, contracts,
users and the audit browser.

Every form is a plain POST answered with 303 (htmx posts it too and swaps the page it lands
on into <main>); a refused one shows its form again, status 422, each bad field's message
next to its input in the user's language. Lists filter with a GET form, which htmx sends
as you type and swaps only the list. Handlers parse, call server/admin/service.py (or
people.py, assets.py), render.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.guards import role_in
from server.core.identity import CurrentUser
from server.accounts.models import ROLE_VALUES, User
from server.admin import queries
from server.admin.assets import save_asset, set_active
from server.admin.audit_browser import AuditFilter, audit_choices, audit_page
from server.admin.fields import Form, field_messages
from server.admin.geometry import MAX_OUTLINE_BYTES, outline_json
from server.admin.people import reset_password, save_user
from server.admin.service import not_found, save_contract, save_contractor, save_site, save_zone
from server.assets.models import Asset
from server.assets.pages import qr_svg
from server.core.config import get_settings
from server.contractors.models import Contract, Contractor
from server.core.deps import DbSession
from server.core.errors import AppError, _describe
from server.core.i18n import pick, translator
from server.sites.models import Site, Zone
from server.core.text import check_fields
from server.core.web import render, request_language, see_other
from server.core.identity import current_user


def _admin(request: Request[Any, Any, Any]) -> CurrentUser:
    user = current_user(request)
    assert user is not None  # the guard let only admins through
    return user


def _echo(raw: Any) -> tuple[dict[str, str], dict[str, list[str]]]:
    """What was posted, to show again in a refused form (never a password)."""
    items = [(k, v) for k, v in raw.multi_items() if isinstance(v, str) and k not in ("password", "_csrf_token")]
    single = dict(items)
    multi: dict[str, list[str]] = {}
    for k, v in items:
        multi.setdefault(k, []).append(v)
    return single, multi


def _uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def _page(request: Request[Any, Any, Any], template: str, title_key: str, *, error: AppError | None = None,
          values: dict[str, Any] | None = None, multi: dict[str, list[str]] | None = None, status: int | None = None,
          **ctx: Any) -> Template:
    t = translator(request_language(request))
    status = status or (error.status_code if error else 200)
    return render(request, template, title_key=title_key, status_code=status,
                  error=_describe(request, error) if error else None, errors=field_messages(error, t),
                  values=values or {}, multi=multi or {}, **ctx)


def _categories(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return dict(request.app.state.standards.catalogue().categories)


async def _options(request: Request[Any, Any, Any], db: AsyncSession) -> dict[str, Any]:
    """The choices of the contract and user forms, as (value, label) pairs (template context)."""
    lang = request_language(request)
    return {
        "contractor_options": [(str(c.id), f"{c.code} · {c.name}") for c in await queries.contractors(db)],
        "zone_options": [(str(z.id), z.label) for z in await queries.zone_choices(db)],
        "site_options": [(str(s.id), f"{s.code} · {s.name_zh if lang == 'zh' else s.name_en}")
                         for s in await queries.sites(db)],
        "category_options": [(k, pick(lang, c.label)) for k, c in _categories(request).items()],
    }


async def _get(db: AsyncSession, model: Any, entity: str, row_id: uuid.UUID) -> Any:
    row = await db.get(model, row_id)
    if row is None:
        raise not_found(entity)
    return row


class AdminPages(Controller):
    path = "/admin"
    guards = [role_in("admin")]
    include_in_schema = False

    # -- sites ------------------------------------------------------------------------------

    @get("/sites")
    async def sites(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        return _page(request, "admin/sites.html", "adminp.sites", sites=await queries.sites(db))

    @get("/sites/new")
    async def new_site(self, request: Request[Any, Any, Any]) -> Template:
        tz = get_settings().site.timezone
        return _page(request, "admin/site_form.html", "adminp.new_site", site=None, values={"timezone": tz})

    @get("/sites/{site_id:uuid}")
    async def site(self, request: Request[Any, Any, Any], db: DbSession, site_id: FromPath[uuid.UUID]) -> Template:
        site = await _get(db, Site, "site", site_id)
        values = {k: str(getattr(site, k)) for k in ("code", "name_zh", "name_en", "timezone", "center_lat", "center_lon")}
        return _page(request, "admin/site_form.html", "adminp.edit_site", site=site, values=values)

    @post("/sites")
    async def create_site(self, request: Request[Any, Any, Any], db: DbSession) -> Redirect | Template:
        return await self._save_site(request, db, None)

    @post("/sites/{site_id:uuid}")
    async def update_site(self, request: Request[Any, Any, Any], db: DbSession,
                          site_id: FromPath[uuid.UUID]) -> Redirect | Template:
        return await self._save_site(request, db, await _get(db, Site, "site", site_id))

    async def _save_site(self, request: Request[Any, Any, Any], db: AsyncSession, site: Site | None) -> Redirect | Template:
        raw = await request.form()
        try:
            check_fields(raw)
            async with db.begin_nested():
                await save_site(db, _admin(request), Form(raw), site, request)
        except AppError as exc:
            if exc.status_code == 404:
                raise
            return _page(request, "admin/site_form.html", "adminp.edit_site" if site else "adminp.new_site",
                         error=exc, site=site, values=_echo(raw)[0])
        return see_other("/admin/sites")

    # -- zones ------------------------------------------------------------------------------

    @get("/zones")
    async def zones(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        site_id, q = _uuid(request.query_params.get("site")), (request.query_params.get("q") or "")[:80]
        return _page(request, "admin/zones.html", "adminp.zones", rows=await queries.zone_rows(db, site_id, q),
                     sites=await queries.sites(db), site_id=site_id, q=q)

    @get("/zones/new")
    async def new_zone(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        return _page(request, "admin/zone_form.html", "adminp.new_zone", zone=None, sites=await queries.sites(db),
                     values={"site_id": request.query_params.get("site") or ""})

    @get("/zones/{zone_id:uuid}")
    async def zone(self, request: Request[Any, Any, Any], db: DbSession, zone_id: FromPath[uuid.UUID]) -> Template:
        zone = await _get(db, Zone, "zone", zone_id)
        values = {"site_id": str(zone.site_id), "code": zone.code, "name_zh": zone.name_zh, "name_en": zone.name_en,
                  "outline": outline_json(zone.outline)}
        return _page(request, "admin/zone_form.html", "adminp.edit_zone", zone=zone, sites=await queries.sites(db),
                     values=values)

    @post("/zones")
    async def create_zone(self, request: Request[Any, Any, Any], db: DbSession) -> Redirect | Template:
        return await self._save_zone(request, db, None)

    @post("/zones/{zone_id:uuid}")
    async def update_zone(self, request: Request[Any, Any, Any], db: DbSession,
                          zone_id: FromPath[uuid.UUID]) -> Redirect | Template:
        return await self._save_zone(request, db, await _get(db, Zone, "zone", zone_id))

    async def _save_zone(self, request: Request[Any, Any, Any], db: AsyncSession, zone: Zone | None) -> Redirect | Template:
        raw = await request.form()
        values = _echo(raw)[0]
        form = Form(raw)
        try:
            check_fields(raw)
            outline = values.get("outline", "")
            upload = raw.get("outline_file")
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read(MAX_OUTLINE_BYTES + 1)
                try:
                    outline = data.decode("utf-8-sig")
                except UnicodeDecodeError:
                    outline = ""
                    form.add("outline_file", "adminf.outline_not_json")
                if len(data) > MAX_OUTLINE_BYTES:
                    outline = ""
                    form.add("outline_file", "adminf.too_long", max=MAX_OUTLINE_BYTES)
                values["outline"] = outline
            async with db.begin_nested():
                saved = await save_zone(db, _admin(request), form, outline, zone, request)
        except AppError as exc:
            if exc.status_code == 404:
                raise
            return _page(request, "admin/zone_form.html", "adminp.edit_zone" if zone else "adminp.new_zone",
                         error=exc, zone=zone, sites=await queries.sites(db), values=values)
        return see_other(f"/admin/zones?site={saved.site_id}")

    # -- assets -----------------------------------------------------------------------------

    @get("/assets")
    async def assets(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        p = request.query_params
        site_id, zone_id = _uuid(p.get("site")), _uuid(p.get("zone"))
        category, q, status = p.get("category") or "", (p.get("q") or "")[:80], p.get("status") or "active"
        rows, total = await queries.asset_rows(db, site_id=site_id, zone_id=zone_id, category=category, q=q,
                                               status=status)
        return _page(request, "admin/assets.html", "adminp.assets", rows=rows, total=total, limit=queries.LIST_LIMIT,
                     sites=await queries.sites(db), zones=await queries.zone_choices(db, site_id),
                     categories=_categories(request),
                     f={"site": site_id, "zone": zone_id, "category": category, "q": q, "status": status})

    @get("/assets/labels")
    async def labels(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        """The printable QR labels of the assets ticked in the list."""
        ids = [i for i in (_uuid(v) for v in request.query_params.getall("asset", [])) if i]
        base = str(request.base_url).rstrip("/")
        labels = [(a, qr_svg(f"{base}/inspect/qr/{a.qr_token}", a.code)) for a in await queries.asset_labels(db, ids)]
        return _page(request, "admin/labels.html", "qr.title", labels=labels)

    @get("/assets/{asset_id:uuid}")
    async def asset(self, request: Request[Any, Any, Any], db: DbSession, asset_id: FromPath[uuid.UUID]) -> Template:
        asset = await _get(db, Asset, "asset", asset_id)
        values = {k: str(getattr(asset, k)) for k in ("code", "name", "category", "zone_id", "lat", "lon")}
        return await self._asset_page(request, db, asset, values)

    async def _asset_page(self, request: Request[Any, Any, Any], db: AsyncSession, asset: Asset,
                          values: dict[str, str], error: AppError | None = None) -> Template:
        site_id = (await db.get(Zone, asset.zone_id)).site_id  # type: ignore[union-attr]
        return _page(request, "admin/asset_form.html", "adminp.edit_asset", error=error, asset=asset, values=values,
                     zones=await queries.zone_choices(db, site_id), categories=_categories(request))

    @post("/assets/{asset_id:uuid}")
    async def update_asset(self, request: Request[Any, Any, Any], db: DbSession,
                           asset_id: FromPath[uuid.UUID]) -> Redirect | Template:
        asset = await _get(db, Asset, "asset", asset_id)
        raw = await request.form()
        values = _echo(raw)[0]
        try:
            check_fields(raw)
            async with db.begin_nested():
                await save_asset(db, _admin(request), Form(raw), asset, set(_categories(request)), request)
        except AppError as exc:
            await db.refresh(asset)
            return await self._asset_page(request, db, asset, values, exc)
        return see_other(f"/admin/assets/{asset_id}")

    @post("/assets/{asset_id:uuid}/{action:str}")
    async def retire_or_reinstate(self, request: Request[Any, Any, Any], db: DbSession, asset_id: FromPath[uuid.UUID],
                                  action: FromPath[str]) -> Redirect:
        if action not in ("retire", "reinstate"):
            raise AppError("not_found", field="action")
        asset = await _get(db, Asset, "asset", asset_id)
        await set_active(db, _admin(request), asset, action == "reinstate", request)
        return see_other(f"/admin/assets/{asset_id}")

    # -- contractors ------------------------------------------------------------------------

    @get("/contractors")
    async def contractors(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        return _page(request, "admin/contractors.html", "adminp.contractors", rows=await queries.contractors(db))

    @get("/contractors/new")
    async def new_contractor(self, request: Request[Any, Any, Any]) -> Template:
        return _page(request, "admin/contractor_form.html", "adminp.new_contractor", contractor=None)

    @get("/contractors/{contractor_id:uuid}")
    async def contractor(self, request: Request[Any, Any, Any], db: DbSession,
                         contractor_id: FromPath[uuid.UUID]) -> Template:
        c = await _get(db, Contractor, "contractor", contractor_id)
        return _page(request, "admin/contractor_form.html", "adminp.edit_contractor", contractor=c,
                     values={"code": c.code, "name": c.name}, contracts=await queries.contract_rows(db, c.id))

    @post("/contractors")
    async def create_contractor(self, request: Request[Any, Any, Any], db: DbSession) -> Redirect | Template:
        return await self._save_contractor(request, db, None)

    @post("/contractors/{contractor_id:uuid}")
    async def update_contractor(self, request: Request[Any, Any, Any], db: DbSession,
                                contractor_id: FromPath[uuid.UUID]) -> Redirect | Template:
        return await self._save_contractor(request, db, await _get(db, Contractor, "contractor", contractor_id))

    async def _save_contractor(self, request: Request[Any, Any, Any], db: AsyncSession,
                               contractor: Contractor | None) -> Redirect | Template:
        raw = await request.form()
        try:
            check_fields(raw)
            async with db.begin_nested():
                await save_contractor(db, _admin(request), Form(raw), contractor, request)
        except AppError as exc:
            return _page(request, "admin/contractor_form.html",
                         "adminp.edit_contractor" if contractor else "adminp.new_contractor", error=exc,
                         contractor=contractor, values=_echo(raw)[0], contracts=[])
        return see_other("/admin/contractors")

    # -- contracts --------------------------------------------------------------------------

    @get("/contracts")
    async def contracts(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        return _page(request, "admin/contracts.html", "adminp.contracts", rows=await queries.contract_rows(db))

    @get("/contracts/new")
    async def new_contract(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        return await self._contract_page(request, db, None, {"contractor_id": request.query_params.get("contractor") or ""},
                                         {})

    @get("/contracts/{contract_id:uuid}")
    async def contract(self, request: Request[Any, Any, Any], db: DbSession, contract_id: FromPath[uuid.UUID]) -> Template:
        c = await _get(db, Contract, "contract", contract_id)
        zones, cats = await queries.contract_links(db, c.id)
        values = {"code": c.code, "name": c.name, "contractor_id": str(c.contractor_id),
                  "starts_on": c.starts_on.isoformat(), "ends_on": c.ends_on.isoformat() if c.ends_on else ""}
        return await self._contract_page(request, db, c, values, {"zone_id": [str(z) for z in zones], "category": cats})

    async def _contract_page(self, request: Request[Any, Any, Any], db: AsyncSession, contract: Contract | None,
                             values: dict[str, str], multi: dict[str, list[str]], error: AppError | None = None) -> Template:
        return _page(request, "admin/contract_form.html", "adminp.edit_contract" if contract else "adminp.new_contract",
                     error=error, contract=contract, values=values, multi=multi, **await _options(request, db))

    @post("/contracts")
    async def create_contract(self, request: Request[Any, Any, Any], db: DbSession) -> Redirect | Template:
        return await self._save_contract(request, db, None)

    @post("/contracts/{contract_id:uuid}")
    async def update_contract(self, request: Request[Any, Any, Any], db: DbSession,
                              contract_id: FromPath[uuid.UUID]) -> Redirect | Template:
        return await self._save_contract(request, db, await _get(db, Contract, "contract", contract_id))

    async def _save_contract(self, request: Request[Any, Any, Any], db: AsyncSession,
                             contract: Contract | None) -> Redirect | Template:
        raw = await request.form()
        values, multi = _echo(raw)
        try:
            check_fields(raw)
            async with db.begin_nested():
                await save_contract(db, _admin(request), Form(raw), set(_categories(request)), contract, request)
        except AppError as exc:
            return await self._contract_page(request, db, contract, values, multi, exc)
        return see_other("/admin/contracts")

    # -- users ------------------------------------------------------------------------------

    @get("/users")
    async def users(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        p = request.query_params
        q, role, site_id = (p.get("q") or "")[:64], p.get("role") or "", _uuid(p.get("site"))
        return _page(request, "admin/users.html", "adminp.users",
                     rows=await queries.user_rows(db, q=q, role=role if role in ROLE_VALUES else "", site_id=site_id),
                     sites=await queries.sites(db), roles=ROLE_VALUES, f={"q": q, "role": role, "site": site_id})

    @get("/users/new")
    async def new_user(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        return await self._user_page(request, db, None, {"role": request.query_params.get("role") or "inspector"}, {})

    @get("/users/{user_id:uuid}")
    async def user(self, request: Request[Any, Any, Any], db: DbSession, user_id: FromPath[uuid.UUID]) -> Template:
        u = await _get(db, User, "user", user_id)
        sites, zones = await queries.user_links(db, u.id)
        values = {"username": u.username, "display_name": u.display_name, "role": u.role, "language": u.language or "",
                  "contractor_id": str(u.contractor_id or ""), "active": "1" if u.active else ""}
        return await self._user_page(request, db, u, values, {"site_id": [str(s) for s in sites],
                                                              "zone_id": [str(z) for z in zones]})

    async def _user_page(self, request: Request[Any, Any, Any], db: AsyncSession, user: User | None,
                         values: dict[str, str], multi: dict[str, list[str]], error: AppError | None = None,
                         password_error: AppError | None = None) -> Template:
        t = translator(request_language(request))
        return _page(request, "admin/user_form.html", "adminp.edit_user" if user else "adminp.new_user", error=error,
                     edited=user, values=values, multi=multi, roles=[(r, t(f"role.{r}")) for r in ROLE_VALUES],
                     **await _options(request, db), password_errors=field_messages(password_error, t),
                     status=password_error.status_code if password_error else None,
                     password_error=_describe(request, password_error) if password_error else None)

    @post("/users")
    async def create_user(self, request: Request[Any, Any, Any], db: DbSession) -> Redirect | Template:
        return await self._save_user(request, db, None)

    @post("/users/{user_id:uuid}")
    async def update_user(self, request: Request[Any, Any, Any], db: DbSession,
                          user_id: FromPath[uuid.UUID]) -> Redirect | Template:
        return await self._save_user(request, db, await _get(db, User, "user", user_id))

    async def _save_user(self, request: Request[Any, Any, Any], db: AsyncSession, user: User | None) -> Redirect | Template:
        raw = await request.form()
        values, multi = _echo(raw)
        try:
            check_fields(raw)
            async with db.begin_nested():
                await save_user(db, _admin(request), Form(raw), user, request)
        except AppError as exc:
            if user is not None:
                await db.refresh(user)
            return await self._user_page(request, db, user, values, multi, exc)
        return see_other("/admin/users")

    @post("/users/{user_id:uuid}/password")
    async def reset(self, request: Request[Any, Any, Any], db: DbSession, user_id: FromPath[uuid.UUID]) -> Redirect | Template:
        user = await _get(db, User, "user", user_id)
        raw = await request.form()
        try:
            check_fields(raw)
            async with db.begin_nested():
                await reset_password(db, _admin(request), Form(raw), user, request)
        except AppError as exc:
            await db.refresh(user)
            sites, zones = await queries.user_links(db, user.id)
            values = {"username": user.username, "display_name": user.display_name, "role": user.role,
                      "language": user.language or "", "contractor_id": str(user.contractor_id or ""),
                      "active": "1" if user.active else ""}
            return await self._user_page(request, db, user, values, {"site_id": [str(s) for s in sites],
                                                                     "zone_id": [str(z) for z in zones]},
                                         password_error=exc)
        return see_other(f"/admin/users/{user_id}")

    # -- the audit browser ------------------------------------------------------------------

    @get("/audit")
    async def audit(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        f = AuditFilter.parse(request.query_params)
        rows, total = await audit_page(db, f, get_settings().site.timezone)
        pages = max(1, -(-total // 50))
        return _page(request, "admin/audit.html", "adminp.audit", rows=rows, total=total, f=f, pages=pages,
                     **await audit_choices(db))
