"""Demonstration visits: a year of visits (走访) up to yesterday for the demo customers (or
the months and the total a benchmark asks for), the branch meetings (座谈会) and the
follow-ups they left, so that the visit pages and the quota are full on a demo database.

Decisions:

* Deterministic from its own ``random.Random(f"{seed}/visits")`` and ``today``; it reads the
  customer and contact rows the earlier phases made and changes none of them.
* Realistic, not perfect: most customers meet their class's quota (3/2/1 on-site visits a
  month) in most months, some fall short, about one in twenty has gone quiet for the last
  two months (the inactivity list), and phone calls, which do not count by default, come
  on top.  The current month only has visits up to yesterday, so its quota is partly done.
  No visit before the customer's file was made or after it was archived.
* Two passes: first a plan of how many visits each customer-month gets (small integers),
  then the rows.  A total asked for (``Volumes.visits``) is met by changing the plan — phone
  calls go first, then visits beyond the quota, so compliance stays what the rules give as
  far as the total allows — and the rows are made and written in batches, so millions of
  visits never sit in memory at once.
* Next steps: about a third of the visits leave one, dated a few days to three weeks
  later; nearly all of those due before the last fortnight are done, the recent ones often
  still open (the follow-up list and the status bar's count).
* A branch meeting is held by most sub-branches in spring and autumn; a few skip one, so
  the page shows a branch behind the twice-a-year rule.
* About 11 visits a customer a year: 110,000 rows at 10,000 customers.
"""

from __future__ import annotations

import random
from array import array
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kac_desktop.i18n import _
from kac_desktop.rules.clock import LOCAL_TZ as LOCAL
from kac_desktop.rules.clock import UTC_OFFSET
from kac_desktop.rules.quota import DEFAULT_QUOTA
from kac_desktop.rules.tiers import visit_class
from kac_desktop.services.errors import ServiceError

from .randomness import any_of, month_start, new_id, pick, table
from .volumes import Volumes, fit_counts
from .write import BATCH, TRACKED_COLUMNS, Writer

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


_PURPOSES = table(
    (("keep", 60), ("develop", 14), ("follow_up", 14), ("survey", 7), ("complaint", 5))
)
_SCORES = table(((5, 50), (4, 35), (3, 12), (2, 3)))


_PHONE_HOURS = tuple(range(8, 18))
_VISIT_HOURS = (9, 9, 10, 10, 10, 11, 14, 14, 15, 15, 16, 16, 17)
_MINUTES = (0, 10, 15, 20, 30, 40, 45, 50)
_UTC_OFFSET = UTC_OFFSET
_LOGGED_AFTER = timedelta(hours=2)


def _moment(rng: random.Random, day: date, mode: str) -> datetime:
    """A working hour of ``day`` in Fuzhou, as an aware UTC datetime."""
    hour = any_of(rng, _PHONE_HOURS if mode == "phone" else _VISIT_HOURS)
    local = datetime(day.year, day.month, day.day, hour, any_of(rng, _MINUTES), tzinfo=UTC)
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


VISIT_COLUMNS = (
    *TRACKED_COLUMNS,
    "customer_id",
    "branch_id",
    "manager_id",
    "contact_id",
    "visited_at",
    "mode",
    "purpose",
    "summary",
    "needs",
    "next_step",
    "next_step_date",
    "next_step_done",
    "satisfaction",
)
# the default quota of docs/DOMAIN.md §3 (rules/defaults.py), to tell surplus visits apart
_QUOTA = dict(DEFAULT_QUOTA)


@dataclass
class _Plan:
    """Visits per customer-month ("slot") before any row is made: cheap to count and fit."""

    customer: array = field(default_factory=lambda: array("i"))  # index into the customers
    first: array = field(default_factory=lambda: array("i"))  # ordinals of the slot's days
    last: array = field(default_factory=lambda: array("i"))
    quota: array = field(default_factory=lambda: array("b"))
    onsite: list[int] = field(default_factory=list)
    phone: list[int] = field(default_factory=list)


def _plan(
    rng: random.Random, customer_rows: Sequence[dict[str, Any]], today: date, months_back: int
) -> _Plan:
    yesterday = today - timedelta(days=1)
    months = []
    for back in range(months_back - 1, -1, -1):
        start = month_start(today, back)
        months.append((back == 0, start, month_start(today, back - 1) - timedelta(days=1)))
    tables = {cls: table(pairs) for cls, pairs in _MONTHLY.items()}
    plan = _Plan()
    for index, customer in enumerate(customer_rows):
        created = customer["created_at"].astimezone(LOCAL).date()
        end = yesterday
        if customer["archived"] and customer["archived_at"] is not None:
            end = min(end, customer["archived_at"].astimezone(LOCAL).date())
        quiet = rng.random() < 0.05  # gone quiet: no visit in the last two months
        if quiet:
            end = min(end, month_start(today, 1) - timedelta(days=rng.randint(1, 20)))
        override = customer["visit_class_override"]
        cls = visit_class(customer["tier"], override)
        if customer["kind"] == "potential":
            cls = 3
        reliability = rng.random()  # some managers' customers are looked after better
        monthly = tables[cls]
        for current, start, month_end in months:
            first, last = max(start, created), min(month_end, end)
            if last < first:
                continue
            count = pick(rng, monthly)
            if reliability < 0.15 and count and rng.random() < 0.5:
                count -= 1
            if current:
                # the current month: only visits on days already past
                count = sum(
                    1 for _i in range(count) if rng.random() * month_end.day < yesterday.day
                )
            plan.customer.append(index)
            plan.first.append(first.toordinal())
            plan.last.append(last.toordinal())
            plan.quota.append(_QUOTA[cls])
            plan.onsite.append(count)
            plan.phone.append(1 if rng.random() < 0.06 else 0)
    return plan


def _fit(rng: random.Random, plan: _Plan, target: int) -> bool:
    """Make the plan hold ``target`` visits: fewer by dropping phone calls first (they do not
    count for the quota), then visits beyond the quota, then quota visits; more by adding
    phone calls and visits to months drawn at random.  Compliance moves only as far as the
    difference asks."""
    n = len(plan.onsite)
    counts = plan.onsite + plan.phone  # slot s: onsite at s, phone calls at n + s
    phones = [n + s for s in range(n) for _i in range(plan.phone[s])]
    surplus = [s for s in range(n) for _i in range(max(0, plan.onsite[s] - plan.quota[s]))]
    due = [s for s in range(n) for _i in range(min(plan.onsite[s], plan.quota[s]))]
    if not fit_counts(rng, counts, target, (phones, surplus, due), range(2 * n)):
        return False
    plan.onsite, plan.phone = counts[:n], counts[n:]
    return True


def _meetings(
    rng: random.Random, org: Any, today: date, months_back: int
) -> list[tuple[str, str, date]]:
    """Branch meetings (branch, host, day): spring and autumn, a few branches miss one."""
    yesterday = today - timedelta(days=1)
    earliest = month_start(today, months_back - 1)
    found = []
    for year in range(earliest.year, today.year + 1):
        for branch in org.branches:
            for month_no in (4, 10):
                day = _working_day(
                    rng,
                    date(year, month_no, 10).toordinal(),
                    date(year, month_no, 25).toordinal(),
                )
                if day is None or not earliest <= day <= yesterday or rng.random() < 0.25:
                    continue
                host = branch.supervisor_id or (branch.managers[0].id if branch.managers else "")
                if host:
                    found.append((branch.id, host, day))
    return found


def write_visits(
    writer: Writer,
    rng: random.Random,
    org: Any,
    customer_rows: Sequence[dict[str, Any]],
    contact_rows: Sequence[dict[str, Any]],
    today: date,
    volumes: Volumes,
    step: Callable[[float], None] = lambda _f: None,
) -> int:
    """Plan, fit to ``volumes.visits`` when given, and write the visits of the demo
    organisation ``org`` and its customers through ``writer``; returns the rows written.
    ``step(fraction)`` reports progress (and may raise Cancelled)."""
    plan = _plan(rng, customer_rows, today, volumes.visit_months)
    meetings = _meetings(rng, org, today, volumes.visit_months)
    if volumes.visits is not None:
        meetings = meetings[: volumes.visits]
        if not _fit(rng, plan, volumes.visits - len(meetings)):
            raise ServiceError(
                _("There are too few customers for {count} visits.").format(
                    count=f"{volumes.visits:,}"
                )
            )
    contacts: dict[str, list[str]] = defaultdict(list)
    for c in contact_rows:
        contacts[c["customer_id"]].append(c["id"])
    recent = today - timedelta(days=14)
    rows: list[tuple[Any, ...]] = []
    written = 0

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
        needs, step_text, step_date, done, score = "", "", None, False, None
        if mode == "onsite":
            needs = any_of(rng, NEEDS)
            if rng.random() < 0.33:
                day = (at + _UTC_OFFSET).date()
                step_text = any_of(rng, NEXT_STEPS)
                step_date = day + timedelta(days=3 + int(rng.random() * 19))
                # old next steps were followed up (a few forgotten); recent ones are open
                if step_date < recent:
                    done = rng.random() < 0.995
                else:
                    done = step_date < today and rng.random() < 0.4
        if purpose == "survey" or (mode == "onsite" and rng.random() < 0.08):
            score = pick(rng, _SCORES)
        logged = at + _LOGGED_AFTER
        rows.append(
            (
                new_id(rng),
                logged,
                logged,
                manager_id,
                1,
                customer_id,
                branch_id,
                manager_id,
                contact_id,
                at,
                mode,
                purpose,
                text,
                needs,
                step_text,
                step_date,
                done,
                score,
            )
        )

    for branch_id, host, day in meetings:
        add(
            None,
            branch_id,
            host,
            _moment(rng, day, "meeting"),
            "meeting",
            "keep",
            any_of(rng, MEETING_SUMMARIES),
        )
    slots = len(plan.onsite)
    for s in range(slots):
        customer = customer_rows[plan.customer[s]]
        contact_ids = contacts.get(customer["id"], ())
        onsite = plan.onsite[s]
        first, last = plan.first[s], plan.last[s]
        for n in range(onsite + plan.phone[s]):
            when = _working_day(rng, first, last)
            if when is None:
                break
            mode = "onsite" if n < onsite else "phone"
            purpose = "keep" if mode == "phone" else pick(rng, _PURPOSES)
            text = any_of(rng, PHONE_SUMMARIES if mode == "phone" else SUMMARIES[purpose])
            contact = any_of(rng, contact_ids) if contact_ids and rng.random() < 0.9 else None
            add(
                customer["id"],
                customer["branch_id"],
                customer["manager_id"],
                _moment(rng, when, mode),
                mode,
                purpose,
                text,
                contact,
            )
        if len(rows) >= BATCH:
            writer.tuples(rows)
            written += len(rows)
            rows.clear()
            step(s / slots)
    writer.tuples(rows)
    return written + len(rows)
