"""`/`: each role lands on its own page."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Redirect

from server.core.identity import current_user

LANDING = {
    "inspector": "/inspect",
    "supervisor": "/supervise",
    "contractor": "/contractor",
    "admin": "/admin",
}


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Redirect:
    user = current_user(request)
    if user is None:
        return Redirect(path="/login")
    return Redirect(path=LANDING[user.role])
