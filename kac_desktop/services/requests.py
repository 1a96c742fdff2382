"""Time-limited service (限时服务, docs/DOMAIN.md §4): register a request with its deadline, move it
through its status flow, and the queries behind the deadline board and the command line.

Permissions as for customer files: a manager sees and changes the requests of his own
customers, a supervisor those of his branch, the city center all.  Every registration and
status change is audited.  The warning state is never stored; the board computes it from the
times these queries return (rules.service_states).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import ColumnElement, Select, String, and_, select, type_coerce
from sqlalchemy.orm import Session, aliased

from kac_desktop.db import Database, raw_sql
from kac_desktop.i18n import _
from kac_desktop.models import (
    Customer,
    CustomerSearch,
    RequestStatusChange,
    ServiceRequest,
    User,
    new_id,
    utcnow,
)
from kac_desktop.rules import vocab
from kac_desktop.rules.customer import FieldError
from kac_desktop.rules.deadlines import (
    LOCAL_TZ,
    Deadline,
    DeadlineSettings,
    SettingsError,
    WorkCalendar,
    compute_deadline,
)
from kac_desktop.rules.search_keys import normalise_query
from kac_desktop.rules.service_states import (
    CALLED_BACK,
    CLOSED,
    IN_PROGRESS,
    RECEIVED,
    RESOLVED,
    SATISFACTION,
    UNRESOLVED,
    Thresholds,
    check_step,
    is_due_today,
    next_due,
    request_state,
)

from . import audit
from . import settings as settings_service
from .bulk import cyclic_gc_paused
from .context import Actor, Change
from .customer_list import like_pattern
from .customers import may_touch
from .errors import NotFound, PermissionDenied, ServiceError, StaleRecord, ValidationFailed

# a clock a few minutes fast on another PC must not refuse "now"
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass
class RequestInput:
    customer_id: str | None = None
    type: str = "pickup"
    channel: str = "phone"
    received_at: datetime | None = None  # None: now
    description: str = ""
    special_case: bool = False
    confirmed_at: datetime | None = None


@dataclass(frozen=True)
class StatusStep:
    from_status: str | None
    to_status: str
    at: datetime
    by: str
    note: str


@dataclass(frozen=True)
class RequestRecord:
    id: str
    version: int
    customer_id: str
    customer_name: str
    area: str
    manager_name: str
    type: str
    channel: str
    received_at: datetime
    description: str
    special_case: bool
    confirmed_at: datetime | None
    deadline_at: datetime
    deadline_rule: str
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    status: str
    resolution: str
    resolved_at: datetime | None
    satisfaction: int | None
    closed_at: datetime | None
    history: list[StatusStep] = field(default_factory=list)
    deadline_provisional: bool = False


# ------------------------------------------------------------------ scope and settings


def scope_requests(stmt: Select, actor: Actor) -> Select:
    """Requests are scoped by their customer's file (the statement must join Customer)."""
    if actor.role == "manager":
        return stmt.where(Customer.manager_id == actor.user_id)
    if actor.role == "supervisor":
        return stmt.where(Customer.branch_id == actor.branch_id)
    return stmt


def _deadline_settings(session: Session) -> DeadlineSettings:
    try:
        return DeadlineSettings.from_settings(settings_service.load(session))
    except SettingsError as exc:
        raise ServiceError(exc.message) from exc


def thresholds(db: Database) -> Thresholds:
    return Thresholds.from_settings(settings_service.get(db))


def _user_name(session: Session, user_id: str | None) -> str:
    if not user_id:
        return ""
    return session.scalar(select(User.display_name).where(User.id == user_id)) or ""


# ------------------------------------------------------------------ registering


def _check_input(
    session: Session, actor: Actor, data: RequestInput, now: datetime
) -> tuple[Customer, datetime]:
    """The customer and the time received of a request to register; raises ValidationFailed
    (with every problem) or PermissionDenied."""
    errors: list[FieldError] = []
    customer = session.get(Customer, data.customer_id) if data.customer_id else None
    if customer is None:
        errors.append(FieldError("customer_id", _("Choose the customer.")))
    elif not may_touch(actor, customer):
        raise PermissionDenied(_("You may not register requests for another manager's customers."))
    elif customer.archived:
        errors.append(
            FieldError("customer_id", _("This customer file is archived; restore it first."))
        )
    if data.type not in vocab.REQUEST_TYPES:
        errors.append(FieldError("type", _("Choose the type of the request.")))
    if data.channel not in vocab.REQUEST_CHANNELS:
        errors.append(FieldError("channel", _("Choose how the request came in.")))
    if not data.description.strip():
        errors.append(FieldError("description", _("Describe what the customer asks for.")))
    received = data.received_at or now
    if received.tzinfo is None:
        raise ValueError("received_at must be aware")
    if received > now + FUTURE_TOLERANCE:
        errors.append(FieldError("received_at", _("The time received cannot be in the future.")))
    if data.special_case:
        if data.confirmed_at is None:
            errors.append(
                FieldError(
                    "confirmed_at",
                    _("A special case needs the time of the phone call that confirmed it."),
                )
            )
        elif data.confirmed_at < received:
            errors.append(
                FieldError(
                    "confirmed_at",
                    _("The confirming phone call cannot be earlier than the request."),
                )
            )
        elif data.confirmed_at > now + FUTURE_TOLERANCE:
            errors.append(
                FieldError("confirmed_at", _("The confirming phone call cannot be in the future."))
            )
    if errors:
        raise ValidationFailed(errors)
    return customer, received  # type: ignore[return-value]


def _deadline(
    session: Session,
    customer: Customer,
    data: RequestInput,
    received: datetime,
    calendar: WorkCalendar | None,
) -> Deadline:
    settings = _deadline_settings(session)
    if settings.working_days and calendar is None:
        from .calendar import load_calendar

        calendar = load_calendar(session)  # the center's years over the library's
    return compute_deadline(
        received,
        customer.area,
        settings,
        request_type=data.type,
        special_case=data.special_case,
        confirmed_at=data.confirmed_at,
        calendar=calendar,
    )


def preview_deadline(
    db: Database,
    actor: Actor,
    data: RequestInput,
    *,
    now: datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> Deadline:
    """The deadline the request would get, for the registration form to show at once.
    Raises ValidationFailed (with every problem) like ``register_request``."""
    now = now or utcnow()
    with db.session() as session:
        customer, received = _check_input(session, actor, data, now)
        return _deadline(session, customer, data, received, calendar)


def register_request(
    db: Database,
    actor: Actor,
    data: RequestInput,
    *,
    now: datetime | None = None,
    calendar: WorkCalendar | None = None,
) -> Change:
    """Register a request (已受理) with its deadline; audited.  Raises ValidationFailed,
    PermissionDenied or ServiceError and then writes nothing."""
    now = now or utcnow()
    with db.session() as session, session.begin():
        customer, received = _check_input(session, actor, data, now)
        deadline = _deadline(session, customer, data, received, calendar)
        request = ServiceRequest(
            id=new_id(),
            customer_id=customer.id,
            manager_id=customer.manager_id,
            type=data.type,
            channel=data.channel,
            received_at=received,
            description=data.description.strip(),
            special_case=data.special_case,
            confirmed_at=data.confirmed_at if data.special_case else None,
            deadline_at=deadline.due_at,
            deadline_rule=deadline.rule,
            deadline_provisional=deadline.provisional,
            first_response_due_at=deadline.first_response_due_at,
            status=RECEIVED,
            updated_by=actor.user_id,
        )
        session.add(request)
        session.flush()  # no ORM relationship orders the two inserts
        session.add(
            RequestStatusChange(
                request_id=request.id,
                from_status=None,
                to_status=RECEIVED,
                at=received,
                by_user_id=actor.user_id,
                updated_by=actor.user_id,
            )
        )
        audit.record(
            session,
            actor,
            "request.create",
            "service_request",
            request.id,
            _("{type} for {customer}").format(
                type=vocab.label(vocab.REQUEST_TYPES, data.type), customer=customer.name
            ),
            {
                "type": data.type,
                "received_at": received.isoformat(),
                "deadline_at": deadline.due_at.isoformat(),
                "rule": deadline.rule,
                "provisional": deadline.provisional,
            },
        )
        return Change("request", (request.id,), created=True)


# ------------------------------------------------------------------ the status flow


def change_status(
    db: Database,
    actor: Actor,
    request_id: str,
    target: str,
    *,
    resolution: str = "",
    satisfaction: int | None = None,
    note: str = "",
    at: datetime | None = None,
    now: datetime | None = None,
    expected_version: int | None = None,
) -> Change:
    """One step of the flow 已受理 → 处理中 → 已办结 → 已回访 → 已关闭, or reopening (→ 处理中)
    a resolved, called-back or closed request.  ``at`` (default now) is when it happened.
    The step is kept with who and when and audited; a refused step writes nothing."""
    now = now or utcnow()
    at = at or now
    with db.session() as session, session.begin():
        request = session.get(ServiceRequest, request_id)
        if request is None:
            raise NotFound(_("This service request no longer exists."))
        customer = session.get(Customer, request.customer_id)
        if customer is None or not may_touch(actor, customer):
            raise PermissionDenied(
                _("You may not change the requests of another manager's customers.")
            )
        if expected_version is not None and request.version != expected_version:
            raise StaleRecord(
                _user_name(session, request.updated_by),
                request.updated_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            )
        errors = check_step(
            request.status, target, resolution=resolution, satisfaction=satisfaction, note=note
        )
        last = session.scalar(
            select(RequestStatusChange.at)
            .where(RequestStatusChange.request_id == request_id)
            .order_by(RequestStatusChange.at.desc())
            .limit(1)
        )
        earliest = max(request.received_at, last) if last else request.received_at
        if at < earliest:
            errors.append(
                FieldError("at", _("A step cannot be dated before the request's previous step."))
            )
        if at > now + FUTURE_TOLERANCE:
            errors.append(FieldError("at", _("A step cannot be dated in the future.")))
        if errors:
            raise ValidationFailed(errors)

        before = request.status
        reopening = target == IN_PROGRESS and before not in UNRESOLVED
        step_note = note.strip()
        if target == IN_PROGRESS and not reopening and request.first_response_at is None:
            request.first_response_at = at
        elif target == RESOLVED:
            request.resolution = resolution.strip()
            request.resolved_at = at
            step_note = request.resolution
        elif target == CALLED_BACK:
            request.satisfaction = satisfaction
            score = _("Satisfaction: {score} ({label})").format(
                score=satisfaction, label=_(SATISFACTION[satisfaction or 0])
            )
            step_note = score + ("; " + step_note if step_note else "")
        elif target == CLOSED:
            request.closed_at = at
        if reopening:
            # the history keeps the earlier resolution and score; the request starts again
            request.resolution = ""
            request.resolved_at = None
            request.satisfaction = None
            request.closed_at = None
        request.status = target
        request.updated_by = actor.user_id
        session.add(
            RequestStatusChange(
                request_id=request_id,
                from_status=before,
                to_status=target,
                at=at,
                by_user_id=actor.user_id,
                note=step_note,
                updated_by=actor.user_id,
            )
        )
        audit.record(
            session,
            actor,
            "request.reopen" if reopening else "request.status",
            "service_request",
            request_id,
            _("{customer}: {before} → {after}").format(
                customer=customer.name,
                before=vocab.label(vocab.REQUEST_STATUSES, before),
                after=vocab.label(vocab.REQUEST_STATUSES, target),
            ),
            {
                "from": before,
                "to": target,
                "at": at.isoformat(),
                "note": step_note,
                "satisfaction": satisfaction,
            },
        )
        return Change("request", (request_id,))


def get_request(db: Database, actor: Actor, request_id: str) -> RequestRecord:
    with db.session() as session:
        request = session.get(ServiceRequest, request_id)
        if request is None:
            raise NotFound(_("This service request no longer exists."))
        customer = session.get(Customer, request.customer_id)
        if customer is None or not may_touch(actor, customer):
            raise PermissionDenied(
                _("You may not open the requests of another manager's customers.")
            )
        by = aliased(User)
        history = [
            StatusStep(change.from_status, change.to_status, change.at, name or "", change.note)
            for change, name in session.execute(
                select(RequestStatusChange, by.display_name)
                .outerjoin(by, by.id == RequestStatusChange.by_user_id)
                .where(RequestStatusChange.request_id == request_id)
                .order_by(RequestStatusChange.at, RequestStatusChange.created_at)
            )
        ]
        return RequestRecord(
            id=request.id,
            version=request.version,
            customer_id=customer.id,
            customer_name=customer.name,
            area=customer.area,
            manager_name=_user_name(session, request.manager_id),
            type=request.type,
            channel=request.channel,
            received_at=request.received_at,
            description=request.description,
            special_case=request.special_case,
            confirmed_at=request.confirmed_at,
            deadline_at=request.deadline_at,
            deadline_rule=request.deadline_rule,
            first_response_due_at=request.first_response_due_at,
            first_response_at=request.first_response_at,
            status=request.status,
            resolution=request.resolution,
            resolved_at=request.resolved_at,
            satisfaction=request.satisfaction,
            closed_at=request.closed_at,
            history=history,
            deadline_provisional=request.deadline_provisional,
        )


# ------------------------------------------------------------------ the board's queries

SCOPES = ("unresolved", "unclosed", "all")


@dataclass(frozen=True)
class RequestQuery:
    scope: str = "unresolved"  # unresolved: 已受理/处理中; unclosed: all but 已关闭; all
    type: str | None = None
    manager_id: str | None = None
    customer_id: str | None = None
    customer_search: str = ""  # as the customer list's search: name, pinyin, initials, code


class RequestTiming(NamedTuple):
    """What the board keeps in memory for every row: enough to recompute the warning state
    without asking the database again.  A named tuple: the board makes thousands at once,
    and a frozen dataclass costs three times as much to build."""

    id: str
    received_at: datetime
    deadline_at: datetime
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class RequestRow:
    id: str
    customer: str
    type: str
    channel: str
    status: str
    manager: str
    received_at: datetime
    deadline_at: datetime
    deadline_rule: str
    first_response_due_at: datetime | None
    description: str
    resolution: str
    deadline_provisional: bool = False  # 暂按周末计算


# every status but 已关闭, named rather than "!= closed" so that an index on the status serves it
NOT_CLOSED = (RECEIVED, IN_PROGRESS, RESOLVED, CALLED_BACK)
_TIMES = (
    ServiceRequest.received_at,
    ServiceRequest.deadline_at,
    ServiceRequest.first_response_due_at,
    ServiceRequest.first_response_at,
    ServiceRequest.resolved_at,
)


def _timing_statement(actor: Actor, q: RequestQuery) -> Select:
    # The times are read as stored and parsed in query_timings: SQLAlchemy's per-value
    # processing cost more than the query itself for a board of thousands of requests.
    # Every column read is in ix_requests_board (migration 0004): one index range.
    stmt = select(ServiceRequest.id, *(type_coerce(c, String).label(c.key) for c in _TIMES))
    if not actor.is_admin:
        # the city center sees every request, and every request has its customer (a NOT NULL
        # foreign key): only a narrower scope needs the join
        stmt = scope_requests(stmt.join(Customer, Customer.id == ServiceRequest.customer_id), actor)
    conditions: list[ColumnElement[bool]] = []
    if q.scope == "unresolved":
        conditions.append(ServiceRequest.status.in_(UNRESOLVED))
    elif q.scope == "unclosed":
        conditions.append(ServiceRequest.status.in_(NOT_CLOSED))
    for column, value in (
        (ServiceRequest.type, q.type),
        (ServiceRequest.manager_id, q.manager_id),
        (ServiceRequest.customer_id, q.customer_id),
    ):
        if value:
            conditions.append(column == value)
    needle = normalise_query(q.customer_search)
    if needle:
        matches = CustomerSearch.text.like(like_pattern(needle), escape="\\")
        if q.scope == "all":
            # most of the requests ever made: one pass over every customer's search text
            conditions.append(
                ServiceRequest.customer_id.in_(select(CustomerSearch.customer_id).where(matches))
            )
        else:
            # a few thousand open requests: each one's customer looked up (at 100,000
            # customers 4-5 ms instead of 30-120 ms for a pass over every search text)
            conditions.append(
                select(CustomerSearch.customer_id)
                .where(CustomerSearch.customer_id == ServiceRequest.customer_id, matches)
                .exists()
            )
    if conditions:
        stmt = stmt.where(and_(*conditions))
    return stmt.order_by(ServiceRequest.deadline_at, ServiceRequest.id)


def query_timings(db: Database, actor: Actor, q: RequestQuery) -> list[RequestTiming]:
    """Every request the query shows, with its times, in deadline order."""
    # thousands of rows and no garbage cycles: the cyclic collector would walk the heap
    # for them again and again
    with cyclic_gc_paused():
        with db.session() as session:
            # Core, not the ORM: no entity loading for plain columns
            rows = session.connection().execute(_timing_statement(actor, q)).all()
        if rows and isinstance(rows[0][1], str):
            # SQLite's stored text, parsed inline: thousands of rows, five times each
            parse = datetime.fromisoformat
            return [
                RequestTiming(
                    rid,
                    parse(a + "+00:00"),
                    parse(b + "+00:00"),
                    c and parse(c + "+00:00"),
                    d and parse(d + "+00:00"),
                    e and parse(e + "+00:00"),
                )
                for rid, a, b, c, d, e in rows
            ]
        t = raw_sql.read_time
        return [
            RequestTiming(rid, t(a), t(b), t(c), t(d), t(e))  # type: ignore[arg-type]
            for rid, a, b, c, d, e in rows
        ]


def fetch_rows(db: Database, actor: Actor, ids: list[str]) -> list[RequestRow]:
    """The board rows for ``ids`` (a page), in the order asked for."""
    if not ids:
        return []
    manager = aliased(User)
    by_id: dict[str, RequestRow] = {}
    with db.session() as session:
        connection = session.connection()  # Core: no entity loading for plain columns
        for start in range(0, len(ids), 500):
            stmt = (
                select(
                    ServiceRequest.id,
                    Customer.name,
                    ServiceRequest.type,
                    ServiceRequest.channel,
                    ServiceRequest.status,
                    manager.display_name,
                    ServiceRequest.received_at,
                    ServiceRequest.deadline_at,
                    ServiceRequest.deadline_rule,
                    ServiceRequest.first_response_due_at,
                    ServiceRequest.description,
                    ServiceRequest.resolution,
                    ServiceRequest.deadline_provisional,
                )
                .join(Customer, Customer.id == ServiceRequest.customer_id)
                .outerjoin(manager, manager.id == ServiceRequest.manager_id)
                .where(ServiceRequest.id.in_(ids[start : start + 500]))
            )
            for row in connection.execute(scope_requests(stmt, actor)):
                by_id[row.id] = RequestRow(
                    id=row.id,
                    customer=row.name,
                    type=row.type,
                    channel=row.channel,
                    status=row.status,
                    manager=row.display_name or "",
                    received_at=row.received_at,
                    deadline_at=row.deadline_at,
                    deadline_rule=row.deadline_rule,
                    first_response_due_at=row.first_response_due_at,
                    description=row.description,
                    resolution=row.resolution,
                    deadline_provisional=bool(row.deadline_provisional),
                )
    return [by_id[i] for i in ids if i in by_id]


def state_of(timing: RequestTiming, now: datetime, limits: Thresholds) -> str:
    return request_state(
        timing.received_at,
        timing.deadline_at,
        now,
        resolved_at=timing.resolved_at,
        first_response_due_at=timing.first_response_due_at,
        first_response_at=timing.first_response_at,
        thresholds=limits,
    )


@dataclass(frozen=True)
class DueCounts:
    overdue: int
    due_today: int


class DueTimes:
    """The next due times of unresolved requests, in order: the counts of overdue and
    due-today requests at any moment by bisection, so that the board's timer tick neither
    queries nor walks the requests.  Counts as ``due_counts`` does."""

    def __init__(self, dues: Iterable[datetime]) -> None:
        self._dues = sorted(dues)

    @classmethod
    def of(cls, timings: Iterable[RequestTiming]) -> DueTimes:
        """From the requests' times (resolved requests are not due)."""
        return cls(
            next_due(t.deadline_at, t.first_response_due_at, t.first_response_at).at
            for t in timings
            if t.resolved_at is None
        )

    def counts(self, now: datetime) -> DueCounts:
        overdue = bisect_left(self._dues, now)  # due before now: "now > due"
        tomorrow = now.astimezone(LOCAL_TZ).date() + timedelta(days=1)
        midnight = datetime.combine(tomorrow, time(0), tzinfo=LOCAL_TZ)
        return DueCounts(overdue, bisect_left(self._dues, midnight, lo=overdue) - overdue)


def due_counts(timings: Iterable[RequestTiming], now: datetime) -> DueCounts:
    """Unresolved requests past their next due time, and those due later today."""
    overdue = today = 0
    for t in timings:
        if t.resolved_at is not None:
            continue
        due = next_due(t.deadline_at, t.first_response_due_at, t.first_response_at).at
        if now > due:
            overdue += 1
        elif is_due_today(due, now, LOCAL_TZ):
            today += 1
    return DueCounts(overdue, today)


@dataclass(frozen=True)
class OpenRequest:
    """A line of ``kac-desktop requests``."""

    id: str
    customer: str
    type: str
    status: str
    manager: str
    received_at: datetime
    deadline_at: datetime
    deadline_rule: str
    first_response_due_at: datetime | None
    state: str
    due_at: datetime
    first_response: bool
    deadline_provisional: bool = False


def list_open(
    db: Database, actor: Actor, now: datetime, state: str | None = None
) -> list[OpenRequest]:
    """Unresolved requests with their warning state at ``now``, most urgent first."""
    from kac_desktop.rules.service_states import URGENCY_RANK

    limits = thresholds(db)
    timings = query_timings(db, actor, RequestQuery(scope="unresolved"))
    by_id = {t.id: t for t in timings}
    rows = fetch_rows(db, actor, [t.id for t in timings])
    result = []
    for row in rows:
        t = by_id[row.id]
        s = state_of(t, now, limits)
        if state and s != state:
            continue
        due = next_due(t.deadline_at, t.first_response_due_at, t.first_response_at)
        result.append(
            OpenRequest(
                row.id,
                row.customer,
                row.type,
                row.status,
                row.manager,
                row.received_at,
                row.deadline_at,
                row.deadline_rule,
                row.first_response_due_at,
                s,
                due.at,
                due.first_response,
                row.deadline_provisional,
            )
        )
    result.sort(key=lambda r: (URGENCY_RANK[r.state], r.due_at))
    return result


def as_utc(moment: datetime) -> datetime:
    """A moment given in local time (naive = Asia/Shanghai) as aware UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(UTC)
