"""Demonstration service requests (限时服务) for ``build_demo``: about one request per
customer a year (or as many as a benchmark asks for), over the months asked, in every
status and every warning state.

Decisions:

* The requests are placed before the moment the demo is built (``anchor``), bigger
  customers calling more often.  How far one has come depends on its age, as in an office:
  those of the last three days are mostly open (so a supervisor who opens the board sees
  requests on track, needing attention, urgent and overdue, and watches them move); of the
  last weeks a few are still unresolved and overdue, or resolved and not yet called back;
  older ones are closed.  At 200,000 requests over two years that leaves about 1,500
  unresolved and 1,000 more not closed ("thousands open" on the board at L).
* A small demo still gets ``LIVE_MINIMUM`` requests in the last three days, and a few rural
  complaints whose first response falls due within the hour (urgent at any time of day).
* Deadlines come from the same rule as a registered request (calendar days, the default
  settings); every status step is kept with who and when, as the service keeps it.
* Deterministic for a seed and an anchor; rows are written in batches.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from kac_desktop.rules.deadlines import LOCAL_TZ, DeadlineSettings, compute_deadline

from .randomness import any_of, new_id, pick, table
from .volumes import REQUESTS_PER_CUSTOMER_YEAR, Volumes
from .write import BATCH, TRACKED_COLUMNS, Writer

_TYPES = (
    ("pickup", 35),
    ("consultation", 18),
    ("complaint", 10),
    ("claim", 15),
    ("solution", 10),
    ("other", 12),
)
_CHANNELS = (("phone", 50), ("visit", 20), ("counter", 20), ("letter", 10))
_DESCRIPTIONS = {
    "pickup": (
        "今天下午有{n}箱货物需上门揽收，请安排车辆",
        "月底对账单据{n}件，请今日上门取件",
        "电商大促订单约{n}单，请加派揽收人员",
    ),
    "consultation": (
        "咨询国际小包资费及时限",
        "咨询记账结算的开通手续",
        "咨询同城当日达的服务范围",
    ),
    "complaint": (
        "投诉快件延误{n}天未送达",
        "投诉投递员未按约定时间上门",
        "投诉包裹外包装破损、内件受损",
    ),
    "claim": (
        "查询单号EMS{n:09d}的投递状态",
        "快件丢失申请赔偿，声明价值{n}00元",
        "查询上月{n}件挂号信的签收情况",
    ),
    "solution": (
        "需要全省门店物资配送的一体化物流方案",
        "希望定制年度报刊订阅与投递方案",
        "申请仓配一体化试点，日均{n}单",
    ),
    "other": (
        "申请更换对账联系人",
        "需要开具上季度的邮费发票",
        "要求增加每周揽收频次",
    ),
}
_RESOLUTIONS = {
    "pickup": "已安排揽收，货物已交寄",
    "consultation": "已电话答复并发送资费说明",
    "complaint": "已核实原因，向客户致歉并落实整改",
    "claim": "已查明投递情况并答复客户",
    "solution": "方案已提交客户并确认",
    "other": "已按客户要求办理",
}

_SATISFACTION_WORDS = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}


def demo_anchor(today: date) -> datetime:
    """The moment the demo requests are placed around: now when building for today, else
    10:00 of ``today`` (local time)."""
    if today == datetime.now(LOCAL_TZ).date():
        return datetime.now(UTC).replace(microsecond=0)
    return datetime.combine(today, time(10, 0), tzinfo=LOCAL_TZ).astimezone(UTC)


def _working_moment(rng: random.Random, earliest: datetime, latest: datetime) -> datetime:
    """A moment between the two; one that falls at night moves to the evening before or of
    the same day (18:00–20:00 local), as a request taken after hours would be."""
    span = max((latest - earliest).total_seconds(), 0)
    moment = earliest + timedelta(seconds=rng.uniform(0, span))
    local = moment.astimezone(LOCAL_TZ)
    if local.hour < 8 or local.hour >= 20:
        evening = local if local.hour >= 20 else local - timedelta(days=1)
        shifted = evening.replace(hour=rng.randint(18, 19), minute=rng.randint(0, 59))
        if earliest <= shifted <= latest:
            moment = shifted.astimezone(UTC)
    return max(earliest, moment.replace(microsecond=0))


REQUEST_COLUMNS = (
    *TRACKED_COLUMNS,
    "customer_id",
    "manager_id",
    "type",
    "channel",
    "received_at",
    "description",
    "special_case",
    "confirmed_at",
    "deadline_at",
    "deadline_rule",
    "first_response_due_at",
    "first_response_at",
    "status",
    "resolution",
    "resolved_at",
    "satisfaction",
    "closed_at",
)
CHANGE_COLUMNS = (
    *TRACKED_COLUMNS,
    "request_id",
    "from_status",
    "to_status",
    "at",
    "by_user_id",
    "note",
)
ORDER = ("received", "in_progress", "resolved", "called_back", "closed")
RECENT = timedelta(days=3)
LATE = 0.12  # resolved after the deadline: an on-time rate (服务响应及时率) near 88 %
# a small demo still shows a full board: at least this many requests of the last three days
LIVE_MINIMUM = 40
# how far a request has come by the anchor, by its age: (younger than, weights of ORDER);
# older ones are all closed
_STAGES_BY_AGE = (
    (RECENT, table(tuple(zip(ORDER, (28, 32, 15, 10, 15), strict=True)))),
    (timedelta(days=14), table(tuple(zip(ORDER, (4, 8, 8, 10, 70), strict=True)))),
    (timedelta(days=45), table(tuple(zip(ORDER, (2, 6, 2, 3, 87), strict=True)))),
)
# bigger customers call more often
_CALLS_BY_TIER = {"diamond": 6, "platinum": 4, "gold": 3, "vip": 2, "ordinary": 1}
_TYPE_TABLE = table(_TYPES)
_CHANNEL_TABLE = table(_CHANNELS)
_SATISFACTION_TABLE = table(((5, 45), (4, 35), (3, 12), (2, 5), (1, 3)))


def request_count(active_customers: int, volumes: Volumes) -> int:
    """The requests to make: as asked, or about one per customer a year."""
    if volumes.requests is not None:
        return volumes.requests
    return round(active_customers * volumes.request_months / 12 * REQUESTS_PER_CUSTOMER_YEAR)


def write_requests(
    requests: Writer,
    changes: Writer,
    rng: random.Random,
    customers: Sequence[dict[str, Any]],
    anchor: datetime,
    volumes: Volumes,
    settings: DeadlineSettings | None = None,
    step: Callable[[float], None] = lambda _f: None,
) -> int:
    """Write the requests of the (not archived) demo customers, received over the months of
    ``volumes`` before ``anchor``, with their status steps; returns the requests written."""
    settings = settings or DeadlineSettings()
    active = [c for c in customers if not c.get("archived")]
    count = request_count(len(active), volumes) if active else 0
    if not count:
        return 0
    span = timedelta(days=round(volumes.request_months * 365 / 12))
    start = anchor - span
    recent = min(count, max(round(count * RECENT / span), min(count // 4, LIVE_MINIMUM)))
    weights = list(
        itertools.accumulate(
            0.5 if c["kind"] == "potential" else _CALLS_BY_TIER.get(c["tier"], 1) for c in active
        )
    )
    who = rng.choices(active, cum_weights=weights, k=count)
    # a few rural complaints of yesterday whose first response falls due within the hour, so
    # that the board shows urgent requests at any time of day (a city request is urgent only
    # in the hour before 18:00)
    rural = [c for c in active if c["area"] == "rural"]
    urgent = min(recent, max(1, recent // 25)) if rural else 0
    for index in range(urgent):
        who[index] = any_of(rng, rural)
    placed: list[tuple[datetime, int, bool]] = []
    for index, customer in enumerate(who):
        forced = index < urgent
        if forced:
            hours = rng.uniform(23.1, 23.9)
            received = (anchor - timedelta(hours=hours)).replace(microsecond=0)
        elif index < recent:
            # mostly received today, some in the last three days: every warning state
            hours = rng.uniform(0, 9) if rng.random() < 0.7 else rng.uniform(9, 72)
            received = _working_moment(rng, anchor - timedelta(hours=hours), anchor)
        else:
            earliest = max(start, customer["created_at"])
            latest = anchor - RECENT
            if latest <= earliest:
                earliest, latest = customer["created_at"], anchor
            received = _working_moment(rng, earliest, latest)
        placed.append((received, index, forced))
    placed.sort()
    request_rows: list[tuple[Any, ...]] = []
    change_rows: list[tuple[Any, ...]] = []
    for done, (received, index, forced) in enumerate(placed, start=1):
        _one(rng, who[index], received, anchor, settings, request_rows, change_rows, forced)
        if len(change_rows) >= BATCH:
            requests.tuples(request_rows)
            changes.tuples(change_rows)
            request_rows.clear()
            change_rows.clear()
            step(done / count)
    requests.tuples(request_rows)
    changes.tuples(change_rows)
    return count


def _stage(rng: random.Random, age: timedelta) -> str:
    for younger_than, stages in _STAGES_BY_AGE:
        if age < younger_than:
            return pick(rng, stages)
    return "closed"


def _one(
    rng: random.Random,
    customer: dict[str, Any],
    received: datetime,
    anchor: datetime,
    settings: DeadlineSettings,
    request_rows: list[tuple[Any, ...]],
    change_rows: list[tuple[Any, ...]],
    urgent_complaint: bool = False,
) -> None:
    stage = _stage(rng, anchor - received)
    kind = pick(rng, _TYPE_TABLE)
    if urgent_complaint:
        stage, kind = "received", "complaint"
    special = rng.random() < 0.05
    confirmed = received + timedelta(minutes=rng.randint(20, 180)) if special else None
    if confirmed is not None and confirmed > anchor:
        confirmed = anchor
    deadline = compute_deadline(
        received,
        customer["area"],
        settings,
        request_type=kind,
        special_case=special,
        confirmed_at=confirmed,
    )
    manager = customer["manager_id"]
    request_id = new_id(rng)
    steps: list[tuple[str | None, str, datetime, str]] = [(None, "received", received, "")]
    first_response: datetime | None = None
    resolved: datetime | None = None
    closed: datetime | None = None
    satisfaction = None
    resolution = ""
    reached = ORDER.index(stage)
    t = received  # the time of the latest step so far
    if reached >= 1:
        # picked up quickly: within two hours, and well before the deadline
        allowed = (deadline.due_at - received).total_seconds()
        quick = max(1200.0, min(7200.0, allowed / 2))
        t = received + timedelta(seconds=rng.uniform(600, quick))
        t = first_response = min(t, anchor).replace(microsecond=0)
        steps.append(("received", "in_progress", t, ""))
    if reached >= 2:
        if rng.random() < LATE:
            t = deadline.due_at + timedelta(minutes=rng.randint(30, 36 * 60))
        else:
            span = max((deadline.due_at - t).total_seconds(), 60)
            t += timedelta(seconds=rng.uniform(0.1, 1.0) * span)
        t = resolved = min(t.replace(microsecond=0), anchor)
        resolution = _RESOLUTIONS[kind]
        steps.append(("in_progress", "resolved", t, resolution))
    if reached >= 3:
        t = min(t + timedelta(hours=rng.uniform(2, 48)), anchor).replace(microsecond=0)
        satisfaction = pick(rng, _SATISFACTION_TABLE)
        note = f"满意度：{satisfaction}分（{_SATISFACTION_WORDS[satisfaction]}）"
        steps.append(("resolved", "called_back", t, note))
    if reached >= 4:
        t = closed = min(t + timedelta(hours=rng.uniform(1, 72)), anchor).replace(microsecond=0)
        steps.append(("called_back", "closed", t, ""))
    last_at = steps[-1][2]
    description = any_of(rng, _DESCRIPTIONS[kind]).format(n=rng.randint(2, 60))
    request_rows.append(
        (
            request_id,
            received,
            last_at,
            manager,
            len(steps),
            customer["id"],
            manager,
            kind,
            pick(rng, _CHANNEL_TABLE),
            received,
            description,
            special,
            confirmed,
            deadline.due_at,
            deadline.rule,
            deadline.first_response_due_at,
            first_response,
            stage,
            resolution,
            resolved,
            satisfaction,
            closed,
        )
    )
    for before, after, at, note in steps:
        change_rows.append(
            (new_id(rng), at, at, manager, 1, request_id, before, after, at, manager, note)
        )
