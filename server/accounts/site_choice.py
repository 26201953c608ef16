"""The top bar's site switch: which of the user's sites the pages show (server/sites/access.py).

With accounts, not sites: it sets a session cookie beside the others (server/accounts/sessions.py).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post

from server.accounts.controllers import _cookie
from server.core.guards import signed_in
from server.accounts.sessions import SITE_COOKIE
from server.core.errors import AppError
from server.core.web import safe_next, see_other
from server.core.identity import current_user


@post("/site", guards=[signed_in], include_in_schema=False)
async def choose_site(request: Request[Any, Any, Any]) -> Response[Any]:
    """Keep the chosen site (one of the user's) in a cookie; another site's code is a 404."""
    form = await request.form()
    code = str(form.get("site", ""))
    user = current_user(request)
    assert user is not None  # the guard
    if not any(s.code == code for s in user.sites):
        raise AppError("unknown_site", field="site")
    response = see_other(safe_next(str(form.get("next", "")) or None))
    response.cookies.append(_cookie(SITE_COOKIE, code, max_age=365 * 86400))
    return response
