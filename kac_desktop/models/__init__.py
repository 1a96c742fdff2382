"""SQLAlchemy 2 typed models for the whole domain."""

from . import sealing  # noqa: E402,F401 - the security tables' checksums
from .activity import RequestStatusChange, ServiceRequest, Visit
from .base import Base, new_id, utcnow
from .calendar import HolidayEntry, HolidayYear
from .customer import Contact, Customer, CustomerSearch
from .org import Branch, User
from .revenue import MarketingProject, ProductLine, Revenue, TierAssessment
from .sync import (
    SyncConflict,
    SyncForeignAudit,
    SyncLog,
    SyncOutbox,
    SyncPeer,
    SyncSelf,
    SyncShadow,
)
from .system import AuditHead, AuditRecord, Setting

__all__ = [
    "AuditHead",
    "AuditRecord",
    "Base",
    "Branch",
    "Contact",
    "Customer",
    "CustomerSearch",
    "HolidayEntry",
    "HolidayYear",
    "MarketingProject",
    "ProductLine",
    "RequestStatusChange",
    "Revenue",
    "ServiceRequest",
    "Setting",
    "SyncConflict",
    "SyncForeignAudit",
    "SyncLog",
    "SyncOutbox",
    "SyncPeer",
    "SyncSelf",
    "SyncShadow",
    "TierAssessment",
    "User",
    "Visit",
    "new_id",
    "utcnow",
]
