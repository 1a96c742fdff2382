"""Demonstration service requests (限时服务) for ``build_demo``: about one request for every
twelve customers, in every status and every warning state, some overdue.

The requests are placed around the moment the demo is built (``anchor``): the closed ones in
the last two months, the open ones received in the last three days, so that a supervisor who
opens the board sees requests on track, needing attention, urgent and overdue, and watches
them move.  Deadlines come from the same rule as a registered request (calendar days, the
default settings).  Deterministic for a seed and an anchor.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from kac_desktop.models import RequestStatusChange, ServiceRequest
from kac_desktop.rules.deadlines import LOCAL_TZ, DeadlineSettings, compute_deadline

PER_CUSTOMERS = 12

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


@dataclass
class RequestRows:
    requests: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)

    def tables(self) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
        yield ServiceRequest.__table__, self.requests
        yield RequestStatusChange.__table__, self.changes


def demo_anchor(today: date) -> datetime:
    """The moment the demo requests are placed around: now when building for today, else
    10:00 of ``today`` (local time)."""
    if today == datetime.now(LOCAL_TZ).date():
        return datetime.now(UTC).replace(microsecond=0)
    return datetime.combine(today, time(10, 0), tzinfo=LOCAL_TZ).astimezone(UTC)


def _pick(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _w in table], weights=[w for _k, w in table])[0]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _working_moment(rng: random.Random, earliest: datetime, latest: datetime) -> datetime:
    """A moment between the two; one that falls at night moves to the evening before or of
    the same day (18:00–20:00 local), as a request taken after hours would be."""
    span = max((latest - earliest).total_seconds(), 60)
    moment = earliest + timedelta(seconds=rng.uniform(0, span))
    local = moment.astimezone(LOCAL_TZ)
    if local.hour < 8 or local.hour >= 20:
        evening = local if local.hour >= 20 else local - timedelta(days=1)
        shifted = evening.replace(hour=rng.randint(18, 19), minute=rng.randint(0, 59))
        if shifted.astimezone(UTC) <= latest:
            moment = shifted.astimezone(UTC)
    return moment.replace(microsecond=0)


def build_requests(
    rng: random.Random,
    customers: list[dict[str, Any]],
    anchor: datetime,
    settings: DeadlineSettings | None = None,
) -> RequestRows:
    """Request rows for the (not archived) customer rows of the demo."""
    settings = settings or DeadlineSettings()
    out = RequestRows()
    active = [c for c in customers if not c.get("archived")]
    count = len(active) // PER_CUSTOMERS
    # a few rural complaints of yesterday whose first response falls due within the hour, so
    # that the board shows urgent requests at any time of day (a city request is urgent only
    # in the hour before 18:00)
    urgent = max(1, count // 25)
    for customer in rng.sample(active, count) if count else []:
        forced = urgent > 0 and customer["area"] == "rural"
        urgent -= forced
        _one(rng, customer, anchor, settings, out, forced)
    return out


def _one(
    rng: random.Random,
    customer: dict[str, Any],
    anchor: datetime,
    settings: DeadlineSettings,
    out: RequestRows,
    urgent_complaint: bool = False,
) -> None:
    # where in its life the request is: 55 % still open, the rest resolved or later
    stage = rng.choices(
        ["received", "in_progress", "resolved", "called_back", "closed"],
        weights=[25, 30, 10, 10, 25],
    )[0]
    kind = _pick(rng, _TYPES)
    if urgent_complaint:
        stage, kind = "received", "complaint"
        received = (anchor - timedelta(hours=rng.uniform(23.1, 23.9))).replace(microsecond=0)
    elif stage in ("received", "in_progress"):
        # mostly received today, some in the last three days: every warning state appears
        hours = rng.uniform(0, 9) if rng.random() < 0.7 else rng.uniform(9, 72)
        received = _working_moment(rng, anchor - timedelta(hours=hours), anchor)
    else:
        days = rng.uniform(1, 8) if stage != "closed" else rng.uniform(4, 60)
        received = _working_moment(rng, anchor - timedelta(days=days), anchor - timedelta(days=1))
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
    request_id = _uuid(rng)
    steps: list[tuple[str | None, str, datetime, str]] = [(None, "received", received, "")]
    first_response: datetime | None = None
    resolved: datetime | None = None
    closed: datetime | None = None
    satisfaction = None
    resolution = ""
    order = ["received", "in_progress", "resolved", "called_back", "closed"]
    reached = order.index(stage)
    t = received  # the time of the latest step so far
    if reached >= 1:
        latest = min(anchor, deadline.due_at + timedelta(hours=6))
        t = _working_moment(
            rng, received + timedelta(minutes=10), max(latest, received + timedelta(minutes=20))
        )
        t = first_response = min(t, anchor)
        steps.append(("received", "in_progress", t, ""))
    if reached >= 2:
        if rng.random() < 0.15:  # done late
            t = deadline.due_at + timedelta(minutes=rng.randint(30, 36 * 60))
        else:
            span = max((deadline.due_at - t).total_seconds(), 60)
            t += timedelta(seconds=rng.uniform(0.1, 1.0) * span)
        t = resolved = min(t.replace(microsecond=0), anchor)
        resolution = _RESOLUTIONS[kind]
        steps.append(("in_progress", "resolved", t, resolution))
    if reached >= 3:
        t = min(t + timedelta(hours=rng.uniform(2, 48)), anchor)
        satisfaction = rng.choices([5, 4, 3, 2, 1], weights=[45, 35, 12, 5, 3])[0]
        note = f"满意度：{satisfaction}分（{_SATISFACTION_WORDS[satisfaction]}）"
        steps.append(("resolved", "called_back", t, note))
    if reached >= 4:
        t = closed = min(t + timedelta(hours=rng.uniform(1, 72)), anchor)
        steps.append(("called_back", "closed", t, ""))
    last_at = steps[-1][2]
    n = rng.randint(2, 60)
    description = rng.choice(_DESCRIPTIONS[kind]).format(n=n)
    out.requests.append(
        {
            "id": request_id,
            "created_at": received,
            "updated_at": last_at,
            "updated_by": manager,
            "version": len(steps),
            "customer_id": customer["id"],
            "manager_id": manager,
            "type": kind,
            "channel": _pick(rng, _CHANNELS),
            "received_at": received,
            "description": description,
            "special_case": special,
            "confirmed_at": confirmed,
            "deadline_at": deadline.due_at,
            "deadline_rule": deadline.rule,
            "first_response_due_at": deadline.first_response_due_at,
            "first_response_at": first_response,
            "status": stage,
            "resolution": resolution,
            "resolved_at": resolved,
            "satisfaction": satisfaction,
            "closed_at": closed,
        }
    )
    for before, after, at, note in steps:
        out.changes.append(
            {
                "id": _uuid(rng),
                "created_at": at,
                "updated_at": at,
                "updated_by": manager,
                "version": 1,
                "request_id": request_id,
                "from_status": before,
                "to_status": after,
                "at": at,
                "by_user_id": manager,
                "note": note,
            }
        )
