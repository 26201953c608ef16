"""Who may see a photo. Anyone not allowed gets the same 404 as for a photo that does not
exist, so hashes cannot be probed."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.identity import CurrentUser
from server.defects.models import DefectEvidence
from server.inspections.models import InspectionPhoto
from server.photos.models import Photo
from server.workorders.models import CompletionPhoto, WorkOrder, WorkOrderCompletion, WorkOrderDefect

STAFF_ROLES = ("inspector", "supervisor", "admin")
REVIEWER_ROLES = ("supervisor", "admin")


async def can_view_photo(db: AsyncSession, user: CurrentUser | None, sha256: str) -> bool:
    """May `user` see the photo `sha256`?

    - inspectors, supervisors and admins: any photo attached to an inspection;
    - supervisors and admins: any "after" photo of a work order completion (they review it);
    - contractors: photos of inspections that are evidence of a defect on a work order of
      their own company, and the "after" photos of their company's work orders;
    - everyone: a photo they uploaded themselves (they sent those bytes; a photo that was
      already held when they sent it again stays its first uploader's).
    """
    if user is None:
        return False
    allowed: list[ColumnElement[bool]] = [exists().where(Photo.sha256 == sha256, Photo.uploaded_by == user.id)]
    if user.role in STAFF_ROLES:
        allowed.append(exists().where(InspectionPhoto.photo_sha256 == sha256))
    if user.role in REVIEWER_ROLES:
        allowed.append(exists().where(CompletionPhoto.photo_sha256 == sha256))
    if user.role == "contractor" and user.contractor_id is not None:
        allowed.append(
            exists()
            .where(InspectionPhoto.photo_sha256 == sha256)
            .where(DefectEvidence.inspection_id == InspectionPhoto.inspection_id)
            .where(WorkOrderDefect.defect_id == DefectEvidence.defect_id)
            .where(WorkOrder.id == WorkOrderDefect.work_order_id)
            .where(WorkOrder.contractor_id == user.contractor_id)
        )
        allowed.append(
            exists()
            .where(CompletionPhoto.photo_sha256 == sha256)
            .where(WorkOrderCompletion.id == CompletionPhoto.completion_id)
            .where(WorkOrder.id == WorkOrderCompletion.work_order_id)
            .where(WorkOrder.contractor_id == user.contractor_id)
        )
    return bool(await db.scalar(select(or_(*allowed))))
