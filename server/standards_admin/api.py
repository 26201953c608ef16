"""`GET /api/standards/set`: every version a phone must keep — the one in force today and
each scheduled one — so it judges a record with the version in force when it was observed,
offline, even after a new version comes into force (web/static/js/api.js refreshStandards)."""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Controller, MediaType, Request, Response, get

from server.core.guards import signed_in


class StandardsSetController(Controller):
    guards = [signed_in]
    tags = ["standards"]

    @get(
        "/api/standards/set",
        media_type=MediaType.JSON,
        summary="The standards versions a phone keeps: in force today and scheduled",
        description="`{\"versions\": [export document, ...]}` oldest first (docs/standards-format.md). The ETag "
        "changes when a version is installed or comes into force; send If-None-Match to get 304.",
    )
    async def standards_set(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        versions = request.app.state.standards.ahead()
        etag = '"' + hashlib.sha256(",".join(s.etag for s in versions).encode()).hexdigest() + '"'
        headers = {"ETag": etag, "Cache-Control": "no-cache",
                   "X-Standards-Versions": ",".join(s.version for s in versions)}
        if request.headers.get("if-none-match") == etag:
            return Response(content=None, status_code=304, headers=headers)  # type: ignore[arg-type]
        return Response(content={"versions": [s.document for s in versions]}, headers=headers)
