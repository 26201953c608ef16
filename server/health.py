"""`/health`: is the app up and can it reach its database."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, get
from sqlalchemy import text


@get("/health", media_type=MediaType.JSON, tags=["system"], summary="Liveness and database check")
async def health(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    status = {"status": "ok", "database": "ok", "standards_version": request.app.state.standards.current().version}
    try:
        async with request.app.state.db.session(write=False) as session:
            await session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy", reported as such
        status.update(status="degraded", database="unreachable")
        return Response(status, status_code=503)
    return Response(status)
