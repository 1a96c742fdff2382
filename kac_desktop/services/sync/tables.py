"""What travels in a package: the tables, in the order their rows are written (a row's
foreign keys first), which way each goes, a branch's scope in each, and a row as it
travels (JSON values, the columns that stay on their PC left out)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Connection,
    Date,
    Numeric,
    Select,
    Table,
    false,
    or_,
    select,
)

from kac_desktop.models import (
    Branch,
    Contact,
    Customer,
    HolidayEntry,
    HolidayYear,
    MarketingProject,
    ProductLine,
    RequestStatusChange,
    Revenue,
    ServiceRequest,
    Setting,
    TierAssessment,
    User,
    Visit,
)
from kac_desktop.models.base import UTCDateTime

DOWN = "down"  # from the center to the branches only: the center decides them
BOTH = "both"  # a branch's own records, changed on either side


@dataclass(frozen=True)
class Spec:
    name: str
    table: Table
    direction: str
    key: str = "id"  # the column that names a row across PCs
    # the columns that never travel: this PC's own bookkeeping (lock-outs, seals)
    local: tuple[str, ...] = ()
    # a unique key other than the id: a row made on both sides for the same thing
    natural: tuple[str, ...] = ()
    # the rows only grow (new ones are added, none is edited by a person)
    grows: bool = False


def _t(model: Any) -> Table:
    return model.__table__


_USER_LOCAL = (
    "failed_logins",
    "locked_until",
    "last_login_at",
    "row_mac",
    "version",
    "updated_at",
    "updated_by",
)

SPECS: tuple[Spec, ...] = (
    Spec("branches", _t(Branch), DOWN, natural=("name",)),
    Spec("product_lines", _t(ProductLine), DOWN, natural=("code",)),
    Spec("settings", _t(Setting), DOWN, key="key", local=("row_mac",)),
    Spec("holiday_years", _t(HolidayYear), DOWN, natural=("year",)),
    Spec("holiday_entries", _t(HolidayEntry), DOWN, natural=("year_id", "day")),
    Spec("users", _t(User), BOTH, local=_USER_LOCAL, natural=("login",)),
    Spec("customers", _t(Customer), BOTH),
    Spec("contacts", _t(Contact), BOTH),
    Spec("visits", _t(Visit), BOTH, grows=True),
    Spec("service_requests", _t(ServiceRequest), BOTH),
    Spec("request_status_changes", _t(RequestStatusChange), BOTH, grows=True),
    Spec(
        "revenues",
        _t(Revenue),
        BOTH,
        natural=("customer_id", "month", "product_line"),
        grows=True,
    ),
    Spec("tier_assessments", _t(TierAssessment), BOTH, natural=("customer_id", "year")),
    Spec("marketing_projects", _t(MarketingProject), BOTH),
)
BY_NAME = {spec.name: spec for spec in SPECS}
AUDIT = "audit_records"
# the bookkeeping of a row: never a conflict of its own
BOOKKEEPING = ("version", "updated_at", "updated_by", "created_at")


# ---------------------------------------------------------------- values as they travel


def encode_value(column: Any, value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, UTCDateTime) or isinstance(value, datetime):
        return value.isoformat()
    if isinstance(kind, Date) or isinstance(value, date):
        return value.isoformat()
    if isinstance(kind, Numeric) or isinstance(value, Decimal):
        return str(value)
    if isinstance(kind, Boolean):
        return bool(value)
    return value


def decode_value(column: Any, value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, Numeric):
        return Decimal(value)
    if isinstance(kind, Boolean):
        return bool(value)
    if isinstance(kind, JSON):
        return value
    return value


def travelling_columns(spec: Spec) -> list[Any]:
    return [c for c in spec.table.columns if c.name not in spec.local]


def encode_row(spec: Spec, row: Mapping[Any, Any]) -> dict[str, Any]:
    return {c.name: encode_value(c, row[c.name]) for c in travelling_columns(spec)}


def decode_row(spec: Spec, data: Mapping[str, Any]) -> dict[str, Any]:
    columns = {c.name: c for c in travelling_columns(spec)}
    return {
        name: decode_value(columns[name], value) for name, value in data.items() if name in columns
    }


def digest(data: Mapping[str, Any] | None) -> str:
    if data is None:
        return "gone"
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


# ---------------------------------------------------------------- a branch's scope


def branch_family(connection: Connection, branch_id: str) -> set[str]:
    """The branch and every unit below it."""
    parents = dict(connection.execute(select(Branch.id, Branch.parent_id)).all())
    family = {branch_id}
    grew = True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in family and child not in family:
                family.add(child)
                grew = True
    return family


def _customers_of(branches: set[str]) -> Select:
    return select(Customer.id).where(Customer.branch_id.in_(branches))


def scope_condition(spec: Spec, branches: set[str]) -> ColumnElement[bool] | None:
    """Which rows of ``spec`` belong to the branches (None: every row travels)."""
    customers = _customers_of(branches)
    if spec.name in ("branches", "product_lines", "settings", "holiday_years", "holiday_entries"):
        return None
    if spec.name == "users":
        return None  # all of them (the others without their passwords: ``project``)
    if spec.name == "customers":
        return Customer.branch_id.in_(branches)
    if spec.name == "visits":
        return or_(Visit.branch_id.in_(branches), Visit.customer_id.in_(customers))
    if spec.name == "request_status_changes":
        return RequestStatusChange.request_id.in_(
            select(ServiceRequest.id).where(ServiceRequest.customer_id.in_(customers))
        )
    column = spec.table.c.get("customer_id")
    if column is None:
        return false()
    return column.in_(customers)


def project(spec: Spec, data: dict[str, Any], branches: set[str]) -> dict[str, Any]:
    """A row as it goes to a branch PC: the users of other units travel without their
    password hash (they cannot sign in there; their names show on the records)."""
    if spec.name == "users" and data.get("branch_id") not in branches:
        return {**data, "password_hash": None}
    return data


def sent_by_branch(spec: Spec, data: Mapping[str, Any], branches: set[str]) -> bool:
    """Whether a branch PC sends this row of its database: its own unit's people and
    records, never the center's reference data."""
    if spec.direction != BOTH:
        return False
    if spec.name == "users":
        return data.get("branch_id") in branches
    return True


def rows(
    connection: Connection, spec: Spec, condition: ColumnElement[bool] | None
) -> Iterable[Any]:
    stmt = select(*travelling_columns(spec))
    if condition is not None:
        stmt = stmt.where(condition)
    return connection.execute(stmt).mappings()


def rows_by_key(connection: Connection, spec: Spec, keys: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    column = spec.table.c[spec.key]
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for row in connection.execute(
            select(*travelling_columns(spec)).where(column.in_(chunk))
        ).mappings():
            found[str(row[spec.key])] = encode_row(spec, row)
    return found


__all__ = [
    "AUDIT",
    "BOOKKEEPING",
    "BOTH",
    "BY_NAME",
    "DOWN",
    "SPECS",
    "Spec",
    "branch_family",
    "decode_row",
    "digest",
    "encode_row",
    "encode_value",
    "project",
    "rows",
    "rows_by_key",
    "scope_condition",
    "sent_by_branch",
]
