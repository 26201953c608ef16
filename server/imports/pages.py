"""`/admin/import`: upload a file, preview what it would change (counts, refusals, the
features on a map), confirm. The preview is a dry run of the very import the confirm runs
(server/imports/jobs.py → service.run_import, as the CLI does)."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select

from server.core.guards import role_in
from server.core.deps import DbSession
from server.core.errors import AppError
from server.imports import jobs
from server.imports.columns import ASSET_FIELDS, ZONE_FIELDS, ColumnProblem, parse_field_options
from server.imports.crs import CrsProblem, parse_crs
from server.imports.service import KINDS, refusal_message
from server.imports.checks import Refusal
from server.sites.models import Site, Zone
from server.core.text import check_fields
from server.core.web import render, request_language, see_other
from server.core.identity import current_user

MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # a register of 100,000 features is ~15 MB as GeoPackage, more as GeoJSON


class ImportController(Controller):
    path = "/admin/import"
    guards = [role_in("admin")]
    include_in_schema = False

    @get("/")
    async def form(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        return render(request, "admin/import.html", title_key="imports.title", sites=await _sites(db),
                      values={}, errors={})

    @post("/", request_max_body_size=MAX_UPLOAD_BYTES)
    async def upload(self, request: Request[Any, Any, Any], db: DbSession) -> Response[Any] | Template:
        form = await request.form()
        values = {k: str(form.get(k) or "").strip() for k in ("kind", "site", "layer", "crs", "fields")}
        values["retire_missing"] = "1" if form.get("retire_missing") else ""
        check_fields(values)
        errors = await _check(db, values)
        uploads = [f for f in form.getall("file") if isinstance(f, UploadFile) and f.filename] if "file" in form else []
        main = [f for f in uploads if jobs.safe_name(f.filename).lower().endswith(jobs.MAIN_SUFFIXES)]
        if len(main) != 1 or any(not jobs.safe_name(f.filename).lower().endswith(jobs.MAIN_SUFFIXES + jobs.SIDE_SUFFIXES)
                                 for f in uploads):
            errors["file"] = "imports.bad_upload"
        if errors:
            return render(request, "admin/import.html", status_code=422, title_key="imports.title",
                          sites=await _sites(db), values=values, errors=errors)
        settings = request.app.state.settings
        token, folder = jobs.new_job(jobs.imports_root(settings.media.root))
        for upload in uploads:
            (folder / jobs.safe_name(upload.filename)).write_bytes(await upload.read())
        jobs.write_state(folder, {
            "status": "checking", "file": jobs.safe_name(main[0].filename), "done": 0, "total": None,
            "options": {"kind": values["kind"], "site": values["site"], "layer": values["layer"], "crs": values["crs"],
                        "fields": _field_lines(values["fields"]), "retire_missing": bool(values["retire_missing"])},
        })
        user = current_user(request)
        jobs.start(request.app.state.db, request.app.state.standards.catalogue(), folder,
                   jobs.options_of(jobs.read_state(folder), dry_run=True, user_id=user.id if user else None))
        return see_other(f"/admin/import/{token}")

    @get("/{token:str}")
    async def job(self, request: Request[Any, Any, Any], db: DbSession, token: FromPath[str]) -> Template:
        folder = _folder(request, token)
        state = jobs.read_state(folder)
        lang = request_language(request)
        result = state.get("result") or {}
        refused = [{**r, "message": refusal_message(Refusal(**r), lang)} for r in result.get("refused", [])]
        error = state.get("error")
        map_data = None
        if state["status"] == "preview" and (folder / "preview.geojson").exists():
            site = (await db.execute(select(Site.id).where(Site.code == state["options"]["site"]))).scalar_one_or_none()
            zones = (await db.execute(select(Zone.code, Zone.outline).where(Zone.site_id == site))).all() if site else []
            map_data = json.dumps({
                "zones": {"type": "FeatureCollection", "features": [
                    {"type": "Feature", "geometry": outline, "properties": {"code": code}} for code, outline in zones]},
                "features": json.loads((folder / "preview.geojson").read_text(encoding="utf-8")),
            }, ensure_ascii=False)
        return render(request, "admin/import_job.html", title_key="imports.title", token=token, state=state,
                      result=result, refused=refused, map_data=map_data,
                      error_text=request_t(request, error) if error else None)

    @post("/{token:str}/confirm")
    async def confirm(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
        folder = _folder(request, token)
        state = jobs.read_state(folder)
        if state["status"] != "preview":
            raise AppError("import_not_previewed", field="token")
        user = current_user(request)
        jobs.start(request.app.state.db, request.app.state.standards.catalogue(), folder,
                   jobs.options_of(state, dry_run=False, user_id=user.id if user else None))
        return see_other(f"/admin/import/{token}")


def request_t(request: Request[Any, Any, Any], error: dict[str, Any]) -> str:
    from server.core.i18n import translate

    return translate(request_language(request), error["key"], **error.get("params", {}))


def _folder(request: Request[Any, Any, Any], token: str) -> Any:
    folder = jobs.job_folder(jobs.imports_root(request.app.state.settings.media.root), token)
    if folder is None:
        raise AppError("unknown_import", field="token")
    return folder


def _field_lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


async def _sites(db: DbSession) -> list[tuple[str, str, str]]:
    return [(c, zh, en) for c, zh, en in await db.execute(select(Site.code, Site.name_zh, Site.name_en).order_by(Site.code))]


async def _check(db: DbSession, values: dict[str, str]) -> dict[str, str]:
    """Per-field message keys for what can be judged before the file is read."""
    errors: dict[str, str] = {}
    if values["kind"] not in KINDS:
        errors["kind"] = "imports.bad_kind"
    if not values["site"] or (await db.execute(select(Site.id).where(Site.code == values["site"]))).first() is None:
        errors["site"] = "imports.bad_site"
    if values["crs"]:
        try:
            parse_crs(values["crs"])
        except CrsProblem:
            errors["crs"] = "imports.bad_crs_field"
    try:
        parse_field_options(_field_lines(values["fields"]), ASSET_FIELDS if values["kind"] != "zones" else ZONE_FIELDS)
    except ColumnProblem:
        errors["fields"] = "imports.bad_fields_field"
    if len(values["layer"]) > 200:
        errors["layer"] = "imports.bad_layer_field"
    return errors
