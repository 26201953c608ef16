"""Every model, imported in one place so Alembic and the app see one metadata."""

from server.accounts.models import Role, SignInLimit, User, UserSession, UserZone  # noqa: F401
from server.accounts.devices import Device  # noqa: F401  (phones by name)
from server.assets.models import Asset
from server.core.audit.models import AuditEvent
from server.contractors.models import Contract, ContractCategory, Contractor, ContractZone
from server.core.db import Base
from server.defects.models import Defect, DefectEvidence
from server.inspections.models import ClauseResult, Inspection, InspectionPhoto
from server.photos.models import Photo
from server.scoring.models import ClosedMonth  # noqa: F401  (scoring: closed months)
from server.sites.models import Site, UserSite, Zone  # noqa: F401  (UserSite: users × sites)
from server.workorders.models import WorkOrder, WorkOrderDefect
from server.workorders.models import (  # noqa: F401  (work orders: proof of fix, notifications, webhooks, jobs)
    CompletionPhoto, JobRun, Notification, WebhookAttempt, WebhookDelivery, WorkOrderCompletion, WorkOrderOverdue,
)
from server.rounds.models import EmergencyRound, MissedRound, RoundAlert, RoundSchedule  # noqa: F401  (rounds)
from server.standards_admin.models import StandardsVersion  # noqa: F401  (installed standards versions)
from sync.models import SyncReceipt

metadata = Base.metadata

__all__ = [
    "Asset", "AuditEvent", "Base", "ClauseResult", "Contract", "ContractCategory", "ContractZone",
    "Contractor", "Defect", "DefectEvidence", "Inspection", "InspectionPhoto", "Photo", "Role",
    "Site", "SyncReceipt", "User", "UserSession", "UserZone", "WorkOrder", "WorkOrderDefect", "Zone", "metadata",
]
