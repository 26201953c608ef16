"""What is due: the rounds of a schedule and the due list of an inspector (pure functions).

The same computation runs on the phone (web/static/js/rounds-logic.js) from the offline
bundle's `rounds` section; both agree on the shared vectors in tests/rounds_vectors/
(tests/test_rounds_schedule.py runs them through both). Nothing here touches the server.

All day arithmetic is in the site's time zone. A schedule (one version per zone ×
category, in force from its `effective_from` day until the next version's) makes *rounds*:

- `every_days` N: a round starts on `effective_from` and every N days after it;
- `weekdays` [1..7, ISO, Monday = 1]: a round starts on each listed weekday;
- `monthly` day D: a round starts on day D of each month; in a month shorter than D
  (day 31 in April, 29–31 in February) it starts on the month's last day;
- `off`: no rounds from `effective_from` on.

A round lasts until the day before the next one starts (a weekly Monday round runs Monday
to Sunday), and never past the day before the next version takes effect. An asset is done
for a round when an inspection of it was observed on a day of the round — and, when the
schedule has a time window ("06:00"–"10:00", local, end excluded), at a time inside it.
On a day, each scheduled asset is *due today* (its round starts today), *overdue* (the
round started earlier and it is not done yet) or *done*. A round that ended with assets
not done is *missed* (server/rounds/service.py marks it once).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

KINDS = ("every_days", "weekdays", "monthly", "off")
# Planar metres per degree of latitude on the route (equirectangular, good over a park).
METRES_PER_DEGREE = 111195.0


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def parse_instant(text: str) -> dt.datetime:
    """An ISO 8601 instant with offset or Z, aware."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"instant without offset: {text!r}")
    return moment


@lru_cache(maxsize=65536)
def _offset_s(timezone: str, bucket: int) -> int:
    """The zone's UTC offset in the quarter hour `bucket` (offsets change on quarter hours)."""
    moment = dt.datetime.fromtimestamp(bucket * 900, dt.timezone.utc).astimezone(_zone(timezone))
    offset = moment.utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def local(moment: dt.datetime, timezone: str) -> tuple[dt.date, str]:
    """The local day and "HH:MM" of an aware instant in `timezone` (as rounds-logic.js's
    localParts: one zone look-up per quarter hour, not per record)."""
    return local_epoch(moment.timestamp(), timezone)


def local_minute(ts: float, timezone: str) -> int:
    """Minutes from 1970-01-01 00:00 local time to the instant `ts` (seconds since the epoch)
    in `timezone`: `// 1440` is the local day's number, `% 1440` the minute of that day."""
    return int(ts // 60) + _offset_s(timezone, int(ts // 900)) // 60


def local_epoch(ts: float, timezone: str) -> tuple[dt.date, str]:
    """`local` of an instant given as seconds since the epoch."""
    days, rest = divmod(local_minute(ts, timezone), 1440)
    return dt.date.fromordinal(719163 + days), f"{rest // 60:02d}:{rest % 60:02d}"


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _monthly_start(year: int, month: int, day: int) -> dt.date:
    """Day `day` of the month, or the month's last day when it is shorter."""
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _add_month(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def round_on(schedule: Mapping[str, Any], day: dt.date) -> tuple[dt.date, dt.date] | None:
    """The round of one schedule version that `day` falls in: (first day, day the next round
    starts), or None before the first round or for `off`. The version's own end (the next
    version) is the caller's to apply."""
    kind = schedule["kind"]
    start_day = _day(schedule["effective_from"])
    if day < start_day or kind == "off":
        return None
    if kind == "every_days":
        n = int(schedule["every_days"])
        k = (day - start_day).days // n
        first = start_day + dt.timedelta(days=k * n)
        return first, first + dt.timedelta(days=n)
    if kind == "weekdays":
        days = set(schedule["weekdays"])
        first = day
        while first.isoweekday() not in days:
            first -= dt.timedelta(days=1)
        if first < start_day:
            return None
        nxt = first + dt.timedelta(days=1)
        while nxt.isoweekday() not in days:
            nxt += dt.timedelta(days=1)
        return first, nxt
    if kind == "monthly":
        d = int(schedule["day_of_month"])
        y, m = day.year, day.month
        first = _monthly_start(y, m, d)
        if first > day:
            y, m = _add_month(y, m, -1)
            first = _monthly_start(y, m, d)
        if first < start_day:
            return None
        ny, nm = _add_month(y, m, 1)
        return first, _monthly_start(ny, nm, d)
    raise ValueError(f"unknown schedule kind {kind!r}")


def in_force(versions: Sequence[Mapping[str, Any]], day: dt.date) -> tuple[Mapping[str, Any] | None, dt.date | None]:
    """The version in force on `day` and the day the next version takes effect (or None)."""
    current, following = None, None
    for v in versions:
        eff = _day(v["effective_from"])
        if eff <= day and (current is None or eff > _day(current["effective_from"])):
            current = v
        if eff > day and (following is None or eff < following):
            following = eff
    return current, following


def rounds_between(versions: Sequence[Mapping[str, Any]], first: dt.date, last: dt.date) -> list[tuple[Mapping[str, Any], dt.date, dt.date]]:
    """Every round (version, first day, last day inclusive) that *ends* between `first` and
    `last` (inclusive), each cut at the next version's effective day."""
    found: list[tuple[Mapping[str, Any], dt.date, dt.date]] = []
    day = first
    seen: set[tuple[str, dt.date]] = set()
    # Walk back far enough that a round ending on `first` is found from its start.
    cursor = first - dt.timedelta(days=40)
    while cursor <= last:
        version, following = in_force(versions, cursor)
        span = round_on(version, cursor) if version is not None else None
        if version is None or span is None:
            cursor += dt.timedelta(days=1)
            continue
        start, nxt = span
        if following is not None and following < nxt:
            nxt = following
        end = nxt - dt.timedelta(days=1)
        key = (str(version.get("id")), start)
        if key not in seen and day <= end <= last:
            seen.add(key)
            found.append((version, start, end))
        cursor = max(nxt, cursor + dt.timedelta(days=1))
    return found


def counts_for(window: Mapping[str, str] | None, at_time: str) -> bool:
    """Whether a local time "HH:MM" is inside a schedule's window (no window: always)."""
    if not window:
        return True
    return window["from"] <= at_time < window["to"]


def _group(items: Iterable[Mapping[str, Any]], key: str) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        out.setdefault(item[key], []).append(item)
    return out


def due_list(data: Mapping[str, Any]) -> dict[str, Any]:
    """The inspector's due list (the shape of docs/rounds.md): counts and items, the ones
    left in walking order from `position` (emergency rounds first), then the done ones."""
    tz = data["timezone"]
    now = parse_instant(data["now"])
    today, _ = local(now, tz)
    # Each asset's inspections as (local day, local time, instant).
    seen: dict[str, list[tuple[dt.date, str, dt.datetime]]] = {}
    for rec in data.get("inspections", ()):
        moment = parse_instant(rec["observed_at"])
        seen.setdefault(rec["asset_id"], []).append((*local(moment, tz), moment))
    versions_by_key: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for s in data.get("schedules", ()):
        versions_by_key.setdefault((s["zone_id"], s["category"]), []).append(s)
    rounds: dict[tuple[str, str], tuple[Mapping[str, Any], dt.date, dt.date] | None] = {}
    for key, versions in versions_by_key.items():
        version, following = in_force(versions, today)
        span = round_on(version, today) if version is not None else None
        if version is None or span is None:
            rounds[key] = None
            continue
        start, nxt = span
        if following is not None and following < nxt:
            nxt = following
        rounds[key] = (version, start, nxt - dt.timedelta(days=1))
    emergencies = sorted(data.get("emergencies", ()), key=lambda e: (e["started_at"], e["id"]))
    em_starts = [(e, parse_instant(e["started_at"])) for e in emergencies]

    left: list[tuple[dict[str, Any], Mapping[str, Any]]] = []  # (item, its asset)
    done: list[tuple[dict[str, Any], Mapping[str, Any]]] = []
    counts = {"emergency": 0, "due_today": 0, "overdue": 0, "done": 0, "left": 0}
    for asset in data.get("assets", ()):
        records = seen.get(asset["id"], [])
        item: dict[str, Any] | None = None
        em_done = False
        for e, started in em_starts:
            if asset["zone_id"] in e["zone_ids"] and (not e["categories"] or asset["category"] in e["categories"]):
                if any(moment >= started for _, _, moment in records):
                    em_done = True
                else:
                    item = {"state": "emergency", "emergency_id": e["id"], "due_on": None, "round_ends": None,
                            "window": None}
                break
        current = rounds.get((asset["zone_id"], asset["category"]))
        state = None
        if current is not None:
            version, start, end = current
            window = version.get("window")
            hit = any(start <= day <= today and counts_for(window, at) for day, at, _ in records)
            state = "done" if hit else ("due_today" if start == today else "overdue")
            if item is None:
                item = {"state": state, "emergency_id": None, "due_on": start.isoformat(),
                        "round_ends": end.isoformat(), "window": window}
        if item is None and em_done:
            item = {"state": "done", "emergency_id": None, "due_on": None, "round_ends": None, "window": None}
        if item is None:
            continue
        item = {"asset_id": asset["id"], "code": asset["code"], **item}
        counts[item["state"]] += 1
        (done if item["state"] == "done" else left).append((item, asset))
    counts["left"] = len(left)
    urgent = [pair for pair in left if pair[0]["state"] == "emergency"]
    rest = [pair for pair in left if pair[0]["state"] != "emergency"]
    position = data.get("position")
    route, last = walking_order(urgent, position)
    more, _ = walking_order(rest, last)
    done_items = sorted((i for i, _ in done), key=lambda i: i["code"])
    return {"today": today.isoformat(), "counts": counts, "items": [*route, *more, *done_items]}


def _project(lat: float, lon: float, lat0: float, lon0: float, cos0: float) -> tuple[float, float]:
    """Planar centimetres from (lat0, lon0), rounded so Python and JS agree to the bit."""
    x = math.floor((lon - lon0) * METRES_PER_DEGREE * cos0 * 100 + 0.5)
    y = math.floor((lat - lat0) * METRES_PER_DEGREE * 100 + 0.5)
    return float(x), float(y)


def walking_order(pairs: list[tuple[dict[str, Any], Mapping[str, Any]]], start: Mapping[str, float] | None) -> tuple[list[dict[str, Any]], dict[str, float] | None]:
    """Nearest neighbour from `start` (or from the lowest code when there is none): each next
    item is the closest left (ties: the lower code). Exact, with a grid so 5,000 points
    take milliseconds. Returns the items and where the walk ends."""
    if not pairs:
        return [], dict(start) if start else None
    pairs = sorted(pairs, key=lambda p: p[0]["code"])
    if start is None:
        start = {"lat": pairs[0][1]["lat"], "lon": pairs[0][1]["lon"]}
    lat0, lon0 = float(start["lat"]), float(start["lon"])
    cos0 = math.cos(lat0 * math.pi / 180)
    points = [_project(a["lat"], a["lon"], lat0, lon0, cos0) for _, a in pairs]
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 100.0)
    cell = max(math.floor(span / math.sqrt(len(points))), 100)
    grid: dict[tuple[int, int], list[int]] = {}
    for i, (x, y) in enumerate(points):
        grid.setdefault((math.floor(x / cell), math.floor(y / cell)), []).append(i)
    alive = set(range(len(points)))
    here = (0.0, 0.0)
    order: list[dict[str, Any]] = []
    best = -1
    while alive:
        cx, cy = math.floor(here[0] / cell), math.floor(here[1] / cell)
        best, best_d = -1, 0.0
        ring = 0
        while True:
            if (2 * ring + 1) ** 2 > 4 * len(alive):
                # Fewer points left than cells to look at: look at every point instead.
                for i in alive:
                    dx, dy = xs[i] - here[0], ys[i] - here[1]
                    d = dx * dx + dy * dy
                    if best < 0 or d < best_d or (d == best_d and i < best):
                        best, best_d = i, d
                break
            for gx in range(cx - ring, cx + ring + 1):
                step = 1 if abs(gx - cx) == ring else 2 * ring
                for gy in range(cy - ring, cy + ring + 1, max(step, 1)):
                    for i in grid.get((gx, gy), ()):
                        dx, dy = xs[i] - here[0], ys[i] - here[1]
                        d = dx * dx + dy * dy
                        if best < 0 or d < best_d or (d == best_d and i < best):
                            best, best_d = i, d
            reach = ring * cell
            if best >= 0 and best_d < reach * reach:
                break
            ring += 1
        grid[(math.floor(xs[best] / cell), math.floor(ys[best] / cell))].remove(best)
        alive.discard(best)
        order.append(pairs[best][0])
        here = (xs[best], ys[best])
    last_asset = pairs[best][1]
    return order, {"lat": last_asset["lat"], "lon": last_asset["lon"]}
