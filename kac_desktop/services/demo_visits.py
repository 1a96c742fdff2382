"""Demonstration visits: a year of visits (走访) up to yesterday for the demo customers, the
branch meetings (座谈会) and the follow-ups they left, so that the visit pages and the quota
are full on a demo database.

Decisions:

* Deterministic from its own ``random.Random(f"{seed}/visits")`` and ``today``; it reads the
  customer and contact rows the earlier phases made and changes none of them.
* Realistic, not perfect: most customers meet their class's quota (3/2/1 on-site visits a
  month) in most months, some fall short, about one in twenty has gone quiet for the last
  two months (the inactivity list), and phone calls, which do not count by default, come
  on top.  The current month only has visits up to yesterday, so its quota is partly done.
* Next steps: about a third of the visits leave one, dated a few days to three weeks
  later; nearly all of those due before the last fortnight are done, the recent ones often
  still open (the follow-up list and the status bar's count).
* A branch meeting is held by most sub-branches in spring and autumn; a few skip one, so
  the page shows a branch behind the twice-a-year rule.
* About 60,000–100,000 rows at 10,000 customers, inserted with Core ``executemany``.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection

from kac_desktop.models import Visit
from kac_desktop.rules.tiers import DEFAULT_CLASS_FOR_TIER

LOCAL = timezone(timedelta(hours=8), "CST")
MONTHS = 12

SUMMARIES = {
    "keep": (
        "上门拜访，了解近期寄递量，客户对揽收时效满意",
        "走访客户办公室，核对本月账单，无异议",
        "与关键人沟通年度用邮计划，表示继续合作",
        "回访上月投递情况，客户反映总体稳定",
        "送达新版资费表，讲解协议优惠执行情况",
        "节前走访，赠送邮政贺卡，维护关系",
    ),
    "develop": (
        "介绍同城速递和一体化物流方案，客户有兴趣",
        "推介报刊订阅和集邮纪念品，客户将内部请示",
        "了解客户目前使用顺丰，比较时效与价格",
        "洽谈电商仓配合作，约定下次带方案上门",
    ),
    "follow_up": (
        "跟进上次提出的揽收时间调整，已落实",
        "回访理赔处理结果，客户认可",
        "跟进合同续签进度，法务审核中",
    ),
    "survey": (
        "开展年度满意度调查，客户整体满意",
        "满意度回访，客户对投递员服务评价较好",
    ),
    "complaint": (
        "处理客户对延误件的投诉，说明原因并致歉",
        "上门处理包装破损投诉，协商赔偿方案",
    ),
}
NEEDS = (
    "",
    "",
    "",
    "希望固定每天下午四点上门揽收",
    "需要月结对账单按部门拆分",
    "有批量国际件寄递需求",
    "希望提供电子面单接口",
    "年底有大量贺卡寄递需求",
    "需要冷链寄递方案",
    "希望增加报刊订阅品种",
)
NEXT_STEPS = (
    "带同城速递方案再次上门",
    "发送新版协议给客户审阅",
    "安排揽投部调整揽收时间",
    "电话确认对账结果",
    "邀请参加大客户座谈会",
    "跟进合同续签",
    "提供电子面单接口资料",
)
PHONE_SUMMARIES = (
    "电话确认本月寄递计划",
    "电话提醒账单到期",
    "电话沟通揽收时间变更",
    "电话回访投递情况",
)
MEETING_SUMMARIES = (
    "召开大客户座谈会，通报服务改进措施，听取意见建议",
    "举办重点客户座谈会，介绍新产品，收集用邮需求",
)

# visits a month by class: ((count, weight), ...)
_MONTHLY = {
    1: ((3, 62), (4, 6), (2, 24), (1, 6), (0, 2)),
    2: ((2, 68), (3, 5), (1, 22), (0, 5)),
    3: ((1, 78), (2, 2), (0, 20)),
}


@dataclass
class VisitRows:
    rows: list[dict[str, Any]] = field(default_factory=list)


def _table(pairs: tuple[tuple[Any, int], ...]) -> tuple[tuple[Any, ...], list[int]]:
    return tuple(v for v, _w in pairs), list(itertools.accumulate(w for _v, w in pairs))


def _pick(rng: random.Random, table: tuple[tuple[Any, ...], list[int]]) -> Any:
    values, cumulative = table
    return values[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


_PURPOSES = _table(
    (("keep", 60), ("develop", 14), ("follow_up", 14), ("survey", 7), ("complaint", 5))
)
_SCORES = _table(((5, 50), (4, 35), (3, 12), (2, 3)))


def _any(rng: random.Random, seq: Sequence[Any]) -> Any:
    # rng.choice costs three times as much; the demo makes 100,000 of these
    return seq[int(rng.random() * len(seq))]


def _new_id(rng: random.Random) -> str:
    """What str(uuid.UUID(int=rng.getrandbits(128), version=4)) gives, without the object."""
    n = rng.getrandbits(128)
    n = (n & ~(0xC000 << 48) | (0x8000 << 48)) & ~(0xF000 << 64) | (4 << 76)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _month_start(day: date, back: int) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


_PHONE_HOURS = tuple(range(8, 18))
_VISIT_HOURS = (9, 9, 10, 10, 10, 11, 14, 14, 15, 15, 16, 16, 17)
_MINUTES = (0, 10, 15, 20, 30, 40, 45, 50)
_UTC_OFFSET = timedelta(hours=8)
_LOGGED_AFTER = timedelta(hours=2)


def _moment(rng: random.Random, day: date, mode: str) -> datetime:
    """A working hour of ``day`` in Fuzhou, as an aware UTC datetime."""
    hour = _any(rng, _PHONE_HOURS if mode == "phone" else _VISIT_HOURS)
    local = datetime(day.year, day.month, day.day, hour, _any(rng, _MINUTES), tzinfo=UTC)
    return local - _UTC_OFFSET


def _working_day(rng: random.Random, first: int, last: int) -> date | None:
    """A day between the ordinals ``first`` and ``last``, a weekday when a few tries find one."""
    if last < first:
        return None
    day = first
    for _attempt in range(6):
        day = first + int(rng.random() * (last - first + 1))
        if (day - 1) % 7 < 5:  # ordinal 1 was a Monday
            break
    return date.fromordinal(day)


def build_visits(
    rng: random.Random,
    org: Any,
    customer_rows: list[dict[str, Any]],
    contact_rows: list[dict[str, Any]],
    today: date,
    summary: Any,
) -> VisitRows:
    """The visit rows for the demo organisation ``org`` and its customers."""
    yesterday = today - timedelta(days=1)
    contacts: dict[str, list[str]] = defaultdict(list)
    for c in contact_rows:
        contacts[c["customer_id"]].append(c["id"])
    supervisors = {b.id: b.supervisor_id for b in org.branches}
    out = VisitRows()
    rows = out.rows
    recent = today - timedelta(days=14)

    def add(
        customer_id: str | None,
        branch_id: str,
        manager_id: str,
        at: datetime,
        mode: str,
        purpose: str,
        text: str,
        contact_id: str | None = None,
    ) -> None:
        day = (at + _UTC_OFFSET).date()
        logged = at + _LOGGED_AFTER
        needs, step, step_date, done, score = "", "", None, False, None
        if mode == "onsite":
            needs = _any(rng, NEEDS)
            if rng.random() < 0.33:
                step = _any(rng, NEXT_STEPS)
                step_date = day + timedelta(days=3 + int(rng.random() * 19))
                # old next steps were followed up (a few forgotten); recent ones are open
                if step_date < recent:
                    done = rng.random() < 0.995
                else:
                    done = step_date < today and rng.random() < 0.4
        if purpose == "survey" or (mode == "onsite" and rng.random() < 0.08):
            score = _pick(rng, _SCORES)
        rows.append(
            {
                "id": _new_id(rng),
                "created_at": logged,
                "updated_at": logged,
                "updated_by": manager_id,
                "version": 1,
                "customer_id": customer_id,
                "branch_id": branch_id,
                "manager_id": manager_id,
                "contact_id": contact_id,
                "visited_at": at,
                "mode": mode,
                "purpose": purpose,
                "summary": text,
                "needs": needs,
                "next_step": step,
                "next_step_date": step_date,
                "next_step_done": done,
                "satisfaction": score,
            }
        )

    months = []
    for back in range(MONTHS - 1, -1, -1):
        start = _month_start(today, back)
        months.append((back == 0, start, _month_start(today, back - 1) - timedelta(days=1)))
    tables = {cls: _table(pairs) for cls, pairs in _MONTHLY.items()}
    for customer in customer_rows:
        created = customer["created_at"].astimezone(LOCAL).date()
        end = yesterday
        if customer["archived"] and customer["archived_at"] is not None:
            end = min(end, customer["archived_at"].astimezone(LOCAL).date())
        quiet = rng.random() < 0.05  # gone quiet: no visit in the last two months
        if quiet:
            end = min(end, _month_start(today, 1) - timedelta(days=rng.randint(1, 20)))
        override = customer["visit_class_override"]
        cls = override or DEFAULT_CLASS_FOR_TIER.get(customer["tier"], 3)
        if customer["kind"] == "potential":
            cls = 3
        reliability = rng.random()  # some managers' customers are looked after better
        contact_ids = contacts.get(customer["id"], [])
        table = tables[cls]
        for current, start, month_end in months:
            first, last = max(start, created), min(month_end, end)
            if last < first:
                continue
            count = _pick(rng, table)
            if reliability < 0.15 and count and rng.random() < 0.5:
                count -= 1
            if current:
                # the current month: only visits on days already past
                count = sum(
                    1 for _i in range(count) if rng.random() * month_end.day < yesterday.day
                )
            phone = 1 if rng.random() < 0.06 else 0
            first_ord, last_ord = first.toordinal(), last.toordinal()
            for n in range(count + phone):
                day = _working_day(rng, first_ord, last_ord)
                if day is None:
                    break
                mode = "onsite" if n < count else "phone"
                purpose = "keep" if mode == "phone" else _pick(rng, _PURPOSES)
                text = _any(rng, PHONE_SUMMARIES if mode == "phone" else SUMMARIES[purpose])
                contact = _any(rng, contact_ids) if contact_ids and rng.random() < 0.9 else None
                add(
                    customer["id"],
                    customer["branch_id"],
                    customer["manager_id"],
                    _moment(rng, day, mode),
                    mode,
                    purpose,
                    text,
                    contact,
                )
    # branch meetings: spring and autumn, a few branches miss one
    for branch in org.branches:
        for month_no in (4, 10):
            day = _working_day(
                rng,
                date(today.year, month_no, 10).toordinal(),
                date(today.year, month_no, 25).toordinal(),
            )
            if day is None or day > yesterday or rng.random() < 0.25:
                continue
            host = supervisors.get(branch.id) or (branch.managers[0].id if branch.managers else "")
            if host:
                add(
                    None,
                    branch.id,
                    host,
                    _moment(rng, day, "meeting"),
                    "meeting",
                    "keep",
                    rng.choice(MEETING_SUMMARIES),
                )
    summary.visits = len(rows)
    return out


def insert_visits(connection: Connection, visits: VisitRows, batch: int = 20_000) -> None:
    """Write the rows inside the caller's transaction."""
    table = Visit.__table__
    for start in range(0, len(visits.rows), batch):
        connection.execute(table.insert(), visits.rows[start : start + batch])
