"""Checking the plain fields of a record body: ids, strings, times, positions.

A `BodyChecker` walks one body and collects every fault it finds (not just the first),
each a `Problem` with a field path starting at ``body``; the domain services add their
own faults and raise `invalid(checker.problems)` when there are any.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from dataclasses import dataclass
from typing import Any

from server.core.text import CODE as TEXT_CODE, MESSAGE_KEY as TEXT_KEY, unstorable
from sync.protocol import Problem

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
CLOCK_SKEW = dt.timedelta(minutes=5)
MAX_ACCURACY_M = 100_000.0  # a position worse than 100 km is no position


@dataclass(frozen=True)
class Position:
    lat: float
    lon: float
    accuracy_m: float | None


def is_number(value: Any) -> bool:
    """A finite JSON number (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


class BodyChecker:
    """Collects the faults of one record body (a JSON object) field by field."""

    def __init__(self, body: Any, allowed: tuple[str, ...]) -> None:
        self.problems: list[Problem] = []
        if not isinstance(body, dict):
            self.body: dict[str, Any] = {}
            self.add("body", "bad_type", "sync.expected_object")
            self.ok_object = False
            return
        self.body = body
        self.ok_object = True
        for key in body:
            if key not in allowed:
                self.add(f"body.{key}", "unknown_field", "sync.unknown_field", fields=", ".join(allowed))

    def add(self, field: str, code: str, key: str, **params: Any) -> None:
        self.problems.append(Problem(field, code, key, params))

    def missing(self, name: str) -> bool:
        """True (and a `required` fault) when `name` is absent or null."""
        if self.body.get(name) is None:
            if self.ok_object:
                self.add(f"body.{name}", "required", "sync.required")
            return True
        return False

    def uuid(self, name: str) -> uuid.UUID | None:
        """A required UUID field."""
        if self.missing(name):
            return None
        value = self.body[name]
        if isinstance(value, str) and len(value) == 36:
            try:
                return uuid.UUID(value)
            except ValueError:
                pass
        self.add(f"body.{name}", "bad_type", "sync.expected_uuid")
        return None

    def text(self, name: str, *, max_length: int, required: bool = False) -> str | None:
        """A string field; absent or null reads as "" unless required. Trimmed."""
        value = self.body.get(name)
        if value is None:
            if required:
                self.missing(name)
                return None
            return ""
        if not isinstance(value, str):
            self.add(f"body.{name}", "bad_type", "sync.expected_string")
            return None
        value = value.strip()
        if required and not value:
            self.add(f"body.{name}", "required", "sync.required")
            return None
        if len(value) > max_length:
            self.add(f"body.{name}", "too_long", "sync.too_long", max=max_length)
            return None
        if unstorable(value):  # the one text rule (server/core/text.py), on both backends alike
            self.add(f"body.{name}", TEXT_CODE, TEXT_KEY)
            return None
        return value

    def observed_at(self, name: str, now: dt.datetime) -> dt.datetime | None:
        """A past moment with its time-zone offset, not before 2000, at most 5 min ahead."""
        if self.missing(name):
            return None
        value = self.body[name]
        field = f"body.{name}"
        if not isinstance(value, str):
            self.add(field, "bad_type", "sync.expected_datetime")
            return None
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            self.add(field, "bad_type", "sync.expected_datetime")
            return None
        if moment.tzinfo is None or moment.utcoffset() is None:
            self.add(field, "no_offset", "sync.datetime_no_offset")
            return None
        if moment > now + CLOCK_SKEW:
            self.add(field, "in_future", "sync.datetime_in_future")
            return None
        if moment < EARLIEST:
            self.add(field, "too_early", "sync.datetime_too_early")
            return None
        return moment

    def position(self, name: str, *, required: bool) -> Position | None:
        """`{"lat", "lon", "accuracy_m"}` on the planet; null allowed unless required."""
        value = self.body.get(name)
        field = f"body.{name}"
        if value is None:
            if required:
                self.missing(name)
            return None
        if not isinstance(value, dict):
            self.add(field, "bad_type", "sync.expected_position")
            return None
        before = len(self.problems)
        for key in value:
            if key not in ("lat", "lon", "accuracy_m"):
                self.add(f"{field}.{key}", "unknown_field", "sync.unknown_field", fields="lat, lon, accuracy_m")
        lat = self._coordinate(value, "lat", field, 90.0)
        lon = self._coordinate(value, "lon", field, 180.0)
        accuracy = value.get("accuracy_m")
        if accuracy is not None:
            if not is_number(accuracy):
                self.add(f"{field}.accuracy_m", "bad_type", "sync.expected_number")
            elif not 0 <= accuracy <= MAX_ACCURACY_M:
                self.add(f"{field}.accuracy_m", "out_of_range", "sync.out_of_range", min=0, max=int(MAX_ACCURACY_M))
        if len(self.problems) > before or lat is None or lon is None:
            return None
        return Position(float(lat), float(lon), None if accuracy is None else float(accuracy))

    def _coordinate(self, value: dict[str, Any], key: str, field: str, limit: float) -> float | None:
        raw = value.get(key)
        if raw is None:
            self.add(f"{field}.{key}", "required", "sync.required")
            return None
        if not is_number(raw):
            self.add(f"{field}.{key}", "bad_type", "sync.expected_number")
            return None
        if not -limit <= raw <= limit:
            self.add(f"{field}.{key}", "out_of_range", "sync.out_of_range", min=-int(limit), max=int(limit))
            return None
        return float(raw)
