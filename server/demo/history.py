"""Three months of the site's life, replayed in time order.

Inspections find faults; the real engine judges each inspection; failing clauses open
defects (one active per asset and clause); the supervisor orders, dismisses or leaves
them at an end-of-day review; contractors work the orders along their plans (orders.py);
completed work removes the fault, so later inspections pass. Everything is kept in
memory and written in one go by the loader.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import json
import random
import uuid
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from standards import Standard, StandardsSet, evaluate
from server.demo.accounts import INSPECTOR_DEVICES, covering_contract
from server.demo.geography import AssetSpec, offset_position, rng_uuid
from server.demo.observations import CaseMaker
from server.demo.orders import (
    CANCEL_REASONS, D, DISMISS_REASONS, RESPONSE_TIMES, RETURN_REASONS, SEVERITY_RANK,
    STEERED_STATUSES, STEERED_WINDOW, random_plan, steered_plan,
)
from server.demo.records import AssetState, DefectRec, OrderRec
from server.demo.schedule import PlannedInspection, days_between

NEW_FAULT_CHANCE = 0.07        # per inspection: something has gone wrong since last time
ROUTINE_FIX_CHANCE = 0.2       # per inspection: park staff fixed an unordered fault
UNKNOWN_CHANCE = 0.03          # per inspection: a measurement left out
EXEMPT_FAULT_CHANCE = 0.04     # per asset and clause with an exemption: chipped but working
# Clauses that often do not apply (no massed shrubs, no topiary, no climbers, no sign...).
NOT_APPLICABLE_CHANCE = {"GS-2": 0.3, "GS-5": 0.5, "GS-6": 0.6, "GS-7": 0.5, "GS-8": 0.3, "HT-4": 0.4}
FAULT_WEIGHT = {"urgent": 0.3, "high": 1.0, "normal": 1.0, "low": 1.0}
VERDICTS = {True: "compliant", False: "non_compliant", None: "undetermined"}


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON (sorted keys, no spaces, UTF-8) of a record."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class History:
    """Replays the history; read `inspections`, `defects` and `orders` afterwards."""

    def __init__(self, rng: random.Random, standards: StandardsSet, assets: list[AssetSpec],
                 users: dict[str, uuid.UUID], tz: ZoneInfo, start: dt.date, today: dt.date) -> None:
        self.rng, self.standards, self.users, self.tz = rng, standards, users, tz
        self.start, self.today = start, today
        self.now = dt.datetime.combine(today, dt.time(8, 0), tzinfo=tz).astimezone(dt.timezone.utc)
        self.inspections: list[dict[str, Any]] = []
        self.clause_results: list[dict[str, Any]] = []
        self.defects: list[DefectRec] = []
        self.orders: list[OrderRec] = []
        self._active: dict[tuple[uuid.UUID, str], DefectRec] = {}
        self._makers: dict[tuple[str, str], CaseMaker] = {}
        self._order_numbers: dict[int, int] = defaultdict(int)
        self._steered = 0
        self._queue: list[tuple[dt.datetime, int, str, Any]] = []
        self._seq = 0
        first = standards.for_date(start)
        self.assets = [self._new_state(a, first) for a in assets]
        self._states = {s.spec.id: s for s in self.assets}

    # -- set-up -----------------------------------------------------------------------------

    def _maker(self, standard: Standard, category: str) -> CaseMaker:
        key = (standard.version, category)
        if key not in self._makers:
            self._makers[key] = CaseMaker(standard.document["categories"][category])
        return self._makers[key]

    def _new_state(self, asset: AssetSpec, standard: Standard) -> AssetState:
        maker = self._maker(standard, asset.category)
        na = {cid for cid in maker.clauses if self.rng.random() < NOT_APPLICABLE_CHANCE.get(cid, 0.0)}
        state = AssetState(asset, na)
        for cid, clause in maker.clauses.items():
            if cid not in na and "exempt_when" in clause and self.rng.random() < EXEMPT_FAULT_CHANCE:
                state.faults[cid] = maker.fault(cid, self.rng, exempt=True)
        return state

    def _push(self, at: dt.datetime, kind: str, payload: Any) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, kind, payload))

    # -- the replay --------------------------------------------------------------------------

    def run(self, planned: list[PlannedInspection]) -> None:
        for p in planned:
            self._push(p.at, "inspect", (self._states[p.asset.id], p.inspector))
        for day in days_between(self.start, self.today):
            if day.weekday() < 5:
                review = dt.datetime.combine(day, dt.time(16, 30), tzinfo=self.tz)
                self._push(review.astimezone(dt.timezone.utc), "review", None)
        while self._queue and self._queue[0][0] <= self.now:
            at, _, kind, payload = heapq.heappop(self._queue)
            if kind == "inspect":
                self._inspect(at, *payload)
            elif kind == "review":
                self._review(at)
            else:
                self._order_step(at, *payload)

    def _inspect(self, at: dt.datetime, state: AssetState, inspector: str) -> None:
        rng, asset = self.rng, state.spec
        local_day = at.astimezone(self.tz).date()
        standard = self.standards.for_date(local_day)
        maker = self._maker(standard, asset.category)
        for cid, fault in list(state.faults.items()):
            defect = self._active.get((asset.id, cid))
            in_hand = defect is not None and defect.decision == "order"
            if not fault.exempt and not in_hand and rng.random() < ROUTINE_FIX_CHANCE:
                del state.faults[cid]
        na = state.not_applicable & set(maker.clauses)
        if rng.random() < NEW_FAULT_CHANCE:
            free = [c for c in maker.clauses if c not in na and c not in state.faults]
            if free:
                weights = [FAULT_WEIGHT[standard.clause(c).severity] for c in free]
                cid = rng.choices(free, weights)[0]
                state.faults[cid] = maker.fault(cid, rng)
        observations, damages = maker.baseline(rng, na)
        for fault in state.faults.values():
            observations.update(fault.observations)
            damages += [dict(d) for d in fault.damages]
        if rng.random() < UNKNOWN_CHANCE:
            maker.make_unknown(rng, observations, damages)
        observations = {k: v for k, v in observations.items() if k in maker.specs}
        damages = [d for d in damages if d["type"] in maker.damage_types]
        case = {"category": asset.category, "observations": observations, "defects": damages,
                "not_applicable": sorted(na)}
        judged = evaluate(standard, case)
        self._record(at, state, inspector, standard, case, judged)

    def _record(self, at: dt.datetime, state: AssetState, inspector: str, standard: Standard,
                case: dict[str, Any], judged: dict[str, Any]) -> None:
        rng, asset = self.rng, state.spec
        inspection_id = rng_uuid(rng)
        accuracy = round(rng.uniform(3, 15), 1)
        lat, lon = offset_position(asset.lat, asset.lon, rng.gauss(0, accuracy * 0.4), rng.gauss(0, accuracy * 0.4))
        failed = [cid for cid, r in judged["clauses"].items() if r == "fail"]
        notes = "; ".join(
            f"{cid} {standard.clause(cid).label['zh']} {standard.clause(cid).label['en']}" for cid in failed
        )
        content = {
            "id": str(inspection_id), "asset_id": str(asset.id), "observed_at": at.isoformat(),
            "lat": lat, "lon": lon, "accuracy_m": accuracy, "observations": case["observations"],
            "damages": case["defects"], "not_applicable": case["not_applicable"], "notes": notes,
            "standards_version": standard.version,
        }
        self.inspections.append({
            "id": inspection_id, "asset_id": asset.id, "inspector_id": self.users[inspector],
            "device_id": INSPECTOR_DEVICES[inspector], "observed_at": at,
            "received_at": min(at + dt.timedelta(seconds=rng.randint(30, 5400)), self.now),
            "lat": lat, "lon": lon, "accuracy_m": accuracy, "observations": case["observations"],
            "damages": case["defects"], "not_applicable": case["not_applicable"], "notes": notes,
            "standards_version": standard.version, "client_standards_version": standard.version,
            "verdict": VERDICTS[judged["compliant"]], "content_hash": content_hash(content),
        })
        for cid, result in judged["clauses"].items():
            self.clause_results.append({"inspection_id": inspection_id, "clause_id": cid, "result": result})
            self._track_defect(at, state, standard, inspection_id, cid, result)

    def _track_defect(self, at: dt.datetime, state: AssetState, standard: Standard,
                      inspection_id: uuid.UUID, cid: str, result: str) -> None:
        """What the server does with each judged clause: open, add evidence, or note a pass."""
        asset = state.spec
        defect = self._active.get((asset.id, cid))
        if result in ("pass", "exempt") and defect is not None:
            defect.passed_inspection = inspection_id
        if result != "fail":
            return
        if defect is None:
            defect = self._open_defect(at, asset, standard.clause(cid).severity, inspection_id, cid)
        defect.last_inspection = inspection_id
        defect.passed_inspection = None
        defect.evidence.append(inspection_id)

    def _open_defect(self, at: dt.datetime, asset: AssetSpec, severity: str, inspection_id: uuid.UUID,
                     cid: str) -> DefectRec:
        rng = self.rng
        contract = covering_contract(asset.zone.code, asset.category)
        if contract is not None and contract.starts_on > at.astimezone(self.tz).date():
            contract = None
        r = rng.random()
        if r < 0.06:
            decision, wait = "dismiss", rng.uniform(1, 3) * D
        elif contract is None or r < 0.11:
            decision, wait = "wait", dt.timedelta(0)
        else:
            decision = "order"
            wait = {"urgent": 0 * D, "high": rng.uniform(0, 1) * D, "normal": rng.uniform(0, 3) * D,
                    "low": rng.uniform(1, 7) * D}[severity]
        defect = DefectRec(rng_uuid(rng), asset, cid, severity, at, inspection_id, contract, decision, at + wait)
        self._active[(asset.id, cid)] = defect
        self.defects.append(defect)
        return defect

    # -- the supervisor and the contractors ---------------------------------------------------

    def _review(self, at: dt.datetime) -> None:
        rng = self.rng
        open_defects = sorted((d for d in self._active.values() if d.status == "open"),
                              key=lambda d: (d.opened_at, d.asset.code, d.clause_id))
        ready: dict[tuple[str, str], list[DefectRec]] = defaultdict(list)
        for d in open_defects:
            if d.ready_at > at:
                continue
            if d.decision == "dismiss":
                d.status, d.closed_at = "dismissed", at
                d.dismissed_reason = rng.choice(DISMISS_REASONS)
                del self._active[(d.asset.id, d.clause_id)]
                self._state_of(d.asset).faults.pop(d.clause_id, None)  # nothing was really wrong
            elif d.decision == "order" and d.contract is not None:
                ready[(d.contract.code, d.asset.zone.code)].append(d)
        issued = at
        for key in sorted(ready):
            group = ready[key]
            while group:
                size = rng.randint(1, 4)
                issued += dt.timedelta(minutes=rng.uniform(2, 10))
                self._issue(issued, group[:size])
                group = group[size:]

    def _state_of(self, asset: AssetSpec) -> AssetState:
        return self._states[asset.id]

    def _issue(self, at: dt.datetime, defects: list[DefectRec]) -> None:
        rng = self.rng
        worst = min((d.severity for d in defects), key=SEVERITY_RANK.__getitem__)
        year = at.astimezone(self.tz).year
        self._order_numbers[year] += 1
        contract = defects[0].contract
        assert contract is not None and all(d.contract == contract for d in defects)
        order = OrderRec(rng_uuid(rng), f"WO-{year}-{self._order_numbers[year]:04d}", contract,
                         at, at + RESPONSE_TIMES[worst], list(defects))
        self.orders.append(order)
        for d in defects:
            d.status = "ordered"
        if self.now - at < STEERED_WINDOW:
            status = STEERED_STATUSES[self._steered % len(STEERED_STATUSES)]
            self._steered += 1
            plan = steered_plan(rng, at, self.now, status)
        else:
            plan = random_plan(rng, at, order.due_at)
        for when, step in plan:
            self._push(when, "order", (order, step))

    def _order_step(self, at: dt.datetime, order: OrderRec, step: str) -> None:
        rng = self.rng
        if step in ("accepted", "in_progress"):
            order.status = step
        elif step in ("completed", "completed_bad"):
            order.status, order.completed_at = "completed", at
            for d in order.defects:
                d.status = "fixed"
                if step == "completed":
                    self._state_of(d.asset).faults.pop(d.clause_id, None)
        elif step == "returned":
            order.status, order.completed_at = "returned", None
            order.return_reason = rng.choice(RETURN_REASONS)
            for d in order.defects:
                d.status = "ordered"
        elif step == "verified":
            order.status, order.verified_at = "verified", at
            for d in order.defects:
                d.status, d.closed_at = "closed", at
                del self._active[(d.asset.id, d.clause_id)]
        elif step == "cancelled":
            order.status, order.cancel_reason = "cancelled", rng.choice(CANCEL_REASONS)
            for d in order.defects:
                d.status = "open"
                d.ready_at = at + rng.uniform(2, 5) * D
