"""The standards: a bilingual page for people, the export document for phones."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template

from server.core.guards import signed_in
from server.core.errors import AppError
from server.core.web import render
from standards import Standard, StandardsSet
from standards.model import NoStandardInForce


def choose_standard(standards_set: StandardsSet, version: str | None, date: dt.date | None) -> Standard:
    """The version asked for, the one in force on `date`, or the current one."""
    try:
        if version:
            return standards_set.get(version)
        if date:
            return standards_set.for_date(date)
    except (KeyError, NoStandardInForce) as exc:
        raise AppError("standards_version_not_found",
                       field="version" if version else "date") from exc
    return standards_set.current()


class StandardsController(Controller):
    guards = [signed_in]
    tags = ["standards"]

    @get("/standards", include_in_schema=False)
    async def page(self, request: Request[Any, Any, Any], version: FromQuery[str | None] = None) -> Template:
        standards_set: StandardsSet = request.app.state.standards
        standard = choose_standard(standards_set, version, None)
        return render(
            request,
            "standards/index.html",
            title_key="standards.title",
            standard=standard,
            document=standard.document,
            versions=list(standards_set),
        )

    @get(
        "/api/standards",
        media_type=MediaType.JSON,
        summary="The standards document the phone judges with",
        description="One version of the standards as data (docs/standards-format.md). "
        "Send If-None-Match with the last ETag to get 304 when nothing changed.",
    )
    async def export(
        self,
        request: Request[Any, Any, Any],
        version: Annotated[str | None, QueryParameter(description="a version, e.g. 2026.1")] = None,
        date: Annotated[dt.date | None, QueryParameter(description="the version in force on this day")] = None,
    ) -> Response[dict[str, Any]]:
        standard = choose_standard(request.app.state.standards, version, date)
        etag = f'"{standard.etag}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache", "X-Standards-Version": standard.version}
        if request.headers.get("if-none-match") == etag:
            return Response(content=None, status_code=304, headers=headers)  # type: ignore[arg-type]
        return Response(content=standard.document, headers=headers)
