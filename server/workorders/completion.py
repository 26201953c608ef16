"""Proof of fix: a contractor completes a work order with "after" photos taken on site.

The phone sends the completion through the same outbox and sync path as inspections (a
sync record of kind `completion`), so it works with no signal. Its body:

    {"work_order_id": "uuid", "completed_at": "2026-11-22T10:15:00+08:00", "notes": "",
     "photos": [{"sha256": "<hex>", "lat": 32.1, "lon": 118.7, "taken_at": "…+08:00"}],
     "position": {"lat": 32.1, "lon": 118.7, "accuracy_m": 6} | null}

Accepted only when every photo is new and on the spot (server/workorders/proof.py: first
uploaded after the order was issued, not any defect's evidence nor another completion's
photo, taken after the order was issued by the phone's clock and by its own EXIF time, within
`PROOF_DISTANCE_M` metres on the ground of one of the order's defects by the phone's position
and by its own EXIF position — the EXIF checks where the photo has EXIF), and every defect
has at least one such photo. Each refusal names the photo, says why with a stable code, and
gives the distance measured.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.identity import CurrentUser
from server.assets.models import Asset
from server.core.config import get_settings
from server.core.db import utcnow
from server.defects.models import Defect
from server.core.errors import AppError
from server.core.text import CODE as TEXT_CODE, FIELD_MESSAGE_KEY as TEXT_FIELD_KEY, unstorable
from server.core.sha256 import is_sha256
from server.core.validation import Checker, ahead, has_offset, moment, number, on_planet
from server.photos.models import Photo
from server.core.web import localtime
from server.core.geo import distance_m
from server.workorders.models import CompletionPhoto, WorkOrder, WorkOrderCompletion
from server.workorders.proof import first_failure, photo_past, placed_checks, unplaced_checks, whole_second
from server.workorders.service import apply_step, order_defects, order_for
from server.core.workorder_settings import get_workorder_settings
from server.workorders.states import COMPLETABLE, STEPS

BODY_KEYS = {"work_order_id", "completed_at", "notes", "photos", "position"}
PHOTO_KEYS = {"sha256", "lat", "lon", "taken_at", "accuracy_m"}
MAX_PHOTOS = 20
MAX_NOTES = 4000


class Refusal(Checker):
    """The faults of one completion (server/core/validation.py), refused at once in the user's language."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def add(self, field: str, code: str, key: str, **params: Any) -> None:
        """Note a fault: the field from ``body``, a code of server/core/error_codes.py, a message key."""
        self.problem(field, code, key, **params)

    def raise_if_any(self) -> None:
        """The 422 naming every fault, if any; its headline is the first fault when it is the only one."""
        if self.problems:
            errors = [{"field": p.field, "code": p.code, "message": p.message(self.lang)} for p in self.problems]
            first = errors[0]
            # The headline is the first reason itself when there is one: it is what the user must fix.
            code = "invalid_record" if len(errors) > 1 else first["code"]
            raise AppError(code, key="completion.invalid", field=first["field"], errors=errors, n=len(errors),
                           reason=first["message"])


def _moment(value: Any) -> dt.datetime | None:
    """A moment with its offset, in UTC; None for anything else."""
    when = moment(value)
    return when.astimezone(dt.timezone.utc) if when is not None and has_offset(when) else None


def _position(raw: Any, field: str, refusal: Refusal) -> tuple[float, float, float | None] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        refusal.add(field, "bad_position", "completion.bad_position")
        return None
    lat, lon = number(raw.get("lat")), number(raw.get("lon"))
    acc = raw.get("accuracy_m")
    accuracy = number(acc) if acc is not None else None
    bad_accuracy = acc is not None and (accuracy is None or accuracy < 0)
    if lat is None or lon is None or not on_planet(lat, lon) or bad_accuracy:
        refusal.add(field, "bad_position", "completion.bad_position")
        return None
    return lat, lon, accuracy


def _parse(body: Any, work_order_id: uuid.UUID, now: dt.datetime, refusal: Refusal) -> dict[str, Any]:
    """The body's shape: every fault of form, before anything is looked up."""
    if not isinstance(body, dict):
        refusal.add("body", "bad_body", "completion.bad_body")
        refusal.raise_if_any()
    parsed: dict[str, Any] = {"photos": []}
    for key in body:
        if key not in BODY_KEYS:
            refusal.add(f"body.{key}", "unknown_field", "completion.unknown_field")
    if str(body.get("work_order_id", "")).lower() != str(work_order_id):
        refusal.add("body.work_order_id", "order_mismatch", "completion.order_mismatch")
    completed_at = _moment(body.get("completed_at"))
    if completed_at is None:
        refusal.add("body.completed_at", "bad_time", "completion.bad_time")
    elif ahead(completed_at, now):
        refusal.add("body.completed_at", "in_future", "completion.in_future")
    parsed["completed_at"] = completed_at
    notes = body.get("notes", "")
    if notes is None:
        notes = ""
    if not isinstance(notes, str) or len(notes) > MAX_NOTES:
        refusal.add("body.notes", "bad_notes", "completion.bad_notes", max=MAX_NOTES)
    elif unstorable(notes):
        refusal.add("body.notes", TEXT_CODE, TEXT_FIELD_KEY, name="body.notes")
    parsed["notes"] = notes if isinstance(notes, str) else ""
    parsed["position"] = _position(body.get("position"), "body.position", refusal)
    photos = body.get("photos")
    if not isinstance(photos, list) or not photos:
        refusal.add("body.photos", "proof_photo_required", "completion.photo_required")
    elif len(photos) > MAX_PHOTOS:
        refusal.add("body.photos", "too_many_photos", "completion.too_many_photos", max=MAX_PHOTOS)
    else:
        seen: set[str] = set()
        for i, raw in enumerate(photos):
            where, n = f"body.photos[{i}]", i + 1
            if not isinstance(raw, dict) or set(raw) - PHOTO_KEYS:
                refusal.add(where, "bad_photo", "completion.bad_photo", n=n)
                continue
            sha = raw.get("sha256")
            if not is_sha256(sha):
                refusal.add(f"{where}.sha256", "bad_sha256", "completion.bad_sha256", n=n)
                continue
            if sha in seen:
                refusal.add(f"{where}.sha256", "duplicate_photo", "completion.duplicate_photo", n=n)
                continue
            seen.add(sha)
            taken = _moment(raw.get("taken_at"))
            if taken is None:
                refusal.add(f"{where}.taken_at", "bad_time", "completion.photo_bad_time", n=n)
                continue
            if ahead(taken, now):
                refusal.add(f"{where}.taken_at", "in_future", "completion.photo_in_future", n=n)
                continue
            lat, lon = number(raw.get("lat")), number(raw.get("lon"))
            if lat is None or lon is None or not on_planet(lat, lon):
                refusal.add(f"{where}.lat", "photo_position_missing", "completion.photo_no_position", n=n)
                continue
            parsed["photos"].append({"index": i, "sha256": sha, "taken_at": taken, "lat": lat, "lon": lon})
    refusal.raise_if_any()
    return parsed


def _user_lang(user: CurrentUser) -> str:
    return user.language if user.language in ("zh", "en") else get_settings().server.default_language


async def complete_order(
    db: AsyncSession, user: CurrentUser, work_order_id: uuid.UUID, body: Any, *,
    completion_id: uuid.UUID | None = None, lang: str | None = None,
    request: Request[Any, Any, Any] | None = None, device_id: str | None = None,
) -> dict[str, Any]:
    """Complete the order with proof of fix; the result the phone is answered with.

    Raises AppError: 404 for an order the user cannot reach, 409 when the order is not
    accepted, in progress or returned, 428 `photos_missing` (with `.missing`) for photos
    not uploaded yet, 422 with one error per faulty field otherwise. `completion_id`
    (the sync record's id) becomes the completion's id.
    """
    now = utcnow()
    refusal = Refusal(lang or _user_lang(user))
    order = await order_for(db, user, work_order_id, lock=True)
    if user.role not in ("contractor", "admin"):
        raise AppError("action_not_allowed", field="action")
    if completion_id is not None:
        # The same completion again (a phone retrying, another worker racing): answered as before.
        done = await db.get(WorkOrderCompletion, completion_id)
        if done is not None and done.work_order_id == order.id:
            return await _stored_result(db, order, done)
    parsed = _parse(body, work_order_id, now, refusal)
    if order.status not in COMPLETABLE:
        raise AppError("illegal_transition", field="status")
    held = await _check_photos_held(db, parsed["photos"], order, refusal, completion_id)
    defects = await order_defects(db, order.id, lock=True)
    placed = await _place_photos(db, parsed["photos"], held, defects, order, refusal)
    if parsed["completed_at"] < whole_second(order.issued_at):
        refusal.add("body.completed_at", "before_order", "completion.completed_before_order")
    refusal.raise_if_any()

    if order.status != "in_progress":  # finished without tapping "start": that step is taken too
        await apply_step(db, user, order, STEPS["start"], request=request, device_id=device_id,
                         details={"implied_by": "completion"})
    completion = WorkOrderCompletion(
        id=completion_id or uuid.uuid4(), work_order_id=order.id, completed_by=user.id,
        completed_at=parsed["completed_at"], received_at=now, notes=parsed["notes"].strip(),
        lat=parsed["position"][0] if parsed["position"] else None,
        lon=parsed["position"][1] if parsed["position"] else None,
        accuracy_m=parsed["position"][2] if parsed["position"] else None,
    )
    db.add(completion)
    await db.flush()
    db.add_all(CompletionPhoto(completion_id=completion.id, ordinal=i, photo_sha256=p["sha256"], defect_id=p["defect_id"],
                               lat=p["lat"], lon=p["lon"], taken_at=p["taken_at"], distance_m=p["distance_m"])
               for i, p in enumerate(placed))
    order.completed_at = parsed["completed_at"]
    await apply_step(db, user, order, STEPS["complete"], request=request, device_id=device_id,
                     details={"completion_id": str(completion.id), "photos": len(placed)})
    await db.flush()
    return {
        "work_order_id": str(order.id), "code": order.code, "status": order.status,
        "completion_id": str(completion.id), "completed_at": parsed["completed_at"].isoformat(),
        "photos": [{"sha256": p["sha256"], "defect_id": str(p["defect_id"]), "distance_m": round(p["distance_m"], 1)}
                   for p in placed],
    }


async def _stored_result(db: AsyncSession, order: WorkOrder, done: WorkOrderCompletion) -> dict[str, Any]:
    photos = (await db.execute(select(CompletionPhoto).where(CompletionPhoto.completion_id == done.id)
                               .order_by(CompletionPhoto.ordinal))).scalars()
    return {
        "work_order_id": str(order.id), "code": order.code, "status": "completed", "completion_id": str(done.id),
        "completed_at": done.completed_at.isoformat(),
        "photos": [{"sha256": p.photo_sha256, "defect_id": str(p.defect_id), "distance_m": round(p.distance_m, 1)}
                   for p in photos],
    }


async def _check_photos_held(
    db: AsyncSession, photos: list[dict[str, Any]], order: WorkOrder, refusal: Refusal, completion_id: uuid.UUID | None,
) -> dict[str, Photo]:
    """428 for photos not uploaded yet; refusals for photos that are not new (proof.UNPLACED)."""
    hashes = [p["sha256"] for p in photos]
    held = {row.sha256: row for row in (await db.execute(select(Photo).where(Photo.sha256.in_(hashes)))).scalars()}
    missing = [h for h in hashes if h not in held]
    if missing:
        exc = AppError("photos_missing", key="completion.photos_missing", field="body.photos", n=len(missing))
        exc.missing = missing  # type: ignore[attr-defined]
        raise exc
    past = await photo_past(db, hashes, other_than=completion_id)
    issued = localtime(order.issued_at)
    for p in photos:
        failed = first_failure(unplaced_checks(held[p["sha256"]], p["taken_at"], order.issued_at, past))
        if failed is not None:
            where, n = f"body.photos[{p['index']}]", p["index"] + 1
            params = {k: localtime(v) for k, v in failed.params.items()}
            refusal.add(f"{where}.taken_at" if failed.name == "taken_after_order" else f"{where}.sha256", failed.code,
                        f"completion.{failed.code}", n=n, issued=issued, **params)
            p["refused"] = True
    return held


async def _place_photos(
    db: AsyncSession, photos: list[dict[str, Any]], held: dict[str, Photo], defects: list[Defect], order: WorkOrder,
    refusal: Refusal,
) -> list[dict[str, Any]]:
    """Each photo to its nearest defect; refusals for distant photos and unproven defects."""
    limit = get_workorder_settings().proof_distance_m
    placed = []
    for p in photos:
        if p.get("refused"):
            continue
        where, n = f"body.photos[{p['index']}]", p["index"] + 1
        nearest = min(defects, key=lambda d: distance_m(p["lat"], p["lon"], d.lat, d.lon))
        checks = placed_checks(held[p["sha256"]], p["lat"], p["lon"], nearest.lat, nearest.lon, limit)
        failed = first_failure(checks)
        if failed is not None:
            refusal.add(f"{where}.lat" if failed.name == "near_defect" else f"{where}.sha256", failed.code,
                        f"completion.{failed.code}", n=n, distance=f"{failed.params['distance']:.0f}", limit=f"{limit:g}")
            continue
        placed.append({**p, "defect_id": nearest.id, "distance_m": checks[0].params["distance"]})
    if refusal.problems:
        return placed
    proven = {p["defect_id"] for p in placed}
    unproven = [d for d in defects if d.id not in proven]
    if unproven:
        codes = dict((await db.execute(select(Asset.id, Asset.code).where(Asset.id.in_([d.asset_id for d in unproven])))).all())
        for d in unproven:
            refusal.add("body.photos", "defect_without_proof", "completion.defect_without_proof",
                        clause=d.clause_id, asset=codes.get(d.asset_id, "?"), limit=f"{limit:g}")
    return placed
