"""A visit record (走访记录, docs/DOMAIN.md §3) and its checks; pure (``now`` is passed in)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from kac_desktop.i18n import _

from . import vocab
from .customer import FieldError
from .quota import local_date

MEETING = "meeting"
SATISFACTION_RANGE = (1, 5)
# a clock a few minutes fast on the manager's PC is not "a visit in the future"
CLOCK_TOLERANCE = timedelta(minutes=10)


@dataclass
class VisitData:
    customer_id: str | None = None
    contact_id: str | None = None
    visited_at: datetime | None = None
    mode: str = "onsite"
    purpose: str = "keep"
    summary: str = ""
    needs: str = ""
    next_step: str = ""
    next_step_date: date | None = None
    satisfaction: int | None = None
    manager_id: str | None = None  # None: the actor
    branch_id: str | None = None  # for a branch meeting without a customer


def clean_visit(data: VisitData) -> VisitData:
    stripped: dict[str, Any] = {
        name: value.strip() for name, value in vars(data).items() if isinstance(value, str)
    }
    return dataclasses.replace(data, **stripped)


def validate_visit(data: VisitData, now: datetime) -> list[FieldError]:
    """Everything a visit needs, each with a message for the user."""
    errors: list[FieldError] = []
    if data.mode not in vocab.VISIT_MODES:
        errors.append(FieldError("mode", _("Choose how the customer was contacted.")))
    if data.purpose not in vocab.VISIT_PURPOSES:
        errors.append(FieldError("purpose", _("Choose the purpose of the visit.")))
    if not data.customer_id and data.mode != MEETING:
        errors.append(
            FieldError(
                "customer_id",
                _("Choose the customer visited (only a branch meeting may have none)."),
            )
        )
    if data.visited_at is None:
        errors.append(FieldError("visited_at", _("Enter the date and time of the visit.")))
    elif data.visited_at.tzinfo is None:
        raise ValueError("visited_at must be aware")
    elif data.visited_at > now + CLOCK_TOLERANCE:
        errors.append(
            FieldError(
                "visited_at",
                _(
                    "The visit is dated in the future. Log visits that took place; plan the "
                    "next one as the next step."
                ),
            )
        )
    if not data.summary:
        errors.append(FieldError("summary", _("Write a short summary of the visit.")))
    if data.next_step_date is not None and not data.next_step:
        errors.append(FieldError("next_step", _("Say what the next step dated is.")))
    if (
        data.next_step_date is not None
        and data.visited_at is not None
        and data.visited_at.tzinfo is not None
        and data.next_step_date < local_date(data.visited_at)
    ):
        errors.append(
            FieldError("next_step_date", _("The next step cannot be due before the visit."))
        )
    low, high = SATISFACTION_RANGE
    if data.satisfaction is not None and not low <= data.satisfaction <= high:
        errors.append(
            FieldError(
                "satisfaction",
                _("The satisfaction score is from {low} to {high}.").format(low=low, high=high),
            )
        )
    return errors
