"""How each demo work order's life will go, decided when it is issued.

A plan is a list of (time, step) the simulation replays; steps after the demo's "now"
simply have not happened yet, which is how orders end up issued, accepted, in progress
and so on. The last orders issued are steered through every status in turn, so the
demo always shows each one whatever day it is loaded.
"""

from __future__ import annotations

import datetime as dt
import random

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)

RESPONSE_TIMES = {"urgent": 24 * H, "high": 72 * H, "normal": 7 * D, "low": 30 * D}
SEVERITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}

# Orders issued this close to "now" are steered through every final status in turn.
STEERED_WINDOW = 21 * D
STEERED_STATUSES = ("issued", "accepted", "in_progress", "completed", "returned", "cancelled", "verified")

RETURN_REASONS = [
    "整改后照片不清晰,无法确认 / The after photo is unclear; the fix cannot be confirmed",
    "现场复查仍不合格 / Still non-compliant when re-checked on site",
    "修复面积不足,未覆盖全部损坏 / The repair does not cover all of the damage",
]
CANCEL_REASONS = [
    "派单有误,缺陷将重新派单 / Issued in error; the defects will be ordered again",
    "与其他工单重复 / Duplicates another work order; the defects will be ordered again",
]
DISMISS_REASONS = [
    "复查确认为误报 / False alarm: nothing wrong when re-checked",
    "重复记录,已在其他缺陷中处理 / Duplicate record of another defect",
    "资产已列入改造计划,暂不整改 / The asset is due for redevelopment; no repair planned",
]

# Step names: the status each one moves the order to ("completed_bad" is a completion the
# supervisor will send back: the fault is not really gone).
Plan = list[tuple[dt.datetime, str]]


def _between(rng: random.Random, start: dt.datetime, lo: dt.timedelta, hi: dt.timedelta) -> dt.datetime:
    return start + lo + (hi - lo) * rng.random()


def random_plan(rng: random.Random, issued: dt.datetime, due: dt.datetime) -> Plan:
    """The usual course: mostly done on time and verified; some late, returned, stalled, cancelled."""
    r = rng.random()
    if r < 0.05:
        return [(_between(rng, issued, 6 * H, 3 * D), "cancelled")]
    accept = _between(rng, issued, 0.5 * H, 16 * H)
    if r < 0.12:  # the contractor never gets round to it: open, then overdue
        return [(accept, "accepted")] if rng.random() < 0.6 else []
    start = _between(rng, accept, 1 * H, 30 * H)
    if rng.random() < 0.8 and due > start + 2 * H:
        complete = start + (due - start) * rng.uniform(0.2, 0.9)
    else:
        complete = _between(rng, max(due, start), 4 * H, 6 * D)
    plan: Plan = [(accept, "accepted"), (start, "in_progress")]
    if r < 0.22:
        returned = _between(rng, complete, 4 * H, 2 * D)
        redo = _between(rng, returned, 12 * H, 2 * D)
        plan += [(complete, "completed_bad"), (returned, "returned"), (redo, "in_progress")]
        complete = _between(rng, redo, 4 * H, 2 * D)
    plan += [(complete, "completed"), (_between(rng, complete, 4 * H, 3 * D), "verified")]
    return plan


def steered_plan(rng: random.Random, issued: dt.datetime, now: dt.datetime, status: str) -> Plan:
    """A plan that leaves the order in `status` at `now`."""
    span = now - issued

    def at(fraction: float) -> dt.datetime:
        return issued + span * (fraction + 0.05 * rng.random())

    steps = {
        "issued": [],
        "accepted": [(at(0.2), "accepted")],
        "in_progress": [(at(0.15), "accepted"), (at(0.4), "in_progress")],
        "completed": [(at(0.1), "accepted"), (at(0.3), "in_progress"), (at(0.6), "completed")],
        "returned": [(at(0.1), "accepted"), (at(0.2), "in_progress"), (at(0.4), "completed_bad"),
                     (at(0.7), "returned")],
        "cancelled": [(at(0.3), "cancelled")],
        "verified": [(at(0.1), "accepted"), (at(0.2), "in_progress"), (at(0.4), "completed"),
                     (at(0.7), "verified")],
    }
    return steps[status]
