"""The scoring rule as pure functions over plain rows (no database, no HTTP).

The database boils a month down to one `AssetRow` per asset in scope and one `OrderRow`
per work order due in the month (queries.py); everything here is arithmetic on those,
exact (fractions), so the worked example of docs/scoring.md comes out to the digit.
A closed month stores these same rows, so its evidence is what its figures were made of.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

from server.scoring.rules import ScoringRule

DONE_STATUSES = ("completed", "verified")
OPEN_STATUSES = ("issued", "accepted", "in_progress", "returned")
SCOPE_KINDS = ("site", "zone", "contractor", "category")


@dataclass(frozen=True)
class AssetRow:
    """An asset in the month's register (active, created before month end) and its month."""

    asset_id: str
    zone_id: str
    category: str
    inspections: int = 0                 # inspections observed in the month
    latest_inspection_id: str | None = None
    verdict: str | None = None           # of the latest inspection in the month
    passes: int = 0                      # clause results of that latest inspection
    exempts: int = 0
    fails: int = 0
    standards_version: str | None = None

    @property
    def inspected(self) -> bool:
        return self.inspections > 0


@dataclass(frozen=True)
class OrderRow:
    """A work order due in the month, with the (zone, category) of each of its defects."""

    order_id: str
    contractor_id: str
    status: str
    due_at: dt.datetime
    completed_at: dt.datetime | None
    places: tuple[tuple[str, str], ...] = ()

    def outcome(self, now: dt.datetime) -> str:
        """on_time, late, cancelled (not counted) or pending (not due yet, not done yet)."""
        if self.status == "cancelled":
            return "cancelled"
        done = self.status in DONE_STATUSES and self.completed_at is not None
        if done and self.completed_at <= self.due_at:  # type: ignore[operator]
            return "on_time"
        if not done and self.due_at > now:
            return "pending"
        return "late"


@dataclass(frozen=True)
class VetoRow:
    """A safety defect (the rule's veto names its clause or severity) still not closed past its
    due time at some moment of the month: it caps the payment of every scope it falls in."""

    defect_id: str
    zone_id: str
    category: str
    clause_id: str
    severity: str
    respond_by: dt.datetime
    closed_at: dt.datetime | None

    def to_json(self) -> list[Any]:
        return [self.defect_id, self.zone_id, self.category, self.clause_id, self.severity,
                self.respond_by.isoformat(), self.closed_at.isoformat() if self.closed_at else None]

    @classmethod
    def from_json(cls, row: list[Any]) -> VetoRow:
        return cls(row[0], row[1], row[2], row[3], row[4], dt.datetime.fromisoformat(row[5]),
                   dt.datetime.fromisoformat(row[6]) if row[6] else None)


@dataclass(frozen=True)
class Ref:
    """A zone, contractor or category as the tables name it."""

    kind: str
    code: str
    name_zh: str
    name_en: str
    id: str = ""
    # A contractor's contract scope: the (zone id, category) pairs of its contracts in the month.
    places: frozenset[tuple[str, str]] = frozenset()

    @property
    def scope(self) -> str:
        return "site" if self.kind == "site" else f"{self.kind}:{self.code}"


@dataclass
class MonthData:
    """Everything a month's figures are computed from."""

    month: str
    site: Ref
    zones: list[Ref]
    contractors: list[Ref]
    categories: list[Ref]
    assets: list[AssetRow]
    orders: list[OrderRow]
    now: dt.datetime                     # when the rows were read (orders due later are pending)
    month_over: bool
    vetoes: list[VetoRow] = field(default_factory=list)  # safety defects past due (the rule's veto)
    # Each (zone id, category) place's assets summed, when read so from the database (then
    # `assets` is empty: the figures need only these sums); None: summed from `assets`.
    tallies: dict[tuple[str, str], AssetTally] | None = field(default=None, repr=False, compare=False)
    _indexes: dict[str, dict[Any, list[Any]]] | None = field(default=None, repr=False, compare=False)

    def refs(self) -> list[Ref]:
        """Every scope of the month: the site, then zones, contractors and categories."""
        return [self.site, *self.zones, *self.contractors, *self.categories]

    def ref(self, scope: str) -> Ref | None:
        return next((r for r in self.refs() if r.scope == scope), None)

    def assets_in(self, ref: Ref) -> list[AssetRow]:
        if ref.kind == "site":
            return list(self.assets)
        index = self._index()
        if ref.kind == "zone":
            return index["asset_zone"].get(ref.id, [])
        if ref.kind == "category":
            return index["asset_category"].get(ref.code, [])
        return [a for place in sorted(ref.places) for a in index["asset_place"].get(place, [])]

    def orders_in(self, ref: Ref) -> list[OrderRow]:
        if ref.kind == "site":
            return list(self.orders)
        index = self._index()
        key = {"zone": ("order_zone", ref.id), "category": ("order_category", ref.code),
               "contractor": ("order_contractor", ref.id)}[ref.kind]
        return index[key[0]].get(key[1], [])

    def vetoes_in(self, ref: Ref) -> list[VetoRow]:
        """The veto rows of a scope: by the defect's zone and category (a contractor's by its
        contract places, as its assets are)."""
        if ref.kind == "site":
            return list(self.vetoes)
        if ref.kind == "zone":
            return [v for v in self.vetoes if v.zone_id == ref.id]
        if ref.kind == "category":
            return [v for v in self.vetoes if v.category == ref.code]
        return [v for v in self.vetoes if (v.zone_id, v.category) in ref.places]

    def place_tallies(self) -> dict[tuple[str, str], AssetTally]:
        """Each (zone id, category) place's assets, summed."""
        if self.tallies is None:
            self.tallies = {place: AssetTally.of(rows) for place, rows in self._index()["asset_place"].items()}
        return self.tallies

    def tally(self, ref: Ref) -> AssetTally:
        """The scope's assets summed: the same assets as `assets_in(ref)`, a place at a time."""
        places = self.place_tallies()
        if ref.kind == "site":
            return AssetTally.total(places.values())
        if ref.kind == "zone":
            return AssetTally.total(t for (zone, _), t in places.items() if zone == ref.id)
        if ref.kind == "category":
            return AssetTally.total(t for (_, category), t in places.items() if category == ref.code)
        return AssetTally.total(places[place] for place in ref.places if place in places)

    def _index(self) -> dict[str, dict[Any, list[Any]]]:
        """Rows grouped by zone, category, place and contractor, built once (a big month has
        tens of thousands of rows and some twenty scopes)."""
        if self._indexes is None:
            index: dict[str, dict[Any, list[Any]]] = {k: {} for k in (
                "asset_zone", "asset_category", "asset_place", "order_zone", "order_category", "order_contractor")}
            for a in self.assets:
                index["asset_zone"].setdefault(a.zone_id, []).append(a)
                index["asset_category"].setdefault(a.category, []).append(a)
                index["asset_place"].setdefault((a.zone_id, a.category), []).append(a)
            for o in self.orders:
                for zone in {z for z, _ in o.places}:
                    index["order_zone"].setdefault(zone, []).append(o)
                for category in {c for _, c in o.places}:
                    index["order_category"].setdefault(category, []).append(o)
                index["order_contractor"].setdefault(o.contractor_id, []).append(o)
            self._indexes = index
        return self._indexes

    # -- frozen form (closing a month stores this) ----------------------------------------

    def to_json(self) -> dict[str, Any]:
        def ref(r: Ref) -> dict[str, Any]:
            out: dict[str, Any] = {"kind": r.kind, "code": r.code, "name_zh": r.name_zh, "name_en": r.name_en, "id": r.id}
            if r.kind == "contractor":
                out["places"] = sorted([z, c] for z, c in r.places)
            return out

        return {
            "month": self.month, "now": self.now.isoformat(), "month_over": self.month_over,
            "site": ref(self.site), "zones": [ref(r) for r in self.zones],
            "contractors": [ref(r) for r in self.contractors], "categories": [ref(r) for r in self.categories],
            # Rows as lists, not objects: a site of 10,000 assets stays a modest document.
            "assets": [[a.asset_id, a.zone_id, a.category, a.inspections, a.latest_inspection_id, a.verdict,
                        a.passes, a.exempts, a.fails, a.standards_version] for a in self.assets],
            "orders": [[o.order_id, o.contractor_id, o.status, o.due_at.isoformat(),
                        o.completed_at.isoformat() if o.completed_at else None, [list(p) for p in o.places]]
                       for o in self.orders],
            "vetoes": [v.to_json() for v in self.vetoes],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> MonthData:
        def ref(d: dict[str, Any]) -> Ref:
            places = frozenset((z, c) for z, c in d.get("places", []))
            return Ref(d["kind"], d["code"], d["name_zh"], d["name_en"], d.get("id", ""), places)

        return cls(
            month=doc["month"], site=ref(doc["site"]), zones=[ref(r) for r in doc["zones"]],
            contractors=[ref(r) for r in doc["contractors"]], categories=[ref(r) for r in doc["categories"]],
            assets=[AssetRow(*row) for row in doc["assets"]],
            orders=[OrderRow(o[0], o[1], o[2], dt.datetime.fromisoformat(o[3]),
                             dt.datetime.fromisoformat(o[4]) if o[4] else None, tuple((z, c) for z, c in o[5]))
                    for o in doc["orders"]],
            now=dt.datetime.fromisoformat(doc["now"]), month_over=doc["month_over"],
            vetoes=[VetoRow.from_json(v) for v in doc.get("vetoes", [])],  # months closed before the veto: none
        )


@dataclass(frozen=True)
class ScopeCounts:
    """One scope's month in counts: what its figures are made of (shared with the API's shape)."""

    scope: str
    kind: str
    code: str
    name_zh: str
    name_en: str
    assets: int
    inspected: int
    compliant: int
    non_compliant: int
    undetermined: int
    inspections: int
    clause_pass: int
    clause_exempt: int
    clause_fail: int
    orders_due: int          # counted: on time + late (cancelled and pending are not)
    orders_on_time: int
    orders_late: int
    orders_late_open: int    # late and still not done
    orders_pending: int
    orders_cancelled: int


@dataclass(frozen=True)
class Figures(ScopeCounts):
    """One scope's month: the counts, the four figures, the score and its payment band."""

    coverage: Fraction | None
    compliance: Fraction | None
    clause_pass_rate: Fraction | None
    timeliness: Fraction
    score: Fraction | None   # already rounded to one decimal
    payment_pct: Fraction | None
    notes: tuple[str, ...] = field(default=())
    # The safety veto: the band's payment before the cap, and the defects that capped it
    # as (defect id, clause id, severity, due time ISO). Empty when no veto applied.
    band_payment_pct: Fraction | None = None
    vetoed_by: tuple[tuple[str, str, str, str], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: counts as integers, ratios to 6 places, score to one decimal."""
        out = asdict(self)
        out["band_payment_pct"] = None if self.band_payment_pct is None else float(self.band_payment_pct)
        out["vetoed_by"] = [list(v) for v in self.vetoed_by]
        for key in ("coverage", "compliance", "clause_pass_rate", "timeliness"):
            value = getattr(self, key)
            out[key] = None if value is None else round(float(value), 6)
        out["score"] = None if self.score is None else float(self.score)
        out["payment_pct"] = None if self.payment_pct is None else float(self.payment_pct)
        out["notes"] = list(self.notes)
        return out

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Figures:
        values = dict(doc)
        for key in ("coverage", "compliance", "clause_pass_rate", "timeliness", "score", "payment_pct",
                    "band_payment_pct"):
            if values.get(key) is not None:
                values[key] = Fraction(str(values[key]))
        values["notes"] = tuple(values.get("notes", ()))
        values["vetoed_by"] = tuple(tuple(v) for v in values.get("vetoed_by", ()))
        return cls(**values)


def ratio(numerator: int, denominator: int) -> Fraction | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    return Fraction(numerator, denominator) if denominator else None


def round_score(value: Fraction) -> Fraction:
    """One decimal, halves rounded up (84.25 → 84.3), computed exactly."""
    return Fraction(math.floor(value * 10 + Fraction(1, 2)), 10)


def score_of(rule: ScoringRule, compliance: Fraction, timeliness: Fraction, coverage: Fraction) -> Fraction:
    """100 × (w_compliance × compliance + w_timeliness × timeliness + w_coverage × coverage), one decimal."""
    w = rule.weights
    return round_score(100 * (w["compliance"] * compliance + w["timeliness"] * timeliness + w["coverage"] * coverage))


@dataclass
class AssetTally:
    """What the figures need of a set of assets, summed: tallies of disjoint sets add up."""

    assets: int = 0
    inspected: int = 0
    compliant: int = 0
    non_compliant: int = 0
    passes: int = 0
    exempts: int = 0
    fails: int = 0
    inspections: int = 0

    @classmethod
    def of(cls, assets: Iterable[AssetRow]) -> AssetTally:
        tally = cls()
        for a in assets:
            tally.assets += 1
            tally.inspections += a.inspections
            if a.inspections > 0:
                tally.inspected += 1
                tally.compliant += a.verdict == "compliant"
                tally.non_compliant += a.verdict == "non_compliant"
                tally.passes += a.passes
                tally.exempts += a.exempts
                tally.fails += a.fails
        return tally

    @classmethod
    def total(cls, tallies: Iterable[AssetTally]) -> AssetTally:
        out = cls()
        for t in tallies:
            for key in out.__dataclass_fields__:
                setattr(out, key, getattr(out, key) + getattr(t, key))
        return out


def figures_for(ref: Ref, assets: Iterable[AssetRow] | AssetTally, orders: Iterable[OrderRow], rule: ScoringRule,
                now: dt.datetime, *, month_over: bool = True, vetoes: Iterable[VetoRow] = ()) -> Figures:
    """Apply the rule to one scope's rows (docs/scoring.md, "The rule" and "Edge cases");
    the assets may come already tallied (`month_figures` tallies each place once)."""
    tally = assets if isinstance(assets, AssetTally) else AssetTally.of(assets)
    compliant, non_compliant = tally.compliant, tally.non_compliant
    passes, exempts, fails = tally.passes, tally.exempts, tally.fails
    orders = list(orders)
    outcomes = [o.outcome(now) for o in orders]
    on_time = outcomes.count("on_time")
    late = outcomes.count("late")
    late_open = sum(1 for o, r in zip(orders, outcomes) if r == "late" and o.status in OPEN_STATUSES)

    coverage = ratio(tally.inspected, tally.assets)
    compliance = ratio(compliant, tally.inspected)
    timeliness = ratio(on_time, on_time + late)
    notes: list[str] = []
    if not month_over:
        notes.append("provisional")
    if not tally.assets:
        notes.append("no_assets")
    elif not tally.inspected:
        notes.append("no_inspections")
    if timeliness is None:
        notes.append("no_orders_due")
        timeliness = Fraction(1)
    score = payment = band_payment = None
    vetoed_by: tuple[tuple[str, str, str, str], ...] = ()
    if coverage is not None and compliance is not None:
        score = score_of(rule, compliance, timeliness, coverage)
        payment = rule.band_for(score).payment_pct
        vetoing = sorted((v for v in vetoes if rule.veto is not None and rule.veto.covers(v.clause_id, v.severity)),
                         key=lambda v: (v.respond_by, v.defect_id))
        if vetoing and rule.veto is not None:
            vetoed_by = tuple((v.defect_id, v.clause_id, v.severity, v.respond_by.isoformat()) for v in vetoing)
            notes.append("safety_veto")
            if payment > rule.veto.max_payment_pct:  # the cap lowers the payment, never raises it
                band_payment, payment = payment, rule.veto.max_payment_pct
    return Figures(
        scope=ref.scope, kind=ref.kind, code=ref.code, name_zh=ref.name_zh, name_en=ref.name_en,
        assets=tally.assets, inspected=tally.inspected, compliant=compliant, non_compliant=non_compliant,
        undetermined=tally.inspected - compliant - non_compliant,
        inspections=tally.inspections,
        clause_pass=passes, clause_exempt=exempts, clause_fail=fails,
        orders_due=on_time + late, orders_on_time=on_time, orders_late=late, orders_late_open=late_open,
        orders_pending=outcomes.count("pending"), orders_cancelled=outcomes.count("cancelled"),
        coverage=coverage, compliance=compliance, clause_pass_rate=ratio(passes + exempts, passes + exempts + fails),
        timeliness=timeliness, score=score, payment_pct=payment, notes=tuple(notes),
        band_payment_pct=band_payment, vetoed_by=vetoed_by,
    )


def month_figures(data: MonthData, rule: ScoringRule) -> list[Figures]:
    """Figures for every scope of the month, in the order of `MonthData.refs()` (each place's
    assets summed once, every scope adding up its places)."""
    return [
        figures_for(ref, data.tally(ref), data.orders_in(ref), rule, data.now, month_over=data.month_over,
                    vetoes=data.vetoes_in(ref))
        for ref in data.refs()
    ]
