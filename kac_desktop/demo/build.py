"""Demonstration data: a Fuzhou city center with its branches, users and customer files,
built into an empty database (``kac-desktop demo``; the benchmarks use it at 100,000).

Decisions:

* Only into an empty database (no customers, users or branches): demo files must never mix
  with real ones.
* Deterministic for a seed and ``today``: every random choice, UUIDs included, comes from
  ``random.Random`` seeded per phase (``"{seed}/customers"``…), so adding a phase later (visits,
  requests, revenue) does not change what the earlier phases make.
* Everything is written in one transaction, in bulk (``write``: the driver's
  ``executemany`` on the session's connection, the values bound as SQLAlchemy's types bind
  them; measured for 100,000 rows: the ORM's ``add_all`` 38× slower, Core twice the driver).  The history
  (visits, service requests, revenue: ``visits``, ``requests``, ``revenue``)
  is made and written in batches, so the benchmark scale's millions of rows never sit in
  memory at once; how much of it there is comes from ``volumes.Volumes``.
* One audit record for the whole build (``demo.build``, with the counts): the audit chain
  stays valid and does not grow by a row per generated record.
* The computed columns (``name_key``, ``name_sort``, the list's contact and phone,
  completeness, the search row) come from the same functions the customer service uses on
  save (``customers.derived_columns``, ``customers.search_row_text``).
* Those functions spend most of the time in pypinyin (about 0.35 ms a customer), so for large
  runs they are computed in worker processes while the main process goes on generating; the
  result does not depend on how many workers there are.
* All demo files validate (``rules.validation.validate_customer``); about a fifth are left
  deliberately incomplete (fields that are optional for validation left empty), so the
  completeness KPI varies.
* Public schools, hospitals, media and associations are filed with the nature "government"
  (the coarse natures know only enterprise, individual and government); their credit codes use
  the institution (12) and association (51) prefixes, organs 11, enterprises 91.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import gc
import itertools
import multiprocessing
import os
import random
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.models import (
    Branch,
    Contact,
    Customer,
    CustomerSearch,
    RequestStatusChange,
    Revenue,
    ServiceRequest,
    User,
    Visit,
)
from kac_desktop.models.sealing import user_mac
from kac_desktop.progress import NullProgress, Progress, check
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import LOCAL_TZ as LOCAL
from kac_desktop.rules.clock import business_today
from kac_desktop.rules.credit_code import ALPHABET, make_credit_code
from kac_desktop.rules.customer import ContactData, CustomerData
from kac_desktop.rules.names import normalise_name
from kac_desktop.services import audit
from kac_desktop.services.context import Actor
from kac_desktop.services.customers import derived_columns, search_row_text
from kac_desktop.services.errors import ServiceError
from kac_desktop.services.users import ensure_reference_data

from . import names as words
from . import requests as demo_requests
from . import revenue as demo_revenue
from . import visits as demo_visits
from .volumes import Volumes
from .write import Writer, deferred_indexes, insert_dicts

CUSTOMERS_PER_MANAGER = 250
# every demonstration user signs in with this password (letters and digits, as the rule asks)
DEMO_PASSWORD = "Demo-2026"
MAX_CUSTOMERS = 1_000_000
CHUNK = 1000  # customers generated, derived and reported at a time
PARALLEL_FROM = 4000
_NO_PROGRESS = NullProgress()  # below this, starting worker processes costs more than it saves

# the tables the demo fills in bulk: their secondary indexes are built after the load
_BULK_TABLES = (
    "customers",
    "contacts",
    "visits",
    "service_requests",
    "request_status_changes",
    "revenues",
)
_CUSTOMER_COLUMNS = [f.name for f in dataclasses.fields(CustomerData) if f.name != "contacts"]
_CONTACT_COLUMNS = [f.name for f in dataclasses.fields(ContactData) if f.name != "id"]


# ------------------------------------------------------------------ the summary


@dataclass
class DemoSummary:
    seed: int
    city_centers: int = 0
    counties: int = 0
    sub_branches: int = 0
    admin_login: str = ""
    supervisor_logins: list[str] = field(default_factory=list)
    manager_logins: list[str] = field(default_factory=list)
    customers: int = 0
    key_customers: int = 0
    important_customers: int = 0
    potential_customers: int = 0
    archived: int = 0
    incomplete: int = 0
    contacts: int = 0
    visits: int = 0
    service_requests: int = 0
    revenue_rows: int = 0
    seconds: float = 0.0

    @property
    def users(self) -> int:
        return 1 + len(self.supervisor_logins) + len(self.manager_logins)

    def describe(self) -> str:
        def n(value: int) -> str:
            return f"{value:,}"

        managers = self.manager_logins
        manager_range = (
            f"{managers[0]} … {managers[-1]}" if len(managers) > 1 else "".join(managers)
        )
        lines = [
            _("Demonstration data built in {seconds} s (seed {seed}).").format(
                seconds=f"{self.seconds:.1f}", seed=self.seed
            ),
            _(
                "Organisation: {centers} city center, {counties} county branches, "
                "{subs} sub-branches, {users} users."
            ).format(
                centers=n(self.city_centers),
                counties=n(self.counties),
                subs=n(self.sub_branches),
                users=n(self.users),
            ),
            _(
                "Customers: {customers} ({key} key, {important} important, {potential} "
                "potential), {contacts} contacts; {incomplete} files left incomplete, "
                "{archived} archived."
            ).format(
                customers=n(self.customers),
                key=n(self.key_customers),
                important=n(self.important_customers),
                potential=n(self.potential_customers),
                contacts=n(self.contacts),
                incomplete=n(self.incomplete),
                archived=n(self.archived),
            ),
        ]
        if self.visits or self.service_requests or self.revenue_rows:
            lines.append(
                _(
                    "History: {visits} visits, {requests} service requests, {revenue} revenue rows."
                ).format(
                    visits=n(self.visits),
                    requests=n(self.service_requests),
                    revenue=n(self.revenue_rows),
                )
            )
        lines += [
            _("Logins (every demonstration user has the password {password}):").format(
                password=DEMO_PASSWORD
            ),
            "  " + _("City-center administrator: {login}").format(login=self.admin_login),
            "  "
            + _("Branch supervisors: {logins}").format(logins=", ".join(self.supervisor_logins)),
            "  "
            + _("Account managers: {logins} ({count})").format(
                logins=manager_range, count=n(len(managers))
            ),
            _(
                "Start as an account manager with --user {login}, as a supervisor with "
                "--user {supervisor}."
            ).format(
                login=managers[0] if managers else self.admin_login,
                supervisor=self.supervisor_logins[0]
                if self.supervisor_logins
                else self.admin_login,
            ),
        ]
        return "\n".join(lines)


# ------------------------------------------------------------------ entry point


def build_demo(
    db: Database,
    customers: int,
    seed: int = 1,
    progress: Progress = _NO_PROGRESS,
    today: date | None = None,
    *,
    workers: int | None = None,
    volumes: Volumes | None = None,
) -> DemoSummary:
    """Build the demonstration organisation and ``customers`` customer files with their
    history into the empty database ``db``, in one transaction.

    ``volumes``: how much history (months and totals of visits, revenue rows and service
    requests); None makes what the rules give an office (``Volumes()``).  ``workers``:
    processes computing the pinyin keys; None chooses by the size and the machine, 1
    computes them here.  Raises ServiceError for a database that already holds data or a
    bad count, and ``progress.Cancelled`` when cancelled (nothing is written then).
    """
    started = time.perf_counter()
    today = today or business_today()
    volumes = volumes or Volumes()
    if customers < 0 or customers > MAX_CUSTOMERS:
        raise ServiceError(
            _("The number of demonstration customers must be between 0 and {max}.").format(
                max=f"{MAX_CUSTOMERS:,}"
            )
        )
    volumes.check()
    with db.session() as session:
        _refuse_unless_empty(session)
    check(progress, 0.0, _("Building the organisation…"))
    summary = DemoSummary(seed=seed)
    org = _organisation(random.Random(f"{seed}/org"), customers, today, summary)
    rows = _customers(
        random.Random(f"{seed}/customers"),
        org,
        customers,
        today,
        summary,
        progress,
        _worker_count(customers, workers),
    )
    writing = _("Writing the database…")
    check(progress, 0.5, writing)
    with db.session() as session, session.begin():
        _refuse_unless_empty(session)
        connection = session.connection()
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # a page cache that holds the growing indexes: a quarter less time at 100,000;
            # this pooled connection gets its own size back afterwards
            cache_size = connection.exec_driver_sql("PRAGMA cache_size").scalar() or -2000
            connection.exec_driver_sql(f"PRAGMA cache_size=-{256 * 1024}")
        try:
            for table, table_rows in org.rows():
                insert_dicts(connection, table, table_rows)
            with deferred_indexes(connection, _BULK_TABLES):
                for table, table_rows in rows.tables():
                    insert_dicts(connection, table, table_rows)
                check(progress, 0.55, writing)
                _write_history(
                    session, connection, seed, org, rows, today, volumes, summary, progress
                )
            check(progress, 0.97, _("Computing points and tier suggestions…"))
            if summary.revenue_rows:
                demo_revenue.assess(session, today)
        finally:
            if sqlite:
                connection.exec_driver_sql(f"PRAGMA cache_size={int(cache_size)}")
        # one audit record for the whole build: the chain check stays valid and short
        audit.record(
            session,
            org.admin_actor,
            "demo.build",
            "database",
            None,
            _("Demonstration data built: {count} customers (seed {seed})").format(
                count=customers, seed=seed
            ),
            {
                "customers": customers,
                "seed": seed,
                "today": today.isoformat(),
                "visits": summary.visits,
                "service_requests": summary.service_requests,
                "revenue_rows": summary.revenue_rows,
            },
        )
        check(progress, 0.99, writing)
    summary.seconds = time.perf_counter() - started
    progress.report(1.0, _("Demonstration data built."))
    return summary


def _write_history(
    session: Session,
    connection: Connection,
    seed: int,
    org: _Org,
    rows: _CustomerRows,
    today: date,
    volumes: Volumes,
    summary: DemoSummary,
    progress: Progress,
) -> None:
    """The visits, service requests and revenue, each phase with its own random.Random, so
    that one phase's volume does not change what the others make."""
    summary.visits = demo_visits.write_visits(
        Writer(connection, Visit.__table__, demo_visits.VISIT_COLUMNS),
        random.Random(f"{seed}/visits"),
        org,
        rows.customers,
        rows.contacts,
        today,
        volumes,
        _stepper(progress, 0.55, 0.75, _("Writing the visits…")),
    )
    summary.service_requests = demo_requests.write_requests(
        Writer(connection, ServiceRequest.__table__, demo_requests.REQUEST_COLUMNS),
        Writer(connection, RequestStatusChange.__table__, demo_requests.CHANGE_COLUMNS),
        random.Random(f"{seed}/requests"),
        rows.customers,
        demo_requests.demo_anchor(today),
        volumes,
        step=_stepper(progress, 0.75, 0.85, _("Writing the service requests…")),
    )
    ensure_reference_data(session)
    session.flush()
    summary.revenue_rows = demo_revenue.write_revenue(
        Writer(connection, Revenue.__table__, demo_revenue.REVENUE_COLUMNS),
        random.Random(f"{seed}/revenue"),
        rows.customers,
        today,
        volumes,
        _stepper(progress, 0.85, 0.95, _("Writing the revenue…")),
    )


def _stepper(progress: Progress, low: float, high: float, message: str) -> Callable[[float], None]:
    """A phase's ``step(fraction)``: progress between ``low`` and ``high``, and the check
    for cancelling."""

    def step(fraction: float) -> None:
        check(progress, low + (high - low) * min(1.0, fraction), message)

    step(0.0)
    return step


def _refuse_unless_empty(session: Session) -> None:
    counts = {
        model: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Customer, User, Branch)
    }
    if any(counts.values()):
        raise ServiceError(
            _(
                "This database already holds data ({customers} customer files, {users} users). "
                "Demonstration data is only built into a new, empty database, so that it never "
                "mixes with real files; choose another database file."
            ).format(customers=counts[Customer], users=counts[User])
        )


# ------------------------------------------------------------------ helpers


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _utc(day: date, rng: random.Random, first_hour: int = 8, last_hour: int = 18) -> datetime:
    """A moment of a Fuzhou working day, as an aware UTC datetime."""
    local = datetime(
        day.year,
        day.month,
        day.day,
        rng.randint(first_hour, last_hour - 1),
        rng.randint(0, 59),
        rng.randint(0, 59),
        tzinfo=LOCAL,
    )
    return local.astimezone(UTC)


_DEMO_HASHER = PasswordHasher(time_cost=1, memory_cost=2048, parallelism=1)


def _tracked(rng: random.Random, at: datetime, by: str | None) -> dict[str, Any]:
    return {"id": _uuid(rng), "created_at": at, "updated_at": at, "updated_by": by, "version": 1}


def _person(rng: random.Random) -> str:
    surname = rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM)[0]
    given = rng.choice(words.GIVEN_CHARS)
    if rng.random() < 0.7:
        given += rng.choice(words.GIVEN_CHARS)
    return surname + given


_SURNAMES = [s for s, _w in words.SURNAMES]
_SURNAME_CUM: list[float] = []
for _s, _w in words.SURNAMES:
    _SURNAME_CUM.append((_SURNAME_CUM[-1] if _SURNAME_CUM else 0) + _w)


def _cn_number(value: int) -> str:
    """1 … 99 in Chinese numerals (第十一中学)."""
    tens, ones = divmod(value, 10)
    text = ""
    if tens:
        text = ("" if tens == 1 else words.CN_DIGITS[tens]) + "十"
    if ones:
        text += words.CN_DIGITS[ones]
    return text


@functools.lru_cache(maxsize=256)
def _cumulative(table: tuple[tuple[Any, float], ...]) -> tuple[tuple[Any, ...], list[float]]:
    return tuple(v for v, _w in table), list(itertools.accumulate(w for _v, w in table))


def _weighted(rng: random.Random, table: tuple[tuple[Any, float], ...]) -> Any:
    """One value of ``((value, weight), ...)`` (a zero weight is never chosen)."""
    values, cumulative = _cumulative(table)
    return values[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


# ------------------------------------------------------------------ organisation


@dataclass
class _Manager:
    id: str
    login: str
    branch: _Branch


@dataclass
class _Branch:
    id: str
    spec: words.SubBranch
    supervisor_id: str = ""
    managers: list[_Manager] = field(default_factory=list)


@dataclass
class _Org:
    branch_rows: list[dict[str, Any]]
    user_rows: list[dict[str, Any]]
    branches: list[_Branch]
    managers: list[_Manager]
    admin_actor: Actor
    created_at: datetime

    def rows(self) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
        # parents first: the city center, the counties, the sub-branches
        yield Branch.__table__, self.branch_rows
        yield User.__table__, self.user_rows


def _organisation(rng: random.Random, customers: int, today: date, summary: DemoSummary) -> _Org:
    founded = _utc(today.replace(day=1) - timedelta(days=5 * 365), rng)
    branch_rows: list[dict[str, Any]] = []

    def branch(name: str, level: str, parent: str | None, code: str) -> str:
        row = {
            **_tracked(rng, founded, None),
            "name": name,
            "level": level,
            "parent_id": parent,
            "code": code,
        }
        branch_rows.append(row)
        return row["id"]

    center = branch(words.CITY_CENTER, "city", None, words.CITY_DIVISION)
    counties = {name: branch(name, "county", center, division) for name, division in words.COUNTIES}
    branches = []
    for index, spec in enumerate(words.SUB_BRANCHES, start=1):
        parent = counties[spec.county] if spec.county else center
        branches.append(
            _Branch(branch(spec.name, "sub", parent, f"{spec.division}{index:02d}"), spec)
        )

    user_rows: list[dict[str, Any]] = []
    used_names: set[str] = set()
    # every demo user his own Argon2 salt, at a light cost (the password is printed in the
    # README anyway); the first sign-in hashes it again at the full cost (auth.sign_in)

    def user(login: str, role: str, branch_id: str, display_name: str = "") -> str:
        while not display_name or display_name in used_names:
            display_name = _person(rng)
        used_names.add(display_name)
        row = {
            **_tracked(rng, founded, None),
            "login": login,
            "display_name": display_name,
            "role": role,
            "branch_id": branch_id,
            "phone": _mobile(rng),
            "password_hash": _DEMO_HASHER.hash(DEMO_PASSWORD),
            "active": True,
            "failed_logins": 0,
            "locked_until": None,
            "last_login_at": None,
        }
        row["row_mac"] = user_mac(row)  # rows written past the ORM: sealed here
        user_rows.append(row)
        return row["id"]

    admin_id = user("admin", "admin", center, "系统管理员")
    for b in branches:
        b.supervisor_id = user(f"sup_{b.spec.key}", "supervisor", b.id)

    # about one manager per 250 customers, at least one per sub-branch, by branch weight
    count = max(len(branches), round(customers / CUSTOMERS_PER_MANAGER))
    total_weight = sum(b.spec.weight for b in branches)
    shares = [1 + (count - len(branches)) * b.spec.weight / total_weight for b in branches]
    per_branch = [int(s) for s in shares]
    for index in sorted(
        range(len(branches)), key=lambda i: shares[i] - per_branch[i], reverse=True
    )[: count - sum(per_branch)]:
        per_branch[index] += 1
    width = max(3, len(str(count)))
    managers: list[_Manager] = []
    for b, k in zip(branches, per_branch, strict=True):
        for _i in range(k):
            login = f"mgr{len(managers) + 1:0{width}d}"
            m = _Manager(user(login, "manager", b.id), login, b)
            b.managers.append(m)
            managers.append(m)

    summary.city_centers = 1
    summary.counties = len(counties)
    summary.sub_branches = len(branches)
    summary.admin_login = "admin"
    summary.supervisor_logins = [f"sup_{b.spec.key}" for b in branches]
    summary.manager_logins = [m.login for m in managers]
    admin = Actor(admin_id, "admin", "系统管理员", "admin", center, words.CITY_CENTER)
    return _Org(branch_rows, user_rows, branches, managers, admin, founded)


def _mobile(rng: random.Random) -> str:
    return rng.choice(words.MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def _landline(rng: random.Random) -> str:
    return f"0591-{rng.choice('8826')}{rng.randrange(10_000_000):07d}"


# ------------------------------------------------------------------ names and codes


@dataclass(frozen=True)
class _Identity:
    name: str
    nature: str
    industry: str
    code_prefix: str  # "" for none (individuals)
    division: str


class _Names:
    """Unique customer names (by ``normalise_name``) and credit codes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.keys: set[str] = set()
        self.cores: set[str] = set()
        self.codes: set[str] = set()
        self.pools: dict[tuple[str, str], list[_Identity]] = {}

    # -- uniqueness

    def take(self, identity: _Identity) -> bool:
        key = normalise_name(identity.name)
        if not key or key in self.keys:
            return False
        self.keys.add(key)
        return True

    def credit_code(self, prefix: str, division: str) -> str:
        rng = self.rng
        while True:
            if prefix == "91" and rng.random() < 0.7:
                # newer registrations: MA + Fujian's series
                body = "MA3" + rng.choice("1234") + "".join(rng.choices(ALPHABET[:-1], k=4))
            else:
                head = {"11": "00", "12": "48", "51": "50"}.get(prefix, "")
                body = head + "".join(rng.choices("0123456789", k=8 - len(head)))
            code = make_credit_code(prefix + division + body)
            if code not in self.codes:
                self.codes.add(code)
                return code

    # -- enterprises: practically unlimited

    def enterprise(
        self,
        b: words.SubBranch,
        industry: str,
        big: bool,
        trade_words: tuple[str, ...] | None = None,
    ) -> _Identity:
        rng = self.rng
        trades = trade_words or words.TRADE_WORDS[industry]
        for attempt in range(1000):
            if attempt < 3 and rng.random() < 0.5:
                brand = rng.choice(words.BRAND_WORDS)
            else:
                brand = rng.choice(words.BRAND_CHARS) + rng.choice(words.BRAND_CHARS)
                if brand[0] == brand[1]:
                    continue
            trade = rng.choice(trades)
            core = brand + trade
            if core in self.cores:
                continue
            county = b.district if b.district.endswith("县") else ""
            prefix, division = _weighted(
                rng,
                (
                    (("福州", words.CITY_DIVISION), 40),
                    (("福州市", words.CITY_DIVISION), 20),
                    (("福建", "350000"), 15 if big else 5),
                    (("福建省", "350000"), 5 if big else 1),
                    ((f"福州市{b.district}", b.division), 15),
                    ((county, b.division), 20 if county else 0),
                ),
            )
            suffix = _weighted(
                rng,
                (
                    ("有限公司", 70),
                    ("有限责任公司", 10),
                    ("股份有限公司", 12 if big else 4),
                    ("集团有限公司", 6 if big else 0),
                ),
            )
            identity = _Identity(
                prefix + core + suffix,
                "enterprise",
                industry,
                "91",
                division if rng.random() < 0.6 else b.division,
            )
            if self.take(identity):
                self.cores.add(core)
                return identity
        raise RuntimeError("no unique enterprise name left")  # 1000 misses: not reachable

    def individual(self, b: words.SubBranch) -> _Identity:
        rng = self.rng
        while True:
            what = rng.choice(
                (
                    "海产品",
                    "茶叶",
                    "橄榄",
                    "茉莉花茶",
                    "农产品",
                    "服装",
                    "土特产",
                    "水果",
                    "日用品",
                    "鞋帽",
                )
            )
            shop = rng.choice(("网店", "电商", "经营部", "商行"))
            name = f"{_person(rng)}（{rng.choice(b.towns)}{what}{shop}）"
            identity = _Identity(
                name,
                "individual",
                "ecommerce" if shop == "网店" or shop == "电商" else "retail",
                "",
                b.division,
            )
            if self.take(identity):
                return identity

    # -- institutions: finite pools per branch, drawn without replacement

    def institution(self, b: words.SubBranch, kind: str) -> _Identity | None:
        pool = self.pools.get((b.key, kind))
        if pool is None:
            pool = self.pools[(b.key, kind)] = _pool(b, kind)
            self.rng.shuffle(pool)
        while pool:
            identity = pool.pop()
            if self.take(identity):
                return identity
        return None


def _pool(b: words.SubBranch, kind: str) -> list[_Identity]:
    """Every institution of ``kind`` that a customer of sub-branch ``b`` may be."""
    county = b.district.endswith("县")
    short = b.district[:-1]  # 鼓楼, 闽侯
    area_name = b.district if county else f"福州市{b.district}"
    items: list[tuple[str, str, str, str]] = []  # name, nature, industry, prefix
    if kind == "organ":
        if b.seat:
            items += [
                (area_name + agency, "government", "government", "11") for agency in words.AGENCIES
            ]
            items.append(
                (
                    (f"{b.district}公安局" if county else f"福州市公安局{short}分局"),
                    "government",
                    "government",
                    "11",
                )
            )
            items.append((f"国家税务总局{area_name}税务局", "government", "government", "11"))
            if b.key == "gulou":
                items += [(name, "government", "government", "11") for name in words.CITY_ORGANS]
        police = f"{b.district}公安局" if county else f"福州市公安局{short}分局"
        for town in b.towns:
            office = (
                f"{area_name}{town}办事处"
                if town.endswith("街道")
                else f"{area_name}{town}人民政府"
            )
            items.append((office, "government", "government", "11"))
            station = town.removesuffix("街道").removesuffix("镇").removesuffix("乡")
            items.append((f"{police}{station}派出所", "government", "government", "11"))
    elif kind == "media":
        if not county and b.seat:
            taken = words.MEDIA_AND_ASSOCIATIONS[_branch_index(b.key) :: 5]
            items += [
                (name, "government", "other", "51" if name.endswith("会") else "12")
                for name in taken
            ]
    elif kind == "school":
        if b.key == "shangjie":
            items += [(name, "government", "education", "12") for name in words.UNIVERSITIES]
        if county:
            if b.seat:
                items += [
                    (f"{b.district}第{_cn_number(i)}中学", "government", "education", "12")
                    for i in range(1, 9)
                ]
            items += [
                (
                    f"{b.district}{town.removesuffix('街道')}中心小学",
                    "government",
                    "education",
                    "12",
                )
                for town in b.towns
            ]
            items += [
                (f"{b.district}{town.removesuffix('街道')}中学", "government", "education", "12")
                for town in b.towns
            ]
        else:
            offset = 12 * _branch_index(b.key)
            items += [
                (f"福州第{_cn_number(i)}中学", "government", "education", "12")
                for i in range(offset + 1, offset + 13)
            ]
            items += [
                (f"{area_name}{place}小学", "government", "education", "12") for place in b.places
            ]
            items += [
                (f"{area_name}{place}幼儿园", "government", "education", "12") for place in b.places
            ]
            items.append((f"{area_name}实验小学", "government", "education", "12"))
    elif kind == "hospital":
        items += [(name, "government", "medical", "12") for name in words.HOSPITALS.get(b.key, ())]
        for town in b.towns:
            if town.endswith("街道"):
                items.append((f"{area_name}{town}社区卫生服务中心", "government", "medical", "12"))
            else:
                items.append((f"{area_name}{town}卫生院", "government", "medical", "12"))
    elif kind == "bank":
        where = b.district[:-1] if county else "福州"
        banks = words.BANKS + ((words.RURAL_BANK,) * 3 if b.area == "rural" else ())
        items += [
            (f"{bank}{where}{place}支行", "enterprise", "finance", "91")
            for bank in set(banks)
            for place in b.places
        ]
        if b.seat:
            items += [
                (f"{insurer}{area_name}支公司", "enterprise", "finance", "91")
                for insurer in words.INSURERS
            ]
        if b.area == "city":
            items += [
                (f"{firm}福州{road}证券营业部", "enterprise", "finance", "91")
                for firm in words.SECURITIES
                for road in b.roads[:4]
                if road.endswith("路")
            ]
    return [
        _Identity(name, nature, industry, prefix, b.division)
        for name, nature, industry, prefix in sorted(set(items))
    ]


def _branch_index(key: str) -> int:
    """A stable small number per sub-branch (str hash varies between runs)."""
    return [b.key for b in words.SUB_BRANCHES].index(key)


# ------------------------------------------------------------------ customers


_KEY_INDUSTRIES = (
    ("retail", 20),
    ("manufacturing", 15),
    ("ecommerce", 15),
    ("logistics", 10),
    ("real_estate", 7),
    ("finance", 8),
    ("education", 6),
    ("medical", 6),
    ("government", 2),
    ("other", 11),
)
_POTENTIAL_INDUSTRIES = (
    ("retail", 25),
    ("manufacturing", 15),
    ("ecommerce", 30),
    ("logistics", 5),
    ("real_estate", 5),
    ("education", 5),
    ("medical", 5),
    ("other", 10),
)
_TIERS = {
    "key": (("diamond", 1.5), ("platinum", 5), ("gold", 13), ("vip", 25), ("ordinary", 55.5)),
    "important": (("diamond", 0.5), ("platinum", 2), ("gold", 6), ("vip", 15), ("ordinary", 76.5)),
    "potential": (("ordinary", 1),),
}
_LINE_WEIGHTS = {
    "letters": 5,
    "express": 8,
    "newspapers": 3.5,
    "philately": 1.5,
    "finance": 1,
    "agency": 2,
    "ecommerce": 2,
}
_EXPRESS_WEIGHTS = (
    ("domestic", 10),
    ("same_city", 5),
    ("international", 2),
    ("ceremonial", 1),
    ("integrated", 2),
    ("freight", 2),
    ("forwarding", 1),
)
_OPTIONAL_FIELDS = (
    "business_scope",
    "cooperation_start",
    "geo_scope",
    "settlement",
    "contract_no",
    "pickup_times",
    "credit_rating",
    "address",
    "industry",
    "product_lines",
    "contacts",
    "key_person",
)


@dataclass
class _CustomerRows:
    customers: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    search: list[dict[str, Any]] = field(default_factory=list)

    def tables(self) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
        yield Customer.__table__, self.customers
        yield Contact.__table__, self.contacts
        yield CustomerSearch.__table__, self.search


def _customers(
    rng: random.Random,
    org: _Org,
    count: int,
    today: date,
    summary: DemoSummary,
    progress: Progress,
    workers: int,
) -> _CustomerRows:
    names = _Names(rng)
    out = _CustomerRows()
    weights = [m.branch.spec.weight / len(m.branch.managers) for m in org.managers]
    owners = rng.choices(org.managers, weights=weights, k=count) if count else []
    datas: list[CustomerData] = []
    for seq, manager in enumerate(owners, start=1):
        if seq % CHUNK == 1:
            check(
                progress,
                0.05 + 0.25 * seq / count,
                _("Generating customer files ({done} of {total})…").format(
                    done=f"{seq - 1:,}", total=f"{count:,}"
                ),
            )
        data, row, contact_rows = _customer(rng, names, manager, seq, today, summary)
        datas.append(data)
        out.customers.append(row)
        out.contacts.extend(contact_rows)
    derived = _derive_all(datas, workers, progress, 0.3, 0.5)
    for row, (columns, text) in zip(out.customers, derived, strict=True):
        row.update(columns)
        out.search.append({"customer_id": row["id"], "text": text})
        summary.incomplete += row["completeness"] < 100
    summary.customers = count
    summary.contacts = len(out.contacts)
    return out


def _customer(
    rng: random.Random,
    names: _Names,
    manager: _Manager,
    seq: int,
    today: date,
    summary: DemoSummary,
) -> tuple[CustomerData, dict[str, Any], list[dict[str, Any]]]:
    b = manager.branch.spec
    kind = _weighted(rng, (("key", 70), ("important", 15), ("potential", 15)))
    identity = _identity(rng, names, b, kind)
    tier = _weighted(rng, _TIERS[kind])
    big = tier in ("diamond", "platinum", "gold")
    setattr(summary, f"{kind}_customers", getattr(summary, f"{kind}_customers") + 1)

    cooperation = today - timedelta(days=rng.randint(60, 15 * 365))
    if kind == "potential":
        cooperation = today - timedelta(days=rng.randint(30, 2 * 365))
    lines = _product_lines(rng, identity, kind)
    express = []
    if "express" in lines:
        express = sorted(
            {_weighted(rng, _EXPRESS_WEIGHTS) for _i in range(rng.randint(1, 3))},
            key=list(vocab.EXPRESS_KINDS).index,
        )
    contract_start = max(cooperation, today - timedelta(days=rng.randint(30, 3 * 365)))
    contract_end = contract_start + timedelta(days=365 * rng.randint(1, 3) - 1)
    rating = _weighted(rng, (("AAA", 20), ("AA", 35), ("A", 30), ("B", 12), ("C", 3)))
    arrears = Decimal("0.00")
    if rating in ("B", "C"):
        arrears = Decimal(rng.randint(200, 80_000)) + Decimal(rng.randint(0, 99)) / 100
    data = CustomerData(
        name=identity.name,
        credit_code=(
            names.credit_code(identity.code_prefix, identity.division)
            if identity.code_prefix
            else ""
        ),
        kind=kind,
        nature=identity.nature,
        industry=identity.industry,
        address=_address(rng, b),
        area=b.area,
        branch_id=manager.branch.id,
        manager_id=manager.id,
        business_scope=rng.choice(words.BUSINESS_SCOPES[identity.industry]),
        cooperation_start=cooperation,
        product_lines=lines,
        express_kinds=express,
        geo_scope="province" if big and rng.random() < 0.6 or rng.random() < 0.15 else "regional",
        settlement="account" if kind != "potential" and rng.random() < 0.85 else "cash",
        contract_no=f"FZYZ-DKH-{contract_start.year}-{seq:06d}",
        contract_start=contract_start,
        contract_end=contract_end,
        tariff_discount=rng.choice(words.TARIFF_DISCOUNTS) if express else "",
        pickup_times=rng.choice(words.PICKUP_TIMES),
        special_needs=rng.choice(words.SPECIAL_NEEDS),
        credit_rating=rating,
        payment_record=rng.choice(words.PAYMENT_RECORDS),
        arrears=arrears,
        tier=tier,
        visit_class_override=rng.randint(1, 3) if rng.random() < 0.02 else None,
        notes=(
            f"目前主要使用{rng.choice(words.COMPETITORS)}，可重点开发"
            if kind == "potential"
            else ""
        ),
    )
    if kind == "potential" and rng.random() < 0.5:
        data.contract_no, data.contract_start, data.contract_end = "", None, None
        data.settlement = "cash"
    contacts = _contacts(rng, today, rng.choice((1, 2, 2, 3, 3)))
    # with the potential customers that have no contract yet, about a fifth are incomplete
    if rng.random() < 0.14:
        _make_incomplete(rng, data, contacts)
    data.contacts = contacts

    created = _utc(max(cooperation, today - timedelta(days=4 * 365)), rng)
    updated = _utc(min(today, created.date() + timedelta(days=rng.randint(0, 400))), rng)
    updated = max(updated, created)
    row = {**_tracked(rng, created, manager.id), "updated_at": updated}
    row.update({name: getattr(data, name) for name in _CUSTOMER_COLUMNS})
    row["credit_code"] = data.credit_code or None
    row["registered_on"] = created.astimezone(LOCAL).date()  # on file since it was made
    row["tier_confirmed_by"] = manager.branch.supervisor_id if tier != "ordinary" else None
    row["tier_confirmed_at"] = (
        _utc(date(today.year, 1, 1) + timedelta(days=rng.randint(5, 60)), rng)
        if tier != "ordinary"
        else None
    )
    if row["tier_confirmed_at"] is not None and row["tier_confirmed_at"].date() > today:
        row["tier_confirmed_at"] = updated
    archived = rng.random() < 0.02
    row["archived"] = archived
    row["archived_at"] = updated if archived else None
    summary.archived += archived
    contact_rows = []
    for index, contact in enumerate(contacts):
        contact_rows.append(
            {
                **_tracked(rng, created + timedelta(seconds=index), manager.id),
                "customer_id": row["id"],
                **{name: getattr(contact, name) for name in _CONTACT_COLUMNS},
            }
        )
    return data, row, contact_rows


def _identity(rng: random.Random, names: _Names, b: words.SubBranch, kind: str) -> _Identity:
    if kind == "potential":
        if rng.random() < 0.15:
            return names.individual(b)
        return names.enterprise(b, _weighted(rng, _POTENTIAL_INDUSTRIES), False)
    if kind == "important":
        order = [_weighted(rng, (("organ", 60), ("school", 15), ("hospital", 10), ("media", 15)))]
        order += ["organ", "media", "school", "hospital"]
        for pool in order:
            found = names.institution(b, pool)
            if found is not None:
                return found
        # the institutions of the branch are used up: media companies are important too
        return names.enterprise(b, "other", False, words.MEDIA_WORDS)
    industry = _weighted(rng, _KEY_INDUSTRIES)
    pool = {
        "finance": "bank",
        "education": "school",
        "medical": "hospital",
        "government": "organ",
    }.get(industry)
    if pool and rng.random() < {"bank": 0.6, "school": 0.4, "hospital": 0.3, "organ": 1}[pool]:
        found = names.institution(b, pool)
        if found is not None:
            return found
    return names.enterprise(b, industry, rng.random() < 0.2)


def _address(rng: random.Random, b: words.SubBranch) -> str:
    number = f"{rng.randint(1, 399)}号"
    if b.area == "rural":
        return f"福州市{b.district}{rng.choice(b.towns)}{rng.choice(b.roads)}村{number}"
    road = rng.choice(b.roads)
    place = road if road.startswith(b.district) else b.district + road
    extra = ""
    style = _weighted(rng, (("", 50), ("floor", 20), ("room", 20), ("building", 10)))
    if style == "floor":
        extra = f"{rng.randint(1, 28)}层"
    elif style == "room":
        extra = f"{rng.choice('ABCD')}座{rng.randint(1, 30)}{rng.randint(1, 20):02d}室"
    elif style == "building":
        extra = f"{rng.randint(1, 12)}号楼"
    return f"福州市{place}{number}{extra}"


def _product_lines(rng: random.Random, identity: _Identity, kind: str) -> list[str]:
    weights = dict(_LINE_WEIGHTS)
    if identity.industry == "finance":
        weights["finance"] = 8
    if identity.industry in ("ecommerce", "logistics"):
        weights["express"], weights["ecommerce"] = 20, 6
    if identity.nature == "government":
        weights["letters"], weights["newspapers"] = 12, 8
    k = 1 if kind == "potential" else _weighted(rng, ((1, 25), (2, 35), (3, 25), (4, 15)))
    # weighted sampling without replacement (Efraimidis–Spirakis)
    ranked = sorted(weights, key=lambda code: rng.random() ** (1 / weights[code]), reverse=True)
    chosen = set(ranked[:k])
    return [code for code in vocab.PRODUCT_LINES if code in chosen]


def _contacts(rng: random.Random, today: date, count: int) -> list[ContactData]:
    contacts = []
    for index in range(count):
        if index == 0:
            role = "key_person" if rng.random() < 0.85 else "leader"
        else:
            role = _weighted(rng, (("contact", 60), ("leader", 25), ("key_person", 15)))
        mobile = _mobile(rng) if rng.random() < 0.9 else ""
        phone = _landline(rng) if not mobile or rng.random() < 0.45 else ""
        birthday = None
        if rng.random() < 0.7:
            birthday = today - timedelta(days=rng.randint(25 * 365, 60 * 365))
        email = ""
        if rng.random() < 0.35:
            email = (
                f"{rng.randint(10_000, 2_999_999_999)}@qq.com"
                if rng.random() < 0.6
                else f"fz{rng.randint(100, 99_999)}@{rng.choice(('163.com', '126.com'))}"
            )
        note = rng.choice(words.CONTACT_NOTES)
        if rng.random() < 0.5:
            note = rng.choice(words.TITLES) + (f"，{note}" if note else "")
        contacts.append(
            ContactData(
                name=_person(rng),
                role=role,
                phone=phone,
                mobile=mobile,
                email=email,
                birthday=birthday,
                notes=note,
            )
        )
    return contacts


def _make_incomplete(rng: random.Random, data: CustomerData, contacts: list[ContactData]) -> None:
    """Leave out some fields that validation allows empty (incomplete is not invalid)."""
    for name in rng.sample(_OPTIONAL_FIELDS, rng.randint(1, 4)):
        if name == "cooperation_start":
            data.cooperation_start = None
        elif name == "contract_no":
            data.contract_no, data.contract_start, data.contract_end = "", None, None
        elif name == "product_lines":
            data.product_lines, data.express_kinds, data.tariff_discount = [], [], ""
        elif name == "contacts":
            contacts.clear()
        elif name == "key_person":
            for contact in contacts:
                contact.role = "contact"
        else:
            setattr(data, name, "")


# ------------------------------------------------------------------ derived columns


def _derive(chunk: list[CustomerData]) -> list[tuple[dict[str, Any], str]]:
    """The computed columns and the search row of each file."""
    return [(derived_columns(data), search_row_text(data)) for data in chunk]


# the files, as a forked worker inherits them: only the bounds of a chunk travel then
_FORKED: list[CustomerData] = []


def _derive_forked(start: int, end: int) -> list[tuple[dict[str, Any], str]]:
    return _derive(_FORKED[start:end])


def _worker_count(customers: int, workers: int | None) -> int:
    if workers is not None:
        return max(1, workers)
    if customers < PARALLEL_FROM or getattr(sys, "frozen", False):
        # a frozen application would start itself again in each worker
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _derive_all(
    datas: list[CustomerData], workers: int, progress: Progress, low: float, high: float
) -> list[tuple[dict[str, Any], str]]:
    """``_derive`` of every file, in chunks, here and in ``workers - 1`` worker processes.

    The workers take chunks from the front; this process computes from the back until it
    meets a chunk a worker has started (a pending future can still be cancelled).  Any
    failure of the workers falls back to computing here: the same result, only slower.
    """
    bounds = [(start, min(start + CHUNK, len(datas))) for start in range(0, len(datas), CHUNK)]
    results: list[list[tuple[dict[str, Any], str]] | None] = [None] * len(bounds)
    message = _("Computing pinyin and search keys…")
    done = 0

    def local(index: int) -> None:
        nonlocal done
        check(progress, low + (high - low) * done / max(1, len(bounds)), message)
        start, end = bounds[index]
        results[index] = _derive(datas[start:end])
        done += 1

    global _FORKED
    frozen = False
    executor: ProcessPoolExecutor | None = None
    futures: list[Future[list[tuple[dict[str, Any], str]]]] = []
    try:
        if workers > 1 and len(bounds) > 1:
            # fork is cheap and safe while this process runs one thread (the command line);
            # from a thread of the window, start fresh interpreters instead
            method = (
                "fork"
                if sys.platform.startswith("linux") and threading.active_count() == 1
                else "spawn"
            )
            try:
                executor = ProcessPoolExecutor(
                    workers - 1, mp_context=multiprocessing.get_context(method)
                )
                if method == "fork":
                    _FORKED = datas
                    # keep the worker's garbage collector off the inherited objects, or it
                    # touches (and so copies) every page of them
                    gc.freeze()
                    frozen = True
                    futures = [executor.submit(_derive_forked, start, end) for start, end in bounds]
                else:
                    futures = [executor.submit(_derive, datas[start:end]) for start, end in bounds]
            except Exception:  # noqa: BLE001 - no worker processes here: compute locally
                futures = []
        if futures:
            for index in reversed(range(len(bounds))):
                if not futures[index].cancel():
                    break
                local(index)
        for index in range(len(bounds)):
            if results[index] is not None:
                continue
            if futures:
                check(progress, low + (high - low) * done / max(1, len(bounds)), message)
                try:
                    results[index] = futures[index].result()
                    done += 1
                    continue
                except Exception:  # noqa: BLE001 - a broken worker: compute it here
                    pass
            local(index)
    finally:
        _FORKED = []
        if frozen:
            gc.unfreeze()
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
    return [pair for chunk in results if chunk is not None for pair in chunk]
