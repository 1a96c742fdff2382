"""The warning state of a service request and its status flow (docs/DOMAIN.md §4).

The warning state is never stored: it is computed from the request's times and ``now``, so it
moves by itself as time passes.

Decisions:

* The allowed time is from receipt to the deadline.  With more than ``attention`` (50 %) of it
  left the request is on track; at 50 % or less it needs attention; at 10 % or less, or with
  under one hour left (strictly less than ``urgent_hours``), it is urgent.  Exactly at the
  deadline it is still urgent; one second later it is overdue.
* A complaint not yet answered is judged against its first-response time while that comes
  before its deadline: "the next thing due".  Starting work on it (处理中) is the first
  response.
* Resolved (已办结, and the later 已回访, 已关闭) is done on time when resolved at or before the
  deadline, done late after it.
* Times are shown to the minute, rounded down ("剩余 3小时20分", "超时 1天2小时"): the board
  never promises more time than there is.
* Status flow: 已受理 → 处理中 → 已办结 → 已回访 → 已关闭, one step at a time; a resolved,
  called-back or closed request may be reopened (back to 处理中) with a reason.  Resolving needs
  the resolution text, the callback a satisfaction score 1–5.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kac_desktop.i18n import N_, _
from kac_desktop.rules import colours as _colours
from kac_desktop.rules.customer import FieldError

ON_TRACK = "on_track"
ATTENTION = "attention"
URGENT = "urgent"
OVERDUE = "overdue"
DONE_ON_TIME = "done_on_time"
DONE_LATE = "done_late"

WARNING_STATES: dict[str, str] = {
    OVERDUE: N_("Overdue"),
    URGENT: N_("Urgent"),
    ATTENTION: N_("Attention"),
    ON_TRACK: N_("On track"),
    DONE_LATE: N_("Done late"),
    DONE_ON_TIME: N_("Done on time"),
}
# urgency order for the board: most pressing first
URGENCY_RANK = {state: rank for rank, state in enumerate(WARNING_STATES)}
OPEN_STATES = (OVERDUE, URGENT, ATTENTION, ON_TRACK)

# colour of each state: (text colour, background); never shown without the state's words
# (the light scheme's; the window takes the scheme in use from rules/colours.py)
STATE_COLOURS: dict[str, tuple[str, str]] = _colours.LIGHT.service


@dataclass(frozen=True)
class Thresholds:
    attention: float = 0.5  # fraction of the allowed time left
    urgent: float = 0.1
    urgent_hours: float = 1.0

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> Thresholds:
        return cls(
            attention=float(values.get("warning.attention_fraction", 0.5)),
            urgent=float(values.get("warning.urgent_fraction", 0.1)),
            urgent_hours=float(values.get("warning.urgent_hours", 1)),
        )


def warning_state(
    received_at: datetime,
    deadline: datetime,
    now: datetime,
    resolved_at: datetime | None = None,
    thresholds: Thresholds = Thresholds(),
) -> str:
    """One of the six states of docs/DOMAIN.md §4."""
    if resolved_at is not None:
        return DONE_ON_TIME if resolved_at <= deadline else DONE_LATE
    if now > deadline:
        return OVERDUE
    left = (deadline - now).total_seconds()
    allowed = (deadline - received_at).total_seconds()
    if left < thresholds.urgent_hours * 3600 or allowed <= 0 or left <= thresholds.urgent * allowed:
        return URGENT
    if left <= thresholds.attention * allowed:
        return ATTENTION
    return ON_TRACK


def state_moments(
    received_at: datetime, due: datetime, thresholds: Thresholds = Thresholds()
) -> tuple[datetime, ...]:
    """The moments at which an unresolved request's warning state may change, in order:
    attention (``attention`` of the allowed time left), urgent by share and by hours,
    overdue (the due moment; one second later it is overdue).  Between two of them
    ``warning_state`` stays as it is, so a board recomputes a request only when the clock
    passes one."""
    allowed = due - received_at
    return tuple(
        sorted(
            (
                due - allowed * thresholds.attention,
                due - allowed * thresholds.urgent,
                due - timedelta(hours=thresholds.urgent_hours),
                due,
            )
        )
    )


@dataclass(frozen=True)
class Due:
    at: datetime
    first_response: bool  # the first response of a complaint, not the result


def next_due(
    deadline: datetime,
    first_response_due_at: datetime | None,
    first_response_at: datetime | None,
) -> Due:
    """What the request is judged against now: an unanswered complaint's first response when
    it comes before the deadline, otherwise the deadline."""
    if (
        first_response_due_at is not None
        and first_response_at is None
        and first_response_due_at < deadline
    ):
        return Due(first_response_due_at, True)
    return Due(deadline, False)


def request_state(
    received_at: datetime,
    deadline: datetime,
    now: datetime,
    *,
    resolved_at: datetime | None = None,
    first_response_due_at: datetime | None = None,
    first_response_at: datetime | None = None,
    thresholds: Thresholds = Thresholds(),
) -> str:
    """The warning state of a whole request (the first response taken into account)."""
    if resolved_at is not None:
        return warning_state(received_at, deadline, now, resolved_at, thresholds)
    due = next_due(deadline, first_response_due_at, first_response_at)
    return warning_state(received_at, due.at, now, None, thresholds)


def duration_text(delta: timedelta) -> str:
    """A span to the minute, rounded down: 1天2小时, 3小时20分, 45分."""
    minutes = int(max(delta.total_seconds(), 0) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("{days} d {hours} h").format(days=days, hours=hours)
    if hours:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=mins)
    if mins:
        return _("{minutes} min").format(minutes=mins)
    return _("under a minute")


def time_left_text(
    due: datetime, now: datetime, resolved_at: datetime | None = None, first_response: bool = False
) -> str:
    """剩余 3小时20分 / 超时 1天2小时; for a resolved request how late it was done, if late."""
    if resolved_at is not None:
        if resolved_at <= due:
            return ""
        return _("done {time} late").format(time=duration_text(resolved_at - due))
    if now > due:
        text = _("overdue by {time}").format(time=duration_text(now - due))
    else:
        text = _("{time} left").format(time=duration_text(due - now))
    if first_response:
        text = _("first response: {text}").format(text=text)
    return text


def is_due_today(due: datetime, now: datetime, tz) -> bool:
    """Due later today (local date), not yet overdue."""
    return due >= now and due.astimezone(tz).date() == now.astimezone(tz).date()


# ------------------------------------------------------------------ status flow

RECEIVED = "received"
IN_PROGRESS = "in_progress"
RESOLVED = "resolved"
CALLED_BACK = "called_back"
CLOSED = "closed"

FORWARD: dict[str, str] = {
    RECEIVED: IN_PROGRESS,
    IN_PROGRESS: RESOLVED,
    RESOLVED: CALLED_BACK,
    CALLED_BACK: CLOSED,
}
REOPENABLE = (RESOLVED, CALLED_BACK, CLOSED)
UNRESOLVED = (RECEIVED, IN_PROGRESS)
SATISFACTION = {
    5: N_("Very satisfied"),
    4: N_("Satisfied"),
    3: N_("Neutral"),
    2: N_("Dissatisfied"),
    1: N_("Very dissatisfied"),
}


def allowed_steps(status: str) -> list[str]:
    """The statuses a request may move to from ``status``."""
    steps = [FORWARD[status]] if status in FORWARD else []
    if status in REOPENABLE:
        steps.append(IN_PROGRESS)
    return steps


def check_step(
    current: str,
    target: str,
    *,
    resolution: str = "",
    satisfaction: int | None = None,
    note: str = "",
) -> list[FieldError]:
    """Why the step ``current`` → ``target`` is refused (empty when it is allowed)."""
    from kac_desktop.rules import vocab

    if target not in allowed_steps(current):
        return [
            FieldError(
                "status",
                _('A request that is "{current}" cannot be set to "{target}".').format(
                    current=vocab.label(vocab.REQUEST_STATUSES, current),
                    target=vocab.label(vocab.REQUEST_STATUSES, target),
                ),
            )
        ]
    errors: list[FieldError] = []
    if target == RESOLVED and not resolution.strip():
        errors.append(FieldError("resolution", _("Describe how the request was resolved.")))
    if target == CALLED_BACK and satisfaction not in SATISFACTION:
        errors.append(
            FieldError("satisfaction", _("Give the customer's satisfaction from 1 to 5."))
        )
    if target == IN_PROGRESS and current in REOPENABLE and not note.strip():
        errors.append(FieldError("note", _("Give the reason for reopening the request.")))
    return errors
