"""Checking the plain fields of a record body: ids, strings, times, positions.

A `BodyChecker` is the core's `Checker` (server/core/validation.py) for a record body: it
walks one body and notes every fault it finds (not just the first), each a `Problem` with a
field path starting at ``body``; the domain services add their own faults and raise
`invalid(checker.problems)` when there are any.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from server.core.text import CODE as TEXT_CODE, MESSAGE_KEY as TEXT_KEY, unstorable
from server.core.sha256 import is_sha256
from server.core.validation import Checker, ahead, has_offset, is_number, moment

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
MAX_ACCURACY_M = 100_000.0  # a position worse than 100 km is no position


@dataclass(frozen=True)
class Position:
    lat: float
    lon: float
    accuracy_m: float | None


class BodyChecker(Checker):
    """Collects the faults of one record body (a JSON object) field by field."""

    def __init__(self, body: Any, allowed: tuple[str, ...]) -> None:
        super().__init__()
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
        """Note a fault: `field` from ``body``, a code of server/core/error_codes.py, a message key."""
        self.problem(field, code, key, **params)

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
        when = moment(value)
        if when is None:
            self.add(field, "bad_type", "sync.expected_datetime")
            return None
        if not has_offset(when):
            self.add(field, "no_offset", "sync.datetime_no_offset")
            return None
        if ahead(when, now):
            self.add(field, "in_future", "sync.datetime_in_future")
            return None
        if when < EARLIEST:
            self.add(field, "too_early", "sync.datetime_too_early")
            return None
        return when

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

    def photos(self, name: str, *, max_items: int, keys: tuple[str, ...]) -> list[tuple[int, dict[str, Any]]]:
        """A list (absent or null: none) of at most `max_items` photo objects `{"sha256", ...keys}`.

        Each good one is returned with its index; `sha256` must be a photo's name.
        """
        raw = self.body.get(name)
        field = f"body.{name}"
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.add(field, "bad_type", "sync.expected_list")
            return []
        if len(raw) > max_items:
            self.add(field, "too_many", "sync.too_many_photos", max=max_items)
            return []
        allowed = ("sha256", *keys)
        good = []
        for i, item in enumerate(raw):
            where = f"{field}[{i}]"
            if not isinstance(item, dict):
                self.add(where, "bad_type", "sync.expected_object")
                continue
            for key in item:
                if key not in allowed:
                    self.add(f"{where}.{key}", "unknown_field", "sync.unknown_field", fields=", ".join(allowed))
            if not is_sha256(item.get("sha256")):
                self.add(f"{where}.sha256", "bad_photo_hash", "sync.bad_photo_hash")
                continue
            good.append((i, item))
        return good

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
