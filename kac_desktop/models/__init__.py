"""SQLAlchemy 2 typed models for the whole domain."""

from .activity import RequestStatusChange, ServiceRequest, Visit
from .base import Base, new_id, utcnow
from .calendar import HolidayEntry, HolidayYear
from .customer import Contact, Customer, CustomerSearch
from .org import Branch, User
from .revenue import MarketingProject, ProductLine, Revenue, TierAssessment
from .system import AuditRecord, Setting

__all__ = [
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
    "TierAssessment",
    "User",
    "Visit",
    "new_id",
    "utcnow",
]
