"""Calendar months in a site's time zone, and their bounds in UTC (how datetimes are stored)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class BadMonth(ValueError):
    """Text that is not a month YYYY-MM (e.g. "2026-13")."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """"2026-10" → Month(2026, 10); anything else (2026-13, 2026-1, 26-10) is BadMonth."""
        match = _MONTH.match(text.strip()) if isinstance(text, str) else None
        if not match:
            raise BadMonth(f"{text!r} is not a month written YYYY-MM")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or year < 1970:
            raise BadMonth(f"{text!r} is not a month written YYYY-MM")
        return cls(year, month)

    @classmethod
    def of(cls, moment: dt.datetime, tz: ZoneInfo) -> Month:
        """The month `moment` falls in, on the site's clock."""
        local = moment.astimezone(tz)
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shift(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return self.shift(1).first_day - dt.timedelta(days=1)

    def bounds(self, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) in UTC: local midnight of the 1st to local midnight of the next 1st."""
        start = dt.datetime.combine(self.first_day, dt.time(0, 0), tzinfo=tz)
        end = dt.datetime.combine(self.shift(1).first_day, dt.time(0, 0), tzinfo=tz)
        return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)

    def months_back(self, count: int) -> list[Month]:
        """The `count` months ending with this one, oldest first."""
        return [self.shift(-n) for n in range(count - 1, -1, -1)]
