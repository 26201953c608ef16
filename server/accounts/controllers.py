"""Sign in, sign out, and the language switch."""

from __future__ import annotations

import math
from typing import Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select

from server.core.deps import DbSession
from server.accounts.models import User
from server.accounts.passwords import verify_password
from server.accounts import limits
from server.accounts.sessions import SESSION_COOKIE, close_session, open_session
from server.core.audit.service import record_event
from server.core.config import get_settings
from server.core.i18n import LANGUAGES
from server.core.security import client_address
from server.core.text import refusal, unstorable
from server.accounts.devices import clean_name, name_device
from server.core.guards import signed_in
from server.core.errors import AppError
from server.core.web import LANG_COOKIE, render, safe_next, see_other
from server.core.identity import current_user


def _cookie(key: str, value: str, *, max_age: int | None, httponly: bool = True) -> Cookie:
    return Cookie(
        key=key,
        value=value,
        max_age=max_age,
        httponly=httponly,
        secure=get_settings().server.secure_cookies,
        samesite="lax",
        path="/",
    )


class AccountController(Controller):
    tags = ["accounts"]
    include_in_schema = False

    @get("/login")
    async def login_page(self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Template | Redirect:
        if current_user(request) is not None:
            return Redirect(path=safe_next(next))
        return render(request, "accounts/login.html", title_key="auth.sign_in", next=safe_next(next), error=None)

    @post("/login")
    async def login(self, request: Request[Any, Any, Any], db: DbSession) -> Response[Any]:
        form = await request.form()
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        target = safe_next(str(form.get("next", "")) or None)
        address = client_address(request)
        bad = next((name for name, value in (("username", username), ("password", password)) if unstorable(value)), None)
        if bad is not None:  # the one text rule (server/core/text.py): never a name nor a password anyone has
            return render(request, "accounts/login.html", status_code=422, title_key="auth.sign_in", next=target,
                          error=f"auth.bad_text_{bad}", error_code="bad_text", username="")
        # The attempt is counted before the password is checked, in its own short write
        # (server/accounts/limits.py): concurrent guesses meet the limit one after another.
        reservation = await limits.reserve(request.app.state.db, username, address)
        if not reservation.allowed:
            assert reservation.retry_after is not None
            page = render(request, "accounts/login.html", status_code=429, title_key="auth.sign_in", next=target,
                          error="auth.rate_limited", error_code="rate_limited", username=username)
            page.headers["Retry-After"] = str(max(1, math.ceil(reservation.retry_after.total_seconds())))
            return page
        # Reads on a reading session, and the password check in a thread: neither the SQLite
        # write lock nor the event loop is held through argon2's deliberate slowness.
        async with request.app.state.db.session(write=False) as reader:
            user = (
                await reader.execute(select(User).where(User.username == username, User.active.is_(True)))
            ).scalar_one_or_none()
        if not await anyio.to_thread.run_sync(verify_password, user.password_hash if user else None, password,
                                              limiter=request.app.state.password_checks):
            await record_event(db, None, "auth.sign_in_failed", "user", username[:64] or "-", request=request)
            return render(
                request,
                "accounts/login.html",
                status_code=400,
                title_key="auth.sign_in",
                next=target,
                error="auth.wrong_credentials",
                username=username,
            )
        await limits.release(db, reservation)
        assert user is not None
        # A new token on every sign-in: the old session id (if any) is dropped, never reused.
        await close_session(db, request.cookies.get(SESSION_COOKIE))
        token = await open_session(
            db, user.id, get_settings().server.session_days, request.headers.get("user-agent")
        )
        await record_event(db, user.id, "auth.sign_in", "user", str(user.id), request=request)
        # The phone names itself at sign-in (its id filled in by web/static/js/device-name.js).
        device_name = str(form.get("device_name", ""))
        if not unstorable(device_name):
            await name_device(db, str(form.get("device_id", "")), device_name, user.id)
        response = see_other(target)
        response.cookies.append(
            _cookie(SESSION_COOKIE, token, max_age=get_settings().server.session_days * 86400)
        )
        if user.language in LANGUAGES:
            # Pages answered before the session is looked up (e.g. unknown URLs) still speak it.
            response.cookies.append(_cookie(LANG_COOKIE, user.language, max_age=365 * 86400, httponly=False))
        return response

    @post("/device", guards=[signed_in])
    async def rename_device(self, request: Request[Any, Any, Any], db: DbSession) -> Response[Any]:
        """Rename this phone (the compact bar's menu); back to the page it was sent from."""
        form = await request.form()
        name = str(form.get("device_name", ""))
        if unstorable(name):
            raise refusal("device_name")
        if not clean_name(name):
            raise AppError("required", key="views.device_name_required", field="device_name")
        user = current_user(request)
        assert user is not None
        await name_device(db, str(form.get("device_id", "")), name, user.id)
        return see_other(safe_next(str(form.get("next", "")) or None))

    @post("/logout")
    async def logout(self, request: Request[Any, Any, Any], db: DbSession) -> Response[Any]:
        user = current_user(request)
        await close_session(db, request.cookies.get(SESSION_COOKIE))
        if user is not None:
            await record_event(db, user.id, "auth.sign_out", "user", str(user.id), request=request)
        response = see_other("/login")
        response.cookies.append(_cookie(SESSION_COOKIE, "", max_age=0))
        return response

    @post("/language")
    async def set_language(self, request: Request[Any, Any, Any], db: DbSession) -> Response[Any]:
        """Remember the chosen language: on the user when signed in, and in a cookie."""
        form = await request.form()
        lang = str(form.get("lang", ""))
        target = safe_next(str(form.get("next", "")) or None)
        response = see_other(target)
        if lang in LANGUAGES:
            user = current_user(request)
            if user is not None:
                row = await db.get(User, user.id)
                if row is not None:
                    row.language = lang
            response.cookies.append(_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=False))
        return response
