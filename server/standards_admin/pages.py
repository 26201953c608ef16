"""`/admin/standards` (admin only): the versions, and a new one uploaded or edited in a form.

Upload (YAML files or a zip) or edit → preview: validated (file:line:key), its diff against
the version in force before its date, and an Install button carrying the files → installed,
scheduled for its date, audited. Every form is a plain POST (htmx posts it too and swaps
#main); refusals come back with status 422 and the reason in the user's language.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from server.core.guards import role_in
from server.core.deps import DbSession
from server.core.i18n import translator
from server.standards_admin.editor import edited_files, limit_fields
from server.standards_admin.registry import LiveStandards
from server.standards_admin import service
from server.standards_admin.service import InstallRefused, install, prepare, version_rows
from server.core.text import check_fields
from server.core.web import render, request_language, see_other
from server.core.identity import current_user
from standards import NoStandardInForce, StandardsFileError
from standards.bundle import MAX_FILE_BYTES, MAX_FILES, read_zip

MAX_UPLOAD_BYTES = 64 * MAX_FILE_BYTES + 64 * 1024


def _live(request: Request[Any, Any, Any]) -> LiveStandards:
    return request.app.state.standards  # type: ignore[no-any-return]


def _message(request: Request[Any, Any, Any], refused: InstallRefused) -> str:
    return translator(request_language(request))(refused.key, **refused.params)


async def _uploaded(form: Any) -> dict[str, str]:
    """{file name: text} of the uploaded YAML files or zip; InstallRefused if unreadable."""
    uploads = [f for f in form.getall("file") if isinstance(f, UploadFile) and f.filename] if "file" in form else []
    if not uploads:
        raise InstallRefused("standards_no_files", "file")
    files: dict[str, str] = {}
    try:
        for upload in uploads:
            name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
            data = await upload.read(MAX_UPLOAD_BYTES + 1)
            if name.lower().endswith(".zip"):
                files.update(read_zip(data))
            elif name.lower().endswith((".yaml", ".yml")):
                if len(data) > MAX_FILE_BYTES:
                    raise StandardsFileError(name, None, "", f"larger than {MAX_FILE_BYTES} bytes")
                try:
                    files[name] = data.decode("utf-8")
                except UnicodeDecodeError:
                    raise StandardsFileError(name, None, "", "not UTF-8 text") from None
            else:
                raise InstallRefused("standards_bad_upload", "file", name=name)
    except StandardsFileError as exc:
        raise InstallRefused("standards_file_invalid", "file",
                             where=exc.path, yaml_key=exc.key or "-", detail=exc.detail) from None
    if len(files) > MAX_FILES:
        raise InstallRefused("standards_bad_upload", "file", name=f"{len(files)} files")
    return files


class StandardsAdminPages(Controller):
    path = "/admin/standards"
    guards = [role_in("admin")]
    include_in_schema = False

    def _index(self, request: Request[Any, Any, Any], *, status: int = 200, error: InstallRefused | None = None,
               installed: str | None = None) -> Template:
        return render(request, "admin/standards.html", status_code=status, title_key="standards_admin.title",
                      rows=version_rows(_live(request), service.today()), installed=installed,
                      error=_message(request, error) if error else None, error_code=error.code if error else None)

    @get("/")
    async def index(self, request: Request[Any, Any, Any], installed: FromQuery[str | None] = None) -> Template:
        return self._index(request, installed=installed if installed and _known(request, installed) else None)

    @post("/preview", request_max_body_size=MAX_UPLOAD_BYTES)
    async def preview_upload(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        form = await request.form()
        try:
            files = await _uploaded(form)
            check_fields(files, "file")
            prepared = await prepare(db, _live(request), files)
        except InstallRefused as refused:
            return self._index(request, status=422, error=refused)
        return _preview(request, prepared)

    @get("/edit")
    async def edit(self, request: Request[Any, Any, Any]) -> Template:
        return _edit_page(request, {})

    @post("/edit")
    async def preview_edit(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        raw = await request.form()
        values = {k: v for k, v in raw.items() if isinstance(v, str) and k != "_csrf_token"}
        check_fields(values)
        try:
            base = _base(request)
            files = edited_files(base, values)
            prepared = await prepare(db, _live(request), files)
        except InstallRefused as refused:
            return _edit_page(request, values, refused, 422)
        return _preview(request, prepared)

    @post("/install", request_max_body_size=MAX_UPLOAD_BYTES)
    async def install(self, request: Request[Any, Any, Any], db: DbSession) -> Redirect | Template:
        form = await request.form()
        origin = "form" if form.get("origin") == "form" else "upload"
        check_fields({"bundle": str(form.get("bundle") or "")})
        try:
            files = json.loads(str(form.get("bundle") or "{}"))
            if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
                raise ValueError("not a bundle")
        except ValueError:
            return self._index(request, status=422, error=InstallRefused("standards_no_files", "bundle"))
        user = current_user(request)
        try:
            prepared = await install(db, _live(request), files, origin=origin, user_id=user.id if user else None,
                                     request=request)
        except InstallRefused as refused:
            return self._index(request, status=422, error=refused)
        return see_other(f"/admin/standards?installed={prepared.standard.version}")


def _known(request: Request[Any, Any, Any], version: str) -> bool:
    return any(s.version == version for s in _live(request).versions)


def _base(request: Request[Any, Any, Any]) -> Any:
    try:
        return _live(request).current()
    except NoStandardInForce:
        return _live(request).versions[0]


def _preview(request: Request[Any, Any, Any], prepared: Any) -> Template:
    origin = "form" if request.url.path.endswith("/edit") else "upload"
    return render(request, "admin/standards_preview.html", title_key="standards_admin.preview_title",
                  new=prepared.standard, against=prepared.against, diff=prepared.diff, origin=origin,
                  bundle=json.dumps(prepared.files, ensure_ascii=False))


def _edit_page(request: Request[Any, Any, Any], values: dict[str, str], error: InstallRefused | None = None,
               status: int = 200) -> Template:
    base = _base(request)
    return render(request, "admin/standards_edit.html", status_code=status, title_key="standards_admin.edit_title",
                  base=base, limits=limit_fields(base), values=values,
                  error=_message(request, error) if error else None, error_field=error.field if error else None)
