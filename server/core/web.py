"""Rendering pages: the whole page for a normal request, the fragment for htmx.

A request made by htmx (``HX-Request``) gets only the page's ``content`` block, unless it
is a history restore (``HX-History-Restore-Request``), which needs the whole page. Every
HTML response says ``Vary: HX-Request`` so no cache mixes the two.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request
from litestar.response import Redirect, Template

from server.core.identity import current_user
from server.core.config import get_settings
from server.core.i18n import LANGUAGE_NAMES, LANGUAGES, negotiate, phone_words, pick, translator

LANG_COOKIE = "fc_lang"
NAV_COUNT_KEY = "fc_review_count"  # set by server/workorders/nav.py before a staff page renders
# htmx targets that stand for the whole page (a filter, the month switch): their fragment
# carries the page's <title>.
PAGE_TARGETS = {"main", "map-results"}


def request_language(request: Request[Any, Any, Any]) -> str:
    """The user's saved choice, then the language cookie, then the browser's languages."""
    user = current_user(request)
    if user is not None and user.language in LANGUAGES:
        return user.language
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return negotiate(request.headers.get("accept-language"), get_settings().server.default_language)


def is_fragment_request(request: Request[Any, Any, Any]) -> bool:
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"


def render(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    title_key: str | None = None,
    **context: Any,
) -> Template:
    """Render `template` with the common context; just its content block for htmx."""
    lang = request_language(request)
    ctx = {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "languages": LANGUAGE_NAMES,
        "t": translator(lang),
        "phone_words": phone_words(lang),
        "pick": lambda labels: pick(lang, labels),
        "user": current_user(request),
        "path": request.url.path,
        "full_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "fragment": is_fragment_request(request),
        "swap_title": request.headers.get("hx-target") in PAGE_TARGETS,
        "review_count": request.scope.get(NAV_COUNT_KEY),
        "title_key": title_key,
        "category_labels": {k: c.label for k, c in request.app.state.standards.catalogue().categories.items()},
        **context,
    }
    # Page templates `{% extends layout %}`: the full layout, or one that is only the content.
    ctx["layout"] = "layout/fragment.html" if ctx["fragment"] else "layout/base.html"
    return Template(
        template_name=template,
        context=ctx,
        status_code=status_code,
        headers={"Vary": "HX-Request, Accept-Language, Cookie"},
    )


def localtime(value: dt.datetime | None) -> str:
    """A UTC datetime shown in the site's time zone, to the minute (a Jinja filter)."""
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(get_settings().site.timezone)).strftime("%Y-%m-%d %H:%M")


def see_other(path: str) -> Redirect:
    """303 after a POST, so reload does not post again."""
    return Redirect(path=path, status_code=303)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths as redirect targets (no //evil.example, no scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
