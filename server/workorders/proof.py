"""What makes an "after" photo proof of fix: the checks, one rule for the completion (which
refuses a photo failing any of them) and for the supervisor's review page (which shows
each photo's checks).

A photo proves a fix only if it is new: first uploaded after the order was issued, not the
evidence of any defect (a "before" photo), not already used by another completion; taken
after the order was issued by the phone's clock and by its own EXIF time (when it has
one); taken within `PROOF_DISTANCE_M` of its defect by the phone's position and by its own
EXIF position (when it has one). The phone's time and position are only what it claims;
the upload time is the server's own, and EXIF travels inside the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.defects.models import DefectEvidence
from server.inspections.models import InspectionPhoto
from server.photos.models import Photo
from server.core.geo import distance_m
from server.workorders.models import CompletionPhoto, WorkOrderCompletion

# Each check, in the order they are judged and shown, with the stable code of its refusal.
REFUSAL_CODES = {
    "uploaded_after_order": "photo_uploaded_before_order",
    "not_evidence": "photo_is_defect_evidence",
    "not_reused": "photo_already_used",
    "taken_after_order": "photo_before_order",
    "exif_time_after_order": "photo_exif_before_order",
    "near_defect": "photo_too_far",
    "exif_near_defect": "photo_exif_too_far",
}
# The ones that need no defect chosen yet (judged before the photo is placed).
UNPLACED = ("uploaded_after_order", "not_evidence", "not_reused", "taken_after_order", "exif_time_after_order")


@dataclass(frozen=True)
class ProofCheck:
    """One check of one photo: passed, failed, or None when the photo has nothing to check
    it against (no EXIF time, no EXIF position)."""

    name: str
    passed: bool | None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return REFUSAL_CODES[self.name]


def whole_second(moment: dt.datetime) -> dt.datetime:
    """Phones send times to the second: a photo in the second the order was issued counts as after it."""
    return moment.replace(microsecond=0)


@dataclass(frozen=True)
class PhotoPast:
    """What the server already knew of the photos: which are a defect's evidence, which
    another completion used."""

    evidence: frozenset[str]
    reused: frozenset[str]


async def photo_past(db: AsyncSession, hashes: Iterable[str], *, other_than: Any = None,
                     received_before: dt.datetime | None = None) -> PhotoPast:
    """Which of `hashes` are a defect's evidence, and which a completion other than
    `other_than` (received before `received_before`, when given) already used."""
    hashes = list(set(hashes))
    if not hashes:
        return PhotoPast(frozenset(), frozenset())
    evidence = (await db.execute(
        select(InspectionPhoto.photo_sha256).join(DefectEvidence, DefectEvidence.inspection_id == InspectionPhoto.inspection_id)
        .where(InspectionPhoto.photo_sha256.in_(hashes)).distinct()
    )).scalars().all()
    used = (select(CompletionPhoto.photo_sha256).join(WorkOrderCompletion, WorkOrderCompletion.id == CompletionPhoto.completion_id)
            .where(CompletionPhoto.photo_sha256.in_(hashes)))
    if other_than is not None:
        used = used.where(CompletionPhoto.completion_id != other_than)
    if received_before is not None:
        used = used.where(WorkOrderCompletion.received_at < received_before)
    reused = (await db.execute(used.distinct())).scalars().all()
    return PhotoPast(frozenset(evidence), frozenset(reused))


def unplaced_checks(photo: Photo, taken_at: dt.datetime, issued_at: dt.datetime, past: PhotoPast) -> list[ProofCheck]:
    """The checks of time and history (no defect needed)."""
    issued = whole_second(issued_at)
    exif = photo.exif_taken_at
    return [
        ProofCheck("uploaded_after_order", photo.uploaded_at >= issued, {"uploaded": photo.uploaded_at}),
        ProofCheck("not_evidence", photo.sha256 not in past.evidence),
        ProofCheck("not_reused", photo.sha256 not in past.reused),
        ProofCheck("taken_after_order", taken_at >= issued, {"taken": taken_at}),
        ProofCheck("exif_time_after_order", None if exif is None else exif >= issued, {"taken": exif}),
    ]


def placed_checks(photo: Photo, lat: float, lon: float, defect_lat: float, defect_lon: float,
                  limit: float) -> list[ProofCheck]:
    """The checks of place, against the defect the photo shows."""
    metres = distance_m(lat, lon, defect_lat, defect_lon)
    checks = [ProofCheck("near_defect", metres <= limit, {"distance": metres, "limit": limit})]
    if photo.exif_lat is None or photo.exif_lon is None:
        checks.append(ProofCheck("exif_near_defect", None, {"limit": limit}))
    else:
        exif_metres = distance_m(photo.exif_lat, photo.exif_lon, defect_lat, defect_lon)
        checks.append(ProofCheck("exif_near_defect", exif_metres <= limit, {"distance": exif_metres, "limit": limit}))
    return checks


def first_failure(checks: Iterable[ProofCheck]) -> ProofCheck | None:
    return next((c for c in checks if c.passed is False), None)
