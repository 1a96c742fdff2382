"""Errors a service raises, each with a message for the user in the current language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

# the base of every error with a message for the user, database problems included
from kac_desktop.errors import ServiceError
from kac_desktop.i18n import _

if TYPE_CHECKING:
    from kac_desktop.rules.customer import FieldError


class ValidationFailed(ServiceError):
    def __init__(self, errors: list[FieldError]) -> None:
        lines = "\n".join(e.message for e in errors)
        super().__init__(_("Please correct the following:") + "\n" + lines)
        self.errors = errors


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    pass


@dataclass(frozen=True)
class DuplicateInfo:
    customer_id: str
    name: str
    credit_code: str
    manager_name: str
    branch_name: str
    same_credit_code: bool


class DuplicateCustomer(ServiceError):
    """防止多头公关、重复开发: another file already keeps this customer."""

    def __init__(self, existing: DuplicateInfo) -> None:
        reason = (
            _("the same unified social credit code")
            if existing.same_credit_code
            else _("the same name")
        )
        super().__init__(
            _(
                'This customer is already kept by {manager} ({branch}) as "{name}" '
                "({reason}). A customer may not be developed twice; ask your supervisor "
                "to transfer the file if it should be yours."
            ).format(
                manager=existing.manager_name,
                branch=existing.branch_name,
                name=existing.name,
                reason=reason,
            )
        )
        self.existing = existing


class StaleRecord(ServiceError):
    """The record was changed by someone else since it was read."""

    def __init__(self, who: str, when: str) -> None:
        super().__init__(
            _(
                "This record was changed by {who} at {when} after you opened it. "
                "Reload it to see the changes, then make yours again."
            ).format(who=who, when=when)
        )
        self.who = who
        self.when = when
