"""Receiving one inspection from a phone: check it, judge it again, and plan what to store.

The server is the authority: whatever the phone judged (`compliant`, `clauses` in the
body, if it sends them) is kept only in the audit trail; the verdict stored is the
engine's, with the standards version in force on the day of the inspection (the current
one if none was), next to the version the phone used.

Who may inspect what: inspectors only the assets of their own zones (those they download
for offline use); supervisors and admins any asset. An asset out of reach is answered
exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from server.defects.service import track_defects
from standards import EvaluationError, Standard, evaluate
from server.core.sha256 import is_sha256
from server.core.validation import Problem
from sync.context import AssetInfo, AuditEntry, BatchState, Plan
from sync.fields import BodyChecker, Position
from sync.protocol import RecordRefused, SyncRecord, invalid

FIELDS = (
    "asset_id", "observed_at", "position", "observations", "damages", "not_applicable", "notes", "photos",
    "standards_version", "compliant", "clauses",
)
VERDICTS: dict[bool | None, str] = {True: "compliant", False: "non_compliant", None: "undetermined"}
MAX_NOTES = 10_000
MAX_PHOTOS = 50


def referenced_asset_id(body: Any) -> uuid.UUID | None:
    """The asset an inspection body names, if it names one properly (for batch loading)."""
    if isinstance(body, dict) and isinstance(body.get("asset_id"), str):
        try:
            return uuid.UUID(body["asset_id"])
        except ValueError:
            return None
    return None


def referenced_photos(body: Any) -> list[str]:
    """The well-formed photo hashes an inspection body names (for batch loading)."""
    if not isinstance(body, dict) or not isinstance(body.get("photos"), list):
        return []
    return [p["sha256"] for p in body["photos"]
            if isinstance(p, dict) and is_sha256(p.get("sha256"))]


def plan_inspection(state: BatchState, record: SyncRecord) -> Plan:
    """The rows, defects, audit events and result of one valid inspection; RecordRefused otherwise."""
    check = BodyChecker(record.body, FIELDS)
    body = check.body
    asset_id = check.uuid("asset_id")
    observed_at = check.observed_at("observed_at", state.caller.now)
    position = check.position("position", required=False)
    notes = check.text("notes", max_length=MAX_NOTES)
    client_version = check.text("standards_version", max_length=32)
    photos = _photos(check, body.get("damages"))
    _client_claims(check)
    asset = _asset(check, state, asset_id)
    standard = state.standard_for(observed_at)
    judged = None
    if asset is not None:
        case = {"category": asset.category, "observations": body.get("observations"),
                "defects": body.get("damages"), "not_applicable": body.get("not_applicable")}
        try:
            judged = evaluate(standard, case)
        except EvaluationError as exc:
            check.problems.append(engine_problem(exc))
    if judged is not None and not photos:
        # A clause with `photo_on_fail` (an operator's version) that fails needs a photo of it.
        needs = [c["id"] for c in standard.document["categories"][judged["category"]]["clauses"]
                 if c.get("photo_on_fail") and judged["clauses"].get(c["id"]) == "fail"]
        if needs:
            check.add("body.photos", "photo_required", "sync.photo_required", clauses=", ".join(needs))
    if check.problems:
        raise invalid(check.problems)
    assert asset is not None and judged is not None and observed_at is not None
    missing = sorted({sha for sha, _ in photos if sha not in state.photos})
    if missing:
        raise RecordRefused("photos_missing", missing=missing, n=len(missing))
    return _plan(state, record, asset, observed_at, position, notes or "", client_version or None, photos, standard, judged)


def clause_counts(results: Iterable[str]) -> dict[str, int]:
    """The counts stored on the inspection beside its clause results (scoring reads them)."""
    results = list(results)
    return {"clause_passes": results.count("pass"), "clause_exempts": results.count("exempt"),
            "clause_fails": results.count("fail")}


def _plan(state: BatchState, record: SyncRecord, asset: AssetInfo, observed_at: dt.datetime,
          position: Position | None, notes: str, client_version: str | None,
          photos: list[tuple[str, int | None]], standard: Standard,
          judged: dict[str, Any]) -> Plan:
    body, caller = record.body, state.caller
    verdict = VERDICTS[judged["compliant"]]
    plan = Plan(result={})
    plan.insert("inspections", {
        "id": record.id, "asset_id": asset.id, "inspector_id": caller.user.id, "device_id": caller.device_id,
        "observed_at": observed_at, "received_at": caller.now,
        "lat": position.lat if position else None, "lon": position.lon if position else None,
        "accuracy_m": position.accuracy_m if position else None,
        "observations": body.get("observations") or {}, "damages": body.get("damages") or [],
        "not_applicable": body.get("not_applicable") or [], "notes": notes,
        "standards_version": standard.version, "client_standards_version": client_version,
        "verdict": verdict, "content_hash": record.content_hash, "kind": "inspection",
        **clause_counts(judged["clauses"].values()),
    })
    for clause_id, result in judged["clauses"].items():
        plan.insert("clause_results", {"inspection_id": record.id, "clause_id": clause_id, "result": result})
    for ordinal, (sha, damage_index) in enumerate(photos):
        plan.insert("inspection_photos", {"inspection_id": record.id, "ordinal": ordinal,
                                          "photo_sha256": sha, "damage_index": damage_index})
    opened, updated = track_defects(state.defects, plan, asset, record.id, observed_at, standard, judged["clauses"])
    details: dict[str, Any] = {"asset_id": str(asset.id), "verdict": verdict, "standards_version": standard.version,
                               "client_standards_version": client_version}
    disagreed = _disagreements(body, judged)
    if disagreed:
        details["client_disagreed"] = disagreed  # the phone judged otherwise; the server's verdict stands
    inspection = str(record.id)
    plan.audit.insert(0, AuditEntry("inspection.received", "inspection", inspection, details))
    plan.result = {
        "inspection_id": inspection, "verdict": verdict, "compliant": judged["compliant"],
        "standards_version": standard.version, "clauses": judged["clauses"],
        "defects_opened": opened, "defects_updated": updated,
    }
    return plan


def _asset(check: BodyChecker, state: BatchState, asset_id: uuid.UUID | None) -> AssetInfo | None:
    if asset_id is None:
        return None
    asset = state.assets.get(asset_id)
    if asset is None or not state.caller.reaches(asset.zone_id):
        check.add("body.asset_id", "unknown_asset", "sync.unknown_asset")
        return None
    if not asset.active:
        check.add("body.asset_id", "asset_inactive", "sync.asset_inactive")
        return None
    return asset


def _photos(check: BodyChecker, damages: Any) -> list[tuple[str, int | None]]:
    """The photos named, each with the damage it shows (`damage_index`, or None)."""
    n_damages = len(damages) if isinstance(damages, list) else 0
    photos = []
    for i, item in check.photos("photos", max_items=MAX_PHOTOS, keys=("damage_index",)):
        index = item.get("damage_index")
        if index is not None and (isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n_damages):
            check.add(f"body.photos[{i}].damage_index", "bad_damage_index", "sync.bad_damage_index", n=n_damages)
            continue
        photos.append((item["sha256"], index))
    return photos


def _client_claims(check: BodyChecker) -> None:
    """The phone's own judgement is optional; when sent it must at least have the right shape."""
    compliant = check.body.get("compliant")
    if compliant is not None and not isinstance(compliant, bool):
        check.add("body.compliant", "bad_type", "sync.expected_boolean")
    clauses = check.body.get("clauses")
    if clauses is not None and not (isinstance(clauses, dict) and all(isinstance(v, str) for v in clauses.values())):
        check.add("body.clauses", "bad_type", "sync.expected_clause_results")


def _disagreements(body: dict[str, Any], judged: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "compliant" in body and body["compliant"] != judged["compliant"]:
        out["compliant"] = body["compliant"]
    claimed = body.get("clauses") or {}
    clauses = {cid: r for cid, r in claimed.items() if judged["clauses"].get(cid) != r}
    if clauses:
        out["clauses"] = clauses
    return out


def engine_problem(exc: EvaluationError) -> Problem:
    """The engine's refusal as a field of the body (its `defects` are the body's `damages`)."""
    field, texts = exc.field, dict(exc.messages)
    if field.startswith("defects"):
        field = "damages" + field[len("defects"):]
        texts = {lang: "damages" + text[len("defects"):] if text.startswith("defects") else text
                 for lang, text in texts.items()}
    elif field == "category":  # the category is the asset's: the asset is what does not fit
        field = "asset_id"
    return Problem(f"body.{field}", exc.code, texts=texts)

