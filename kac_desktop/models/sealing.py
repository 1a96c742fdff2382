"""A keyed checksum on every row of the security tables (users, settings).

Each row carries ``row_mac``: an HMAC-SHA256, under this PC's key (keystore), of the
columns that decide who may do what (login, role, branch, password hash, enabled, the
lock-out counters; a setting's key and value).  The ORM computes it on every insert and
update the application makes; a row changed outside the application (``UPDATE users SET
role='admin'`` in a SQLite shell) no longer matches, which the sign-in detects
(services/integrity.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from kac_desktop.keystore import seal

from .org import User
from .system import Setting

USER_FIELDS = (
    "id",
    "login",
    "role",
    "branch_id",
    "password_hash",
    "active",
    "failed_logins",
    "locked_until",
)
SETTING_FIELDS = ("key", "value")
_DEFAULTS: dict[str, dict[str, Any]] = {
    "users": {"role": "manager", "active": True, "failed_logins": 0},
    "settings": {},
}


def _norm(name: str, value: Any) -> Any:
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if name == "active":
        return bool(value) if value is not None else True
    if name == "failed_logins":
        return int(value or 0)
    return value


def _mac(table: str, fields: tuple[str, ...], row: Mapping[str, Any]) -> str:
    defaults = _DEFAULTS[table]
    return seal(
        table,
        *[_norm(f, row[f] if row.get(f) is not None else defaults.get(f)) for f in fields],
    )


def user_mac(row: Mapping[str, Any]) -> str:
    """The checksum of a users row given as column → value."""
    return _mac("users", USER_FIELDS, row)


def setting_mac(row: Mapping[str, Any]) -> str:
    return _mac("settings", SETTING_FIELDS, row)


def _fill_defaults(target: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    table = target.__table__
    values = {}
    for name in fields:
        value = getattr(target, name, None)
        if value is None:
            column = table.c[name]
            default = column.default
            if default is not None and getattr(default, "is_scalar", False):
                value = default.arg
            elif default is not None and getattr(default, "is_callable", False):
                value = default.arg(None)
            if value is not None:
                setattr(target, name, value)
        values[name] = value
    return values


def row_mac_of(target: Any) -> str:
    """The checksum a mapped User or Setting should carry."""
    if isinstance(target, User):
        return user_mac({f: getattr(target, f, None) for f in USER_FIELDS})
    return setting_mac({f: getattr(target, f, None) for f in SETTING_FIELDS})


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _seal_user(_mapper, _connection, target: User) -> None:
    target.row_mac = user_mac(_fill_defaults(target, USER_FIELDS))


@event.listens_for(Setting, "before_insert")
@event.listens_for(Setting, "before_update")
def _seal_setting(_mapper, _connection, target: Setting) -> None:
    target.row_mac = setting_mac(_fill_defaults(target, SETTING_FIELDS))


def record_digest(
    prev_hash: str,
    seq: int,
    record_id: str,
    at: datetime,
    user: str,
    action: str,
    entity: str,
    entity_id: str | None,
    summary: str,
    details: object,
) -> str:
    """The keyed hash of one audit record, chained to its predecessor's: without this PC's
    key nobody can recompute it after an edit, nor forge a record that fits."""
    return seal(
        "audit",
        prev_hash,
        seq,
        record_id,
        at.astimezone(UTC).isoformat(),
        user,
        action,
        entity,
        entity_id or "",
        summary,
        details,
    )


__all__ = ["record_digest", "row_mac_of", "setting_mac", "user_mac"]
