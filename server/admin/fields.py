"""Reading an administration form field by field, collecting every problem with its field.

`Form` is the core's `Checker` (server/core/validation.py) for a posted multi-dict: each
reader returns the cleaned value (or None) and notes a problem (an i18n key, the field
named; a field's first problem only) instead of stopping at the first, so the page can show
every bad field next to its input at once. `check()` raises the 422.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from server.core.errors import AppError
from server.core.text import unstorable
from server.core.validation import Checker, Problem

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class Form(Checker):
    """The posted values and the problems found so far (a field's first only)."""

    one_per_field = True

    def __init__(self, values: Any) -> None:
        super().__init__()
        self.values = values

    def raw(self, name: str) -> str:
        value = self.values.get(name)
        return value.strip() if isinstance(value, str) else ""

    def add(self, field: str, key: str, **params: Any) -> None:
        """Note a problem of `field` worded by `key`; its code is the key's last part (`too_long`)."""
        self.problem(field, form_code(key), key, **params)

    def text(self, name: str, *, max_length: int, required: bool = True) -> str:
        value = self.raw(name)
        if unstorable(value):
            self.add(name, "text.bad_field", name=name)
        elif required and not value:
            self.add(name, "adminf.required")
        elif len(value) > max_length:
            self.add(name, "adminf.too_long", max=max_length)
        return value

    def code(self, name: str, *, max_length: int = 32) -> str:
        value = self.text(name, max_length=max_length)
        if value and not CODE.fullmatch(value) and not self.has(name):
            self.add(name, "adminf.bad_code")
        return value

    def number(self, name: str, low: float, high: float, *, required: bool = True) -> float | None:
        value = self.raw(name)
        if not value:
            if required:
                self.add(name, "adminf.required")
            return None
        try:
            number = float(value)
        except ValueError:
            self.add(name, "adminf.not_number")
            return None
        if not low <= number <= high:  # NaN fails this too
            self.add(name, "adminf.out_of_range", low=low, high=high)
            return None
        return number

    def date(self, name: str, *, required: bool = True) -> dt.date | None:
        value = self.raw(name)
        if not value:
            if required:
                self.add(name, "adminf.required")
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.add(name, "adminf.bad_date")
            return None

    def choice(self, name: str, choices: Any, *, required: bool = True) -> str | None:
        value = self.raw(name)
        if not value:
            if required:
                self.add(name, "adminf.required")
            return None
        if value not in choices:
            self.add(name, "adminf.unknown_choice")
            return None
        return value

    def ids(self, name: str, allowed: set[uuid.UUID]) -> list[uuid.UUID]:
        """Several ids, each one of `allowed` (another site's or an unknown id is refused)."""
        found: list[uuid.UUID] = []
        for raw in self.values.getall(name, []) if hasattr(self.values, "getall") else []:
            try:
                value = uuid.UUID(str(raw))
            except ValueError:
                self.add(name, "adminf.unknown_choice")
                continue
            if value not in allowed:
                self.add(name, "adminf.unknown_choice")
            elif value not in found:
                found.append(value)
        return found

    def one_id(self, name: str, allowed: set[uuid.UUID], *, required: bool = True) -> uuid.UUID | None:
        if not self.raw(name):
            if required:
                self.add(name, "adminf.required")
            return None
        chosen = self.ids(name, allowed)
        return chosen[0] if chosen else None

    def flag(self, name: str) -> bool:
        return self.raw(name) in ("1", "on", "true", "yes")

    def check(self) -> None:
        """Raise the 422 naming every bad field, if any."""
        if self.problems:
            raise invalid(self.problems)


def form_code(key: str) -> str:
    """A form problem's stable code: the last part of its message key."""
    return key.rsplit(".", 1)[-1]


def invalid(problems: list[Problem]) -> AppError:
    """The 422 naming every bad field; each is worded when the answer is made (server/core/errors.py)."""
    errors = [{"field": p.field, "code": p.code, "key": p.key, "params": p.params} for p in problems]
    return AppError("invalid_form", field=problems[0].field, errors=errors)


def field_messages(exc: AppError | None, t: Any) -> dict[str, str]:
    """{field: message in the user's language} of a refused form."""
    if exc is None:
        return {}
    if not exc.errors:
        return {exc.field or "_form": t(exc.key, **exc.params)}
    return {e["field"]: t(e["key"], **e["params"]) for e in exc.errors}
