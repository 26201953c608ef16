"""When the demo's inspectors walked which zone, and which assets they checked.

Inspectors visit a zone on about a third of the working days and check part of it on
each visit; every asset is checked one to three times a month. Times are local to the
site (a morning or an afternoon round, a few minutes per asset) and stored in UTC.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from server.demo.accounts import INSPECTOR_ZONES
from server.demo.geography import AssetSpec

VISIT_CHANCE_WEEKDAY = 0.36
VISIT_CHANCE_WEEKEND = 0.05
CHECK_CHANCE = 0.25
MAX_PER_MONTH = 3


@dataclass(frozen=True)
class PlannedInspection:
    at: dt.datetime          # UTC
    asset: AssetSpec
    inspector: str           # username


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every day from `start` up to, not including, `end`."""
    return [start + dt.timedelta(days=n) for n in range((end - start).days)]


def plan_inspections(rng: random.Random, assets: list[AssetSpec], start: dt.date, today: dt.date,
                     tz: ZoneInfo) -> list[PlannedInspection]:
    """Every inspection of the history, in time order."""
    days = days_between(start, today)
    by_zone: dict[str, list[AssetSpec]] = defaultdict(list)
    for asset in assets:
        by_zone[asset.zone.code].append(asset)

    days_in_month: dict[tuple[int, int], int] = defaultdict(int)
    for d in days:
        days_in_month[(d.year, d.month)] += 1
    planned: list[PlannedInspection] = []
    for zone_code, zone_assets in sorted(by_zone.items()):
        inspectors = sorted(u for u, zones in INSPECTOR_ZONES.items() if zone_code in zones)
        visits = [
            d for d in days
            if rng.random() < (VISIT_CHANCE_WEEKDAY if d.weekday() < 5 else VISIT_CHANCE_WEEKEND)
        ]
        visits_by_month: dict[tuple[int, int], list[dt.date]] = defaultdict(list)
        for d in visits:
            visits_by_month[(d.year, d.month)].append(d)
        checked: dict[dt.date, list[AssetSpec]] = defaultdict(list)
        for asset in zone_assets:
            for month, month_visits in visits_by_month.items():
                chosen = [d for d in month_visits if rng.random() < CHECK_CHANCE]
                if not chosen and days_in_month[month] >= 10:  # a month barely begun may lack one
                    chosen = [rng.choice(month_visits)]
                if len(chosen) > MAX_PER_MONTH:
                    chosen = sorted(rng.sample(chosen, MAX_PER_MONTH))
                for d in chosen:
                    checked[d].append(asset)
        for d in visits:
            planned += _walk(rng, d, checked[d], rng.choice(inspectors), tz)
    planned.sort(key=lambda p: (p.at, p.asset.code))
    return planned


def _walk(rng: random.Random, day: dt.date, assets: list[AssetSpec], inspector: str,
          tz: ZoneInfo) -> list[PlannedInspection]:
    """One round: start in the morning or the afternoon and walk the zone end to end."""
    if not assets:
        return []
    hour = rng.choice([8, 9, 14, 15])
    clock = dt.datetime.combine(day, dt.time(hour, rng.randint(0, 45)), tzinfo=tz)
    northwards = rng.random() < 0.5
    route = sorted(assets, key=lambda a: (a.lat + a.lon) * (1 if northwards else -1))
    result = []
    for asset in route:
        clock += dt.timedelta(seconds=rng.randint(120, 420))
        result.append(PlannedInspection(clock.astimezone(dt.timezone.utc), asset, inspector))
    return result
