"""Every model, imported in one place so Alembic and the app see one metadata."""

from server.accounts.models import Role, User, UserSession, UserZone
from server.assets.models import Asset
from server.audit.models import AuditEvent
from server.contractors.models import Contract, ContractCategory, Contractor, ContractZone
from server.db import Base
from server.defects.models import Defect, DefectEvidence
from server.inspections.models import ClauseResult, Inspection, InspectionPhoto
from server.photos.models import Photo
from server.sites.models import Site, Zone
from server.workorders.models import WorkOrder, WorkOrderDefect

metadata = Base.metadata

__all__ = [
    "Asset", "AuditEvent", "Base", "ClauseResult", "Contract", "ContractCategory", "ContractZone",
    "Contractor", "Defect", "DefectEvidence", "Inspection", "InspectionPhoto", "Photo", "Role",
    "Site", "User", "UserSession", "UserZone", "WorkOrder", "WorkOrderDefect", "Zone", "metadata",
]
