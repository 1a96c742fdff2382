"""What the window shows first, read with the standard library's sqlite3 alone.

Importing SQLAlchemy, the models and the services takes 0.3-0.4 s on an office PC, about
three times a bare Qt window's whole start.  The window's first screen needs little: who is
signed in, and the first page of the customer list as it opens (customers in use, by name).
Those reads are here, in plain SQL on a plain connection (``Database.connect_sqlite``), so
the window paints them and imports the services after that paint.

Each read gives what its service gives (``users.actor_for``, ``users.needs_first_user``,
``customers.first_page``/``list_keys``/``fetch_rows_by_key`` for the default query), and
tests/services/test_first_screen.py holds them to it for every role.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from kac_desktop.db.raw_sql import read_time
from kac_desktop.i18n import _
from kac_desktop.progress import Cancelled
from kac_desktop.rules.defaults import DEFAULTS

from .context import Actor
from .errors import NotFound, ServiceError
from .list_types import CustomerRow

PROGRESS_STEPS = 20_000  # SQLite steps between two looks at ``cancelled``

# ---------------------------------------------------------------- who is signed in

_ACTOR_SQL = (
    "SELECT users.id, users.login, users.display_name, users.role, users.branch_id, "
    "branches.name, users.active FROM users LEFT OUTER JOIN branches "
    "ON users.branch_id = branches.id"
)


def actor_for(connection: sqlite3.Connection, login: str | None = None) -> Actor:
    """``users.actor_for``: the actor for ``login`` without a password (trusted code
    only); without a login, the first administrator."""
    if login:
        row = connection.execute(_ACTOR_SQL + " WHERE users.login = ? LIMIT 1", (login,)).fetchone()
    else:
        row = connection.execute(
            _ACTOR_SQL + " ORDER BY users.role != 'admin', users.created_at LIMIT 1"
        ).fetchone()
    if row is None:
        raise NotFound(_("There is no user with the login name {login}.").format(login=login or ""))
    user_id, user_login, name, role, branch_id, branch_name, active = row
    if not active:
        raise ServiceError(_("The account {login} is disabled.").format(login=user_login))
    return Actor(user_id, user_login, name, role, branch_id, branch_name or "")


def needs_first_user(connection: sqlite3.Connection) -> bool:
    """``users.needs_first_user``: no user yet (the first start)."""
    return connection.execute("SELECT 1 FROM users LIMIT 1").fetchone() is None


# ---------------------------------------------------------------- the customer list


def class_mapping(connection: sqlite3.Connection) -> dict[str, int]:
    """The visit class of each tier (the setting ``visit_class.by_tier``)."""
    row = connection.execute(
        "SELECT value FROM settings WHERE key = 'visit_class.by_tier'"
    ).fetchone()
    stored = None
    if row is not None and row[0] is not None:
        import json  # a changed setting only: json is 2 ms of the start otherwise

        stored = json.loads(row[0])
    mapping = DEFAULTS.get("visit_class.by_tier") if stored is None else stored
    return {str(k): int(v) for k, v in mapping.items()} if isinstance(mapping, dict) else {}


def _scope(actor: Actor) -> tuple[str, tuple]:
    """customers.scope_customers: managers their own, supervisors their branch."""
    if actor.role == "manager":
        return " AND customers.manager_id = ?", (actor.user_id,)
    if actor.role == "supervisor":
        return " AND customers.branch_id = ?", (actor.branch_id,)
    return "", ()


def default_keys(
    connection: sqlite3.Connection,
    actor: Actor,
    limit: int | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[int]:
    """The keys (rowids) of the list as it opens, in its order (the index
    ix_customers_list_name): the first ``limit`` of them, or all."""
    where, params = _scope(actor)
    sql = (
        "SELECT customers.rowid FROM customers WHERE customers.archived = 0"
        + where
        + " ORDER BY customers.name_sort, customers.id"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    if cancelled is None:
        return [k for (k,) in connection.execute(sql, params)]
    if cancelled():
        raise Cancelled()
    connection.set_progress_handler(lambda: 1 if cancelled() else 0, PROGRESS_STEPS)
    try:
        return [k for (k,) in connection.execute(sql, params)]
    except sqlite3.OperationalError:
        if cancelled():
            raise Cancelled() from None
        raise
    finally:
        connection.set_progress_handler(None, 0)


def rows_by_key(connection: sqlite3.Connection, actor: Actor, keys: list[int]) -> list[CustomerRow]:
    """The list rows of ``keys``, in that order, less any that vanished or are not the
    actor's."""
    if not keys:
        return []
    mapping = class_mapping(connection)
    by_tier = " ".join("WHEN ? THEN ?" for _tier in mapping)
    vclass = (
        f"coalesce(customers.visit_class_override, CASE customers.tier {by_tier} ELSE 3 END)"
        if mapping
        else "coalesce(customers.visit_class_override, 3)"
    )
    where, params = _scope(actor)
    sql = (
        "SELECT customers.id, customers.name, customers.credit_code, customers.kind, "
        f"customers.tier, {vclass}, customers.industry, customers.area, branches.name, "
        "managers.display_name, customers.primary_contact, customers.primary_phone, "
        "customers.completeness, customers.archived, customers.updated_at, customers.rowid "
        "FROM customers JOIN branches ON branches.id = customers.branch_id "
        "JOIN users AS managers ON managers.id = customers.manager_id "
        f"WHERE customers.rowid IN ({','.join('?' * len(keys))})" + where
    )
    bound = [value for pair in mapping.items() for value in pair]
    by_key = {
        row[-1]: CustomerRow(
            row[0], row[1], row[2] or "", *row[3:13], bool(row[13]), read_time(row[14])
        )
        for row in connection.execute(sql, (*bound, *keys, *params))
    }
    return [by_key[k] for k in keys if k in by_key]
