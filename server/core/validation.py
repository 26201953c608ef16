"""One way to check a body: a sync record's, a work-order completion's, a form's.

A `Checker` reads one body field by field and notes every fault it finds (not just the
first) as a `Problem`: the field at fault, a stable code (server/core/error_codes.py) and
the message key with its parameters. The caller refuses once, with all of them: the sync
protocol as a refused record (sync/fields.py), a completion and a form as a 422
(server/workorders/completion.py, server/admin/fields.py).

The plain checks of a value (a finite number, a moment with its offset, a SHA-256, a
position on the planet) are here too, so that every body means the same by them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from server.core.i18n import translate

CLOCK_SKEW = dt.timedelta(minutes=5)  # how far ahead of the server a phone's clock may be


@dataclass(frozen=True)
class Problem:
    """One fault in a body: the field (``body.…`` or the form input), a stable code, the message.

    The message is an i18n key with parameters, or ready-made text per language (the
    standards engine's errors come with English and Chinese already).
    """

    field: str
    code: str
    key: str = ""
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    texts: dict[str, str] | None = None

    def message(self, lang: str) -> str:
        """The message in `lang`."""
        if self.texts is not None:
            return self.texts.get(lang) or self.texts["en"]
        return translate(lang, self.key, **self.params)


class Checker:
    """The faults of one body, noted field by field; `one_per_field` keeps only a field's first."""

    one_per_field = False

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, field: str, code: str, key: str, **params: Any) -> None:
        """Note a fault of `field` (a second one of the same field too, unless `one_per_field`)."""
        if not (self.one_per_field and self.has(field)):
            self.problems.append(Problem(field, code, key, params))

    def has(self, field: str) -> bool:
        """Whether a fault of `field` has been noted."""
        return any(p.field == field for p in self.problems)


def is_number(value: Any) -> bool:
    """A finite JSON number (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def number(value: Any) -> float | None:
    """`value` as a float when it is a finite JSON number, else None."""
    return float(value) if is_number(value) else None


def moment(value: Any) -> dt.datetime | None:
    """An ISO 8601 moment (any offset, or none), or None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def has_offset(value: dt.datetime) -> bool:
    """Whether the moment says its time-zone offset (so it names one instant)."""
    return value.tzinfo is not None and value.utcoffset() is not None


def ahead(value: dt.datetime, now: dt.datetime) -> bool:
    """Whether the moment is later than `now`, past what a phone's clock may be ahead by."""
    return value > now + CLOCK_SKEW


def on_planet(lat: float, lon: float) -> bool:
    """Whether latitude and longitude (numbers already) are in range."""
    return -90 <= lat <= 90 and -180 <= lon <= 180
