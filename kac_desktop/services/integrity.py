"""Changes made outside the application to the security tables and to the audit chain.

Every users and settings row carries a keyed checksum (models/sealing.py) that only the
application can compute.  At each sign-in the rows are checked: a row that no longer
matches was changed by someone with the file but without the application (``UPDATE users
SET role='admin'``).  The finding is written to the audit log once (again when it
changes), a user whose own row was changed is not let in, and an administrator is warned
as he signs in (the window and the command line show ``warnings_for``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kac_desktop import keystore
from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.models import AuditRecord, Setting, User
from kac_desktop.models.sealing import row_mac_of

from . import audit
from .context import Actor

ACTION = "security.outside_edit"


@dataclass(frozen=True)
class OutsideEdit:
    table: str  # "users" or "settings"
    key: str  # the user's id or the setting's key
    label: str  # the login or the setting's key, for the message

    def describe(self) -> str:
        if self.table == "users":
            return _("user {login}").format(login=self.label)
        return _("setting {key}").format(key=self.label)


def outside_edits(session: Session) -> list[OutsideEdit]:
    """The security rows whose checksum no longer matches their content."""
    found: list[OutsideEdit] = []
    for user in session.scalars(select(User).order_by(User.login)):
        if not keystore.same(user.row_mac, row_mac_of(user)):
            found.append(OutsideEdit("users", user.id, user.login))
    for setting in session.scalars(select(Setting).order_by(Setting.key)):
        if not keystore.same(setting.row_mac, row_mac_of(setting)):
            found.append(OutsideEdit("settings", setting.key, setting.key))
    return found


def _fingerprint(edits: list[OutsideEdit], problems: list[str]) -> str:
    text = "\n".join([f"{e.table}:{e.key}" for e in edits] + problems)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rows_message(edits: list[OutsideEdit]) -> list[str]:
    """The message about security rows changed outside (none when there are none)."""
    return _message(edits, [])


def _message(edits: list[OutsideEdit], problems: list[str]) -> list[str]:
    lines = []
    if edits:
        lines.append(
            _(
                "These security records were changed outside the application (their "
                "checksum no longer matches): {rows}. Check them on the Users and Settings "
                "pages; saving a record there accepts it."
            ).format(rows=", ".join(e.describe() for e in edits))
        )
    lines.extend(problems)
    return lines


def report_at_sign_in(session: Session, actor: Actor | None) -> list[OutsideEdit]:
    """Check the security rows and the chain's head inside the sign-in's transaction; a new
    finding is written to the audit log.  Returns the rows changed outside."""
    edits = outside_edits(session)
    problems = audit.head_problems(session)
    if not edits and not problems:
        return []
    fingerprint = _fingerprint(edits, problems)
    last = session.scalar(
        select(AuditRecord.details)
        .where(AuditRecord.action == ACTION)
        .order_by(AuditRecord.seq.desc())
        .limit(1)
    )
    if not isinstance(last, dict) or last.get("fingerprint") != fingerprint:
        audit.record(
            session,
            actor,
            ACTION,
            "database",
            None,
            "\n".join(_message(edits, problems)),
            {
                "fingerprint": fingerprint,
                "rows": [{"table": e.table, "key": e.key, "label": e.label} for e in edits],
                "chain": problems,
            },
        )
    return edits


def warnings_for(db: Database, actor: Actor) -> list[str]:
    """What an administrator is told as he signs in (nothing for other roles)."""
    if not actor.is_admin:
        return []
    with db.session() as session:
        edits = outside_edits(session)
        problems = audit.head_problems(session)
    return _message(edits, problems)
