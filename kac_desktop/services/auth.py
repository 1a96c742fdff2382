"""Signing in, locking after repeated failures, and changing passwords (docs/DOMAIN.md §7).

Passwords are kept only as Argon2 hashes (argon2-cffi with its default cost, which is slow
on purpose).  Every sign-in, successful or not, leaves an audit record.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from kac_desktop import keystore
from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.models import Branch, User, utcnow
from kac_desktop.models.sealing import USER_FIELDS, row_mac_of, user_mac
from kac_desktop.rules.clock import LOCAL_TZ
from kac_desktop.rules.passwords import password_problems

from . import audit, bookkeeping, integrity
from . import settings as settings_service
from .changes import ChangeSet, Kind
from .context import Actor
from .errors import ServiceError

# Module-level so that the tests can swap in a cheap hasher; production keeps the defaults.
hasher = PasswordHasher()


class SignInFailed(ServiceError):
    """Wrong login name or password (which of the two is not told)."""


class AccountLocked(SignInFailed):
    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until


class AccountDisabled(SignInFailed):
    pass


class PasswordRejected(ServiceError):
    """A new password that breaks the password rule."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def hash_password(password: str) -> str:
    return hasher.hash(password)


def check_new_password(password: str, login: str = "", repeat: str | None = None) -> None:
    """Raise PasswordRejected when ``password`` breaks the rule or differs from ``repeat``."""
    problems = password_problems(password, login)
    if repeat is not None and repeat != password:
        problems.append(_("The two passwords are not the same."))
    if problems:
        raise PasswordRejected(problems)


_dummy: dict[int, str] = {}


def _dummy_hash() -> str:
    key = id(hasher)
    if key not in _dummy:
        _dummy[key] = hasher.hash("not a password of anyone 0")
    return _dummy[key]


def _verify(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def actor_of(session: Session, user: User) -> Actor:
    branch_name = (
        session.scalar(select(Branch.name).where(Branch.id == user.branch_id))
        if user.branch_id
        else None
    )
    return Actor(
        user.id, user.login, user.display_name, user.role, user.branch_id, branch_name or ""
    )


def local_time(at: datetime) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _record_failure(
    session: Session, user_id: str | None, summary: str, details: dict[str, object]
) -> None:
    """The audit record of a failed sign-in (no actor: nobody is signed in)."""
    audit.record(session, None, "signin.failed", "user", user_id, summary, details)


def _locked(login: str, max_failures: int, until: datetime) -> AccountLocked:
    return AccountLocked(
        _(
            "After {count} wrong passwords the account {login} is locked until "
            "{time}. Try again then, or ask your administrator to reset the password."
        ).format(count=max_failures, login=login, time=local_time(until)),
        until,
    )


def sign_in(db: Database, login: str, password: str, *, now: datetime | None = None) -> Actor:
    """The actor for ``login`` when ``password`` is right.

    Raises SignInFailed (wrong login or password), AccountLocked (with the time it unlocks)
    or AccountDisabled.  Failures are committed (counter, lock, audit) before the raise.

    The password is checked outside any write transaction.  A successful sign-in's
    bookkeeping (the login time, the counters' reset, its audit record) is written at once
    when the database is free, else by ``bookkeeping`` as soon as it is: another user's long
    write never keeps anyone from signing in.  The users row is changed by plain updates
    that do not raise its version: several sign-ins of one user at once never conflict.
    """
    now = now or utcnow()
    login = (login or "").strip()
    with db.session() as session:
        config = settings_service.load(session)
        max_failures = max(1, int(config.get("signin.max_failures", 5)))
        lock_minutes = max(1, int(config.get("signin.lock_minutes", 15)))
        user = session.scalar(select(User).where(User.login == login)) if login else None
        if user is not None:
            session.expunge(user)
    if user is None:
        _verify(_dummy_hash(), password)  # as slow as a real check: no login probing
        error: SignInFailed = SignInFailed(_("The login name or the password is wrong."))
        _fail(db, None, login, "unknown", _("Failed sign-in as {login}: unknown login name"))
    elif not user.active:
        error = AccountDisabled(
            _("The account {login} is disabled. Ask your administrator to enable it.").format(
                login=login
            )
        )
        _fail(db, user.id, login, "disabled", _("Failed sign-in as {login}: account disabled"))
    elif user.locked_until is not None and user.locked_until > now:
        error = _locked(login, max_failures, user.locked_until)
        _fail(db, user.id, login, "locked", _("Failed sign-in as {login}: account locked"))
    elif not user.password_hash:
        error = SignInFailed(
            _("The account {login} has no password yet. Ask your administrator to set one.").format(
                login=login
            )
        )
        _fail(db, user.id, login, "no_password", _("Failed sign-in as {login}: no password set"))
    elif not _verify(user.password_hash, password):
        error = _wrong_password(db, user, login, now, max_failures, lock_minutes)
    elif not keystore.same(user.row_mac, row_mac_of(user)):
        # the account was changed outside the application (a role raised in a SQLite
        # shell): not let in with what the row now says
        with db.session() as session, session.begin():
            _record_failure(
                session,
                user.id,
                _("Failed sign-in as {login}: account changed outside the application").format(
                    login=login
                ),
                {"login": login, "reason": "outside_edit"},
            )
            integrity.report_at_sign_in(session, None)
        error = SignInFailed(
            _(
                "The account {login} was changed outside the application and cannot be "
                "used until an administrator checks it."
            ).format(login=login)
        )
    else:
        with db.session() as session:
            actor = actor_of(session, user)
        rehash = hasher.hash(password) if hasher.check_needs_rehash(user.password_hash) else None
        reset = bool(user.failed_logins) or user.locked_until is not None
        bookkeeping.write(db, lambda session: _signed_in(session, actor, now, rehash, reset))
        return actor
    raise error


def _users_row(session: Session, user_id: str, **values) -> None:
    """Change the users row without raising its version (bookkeeping, not an edit: a save
    of the user by an administrator must not conflict with it)."""
    table = cast(Table, User.__table__)
    session.execute(
        table.update().where(table.c.id == user_id).values(updated_at=table.c.updated_at, **values)
    )
    if any(name in USER_FIELDS for name in values):
        # the row's keyed checksum follows what the application itself wrote (a plain
        # update passes the ORM's sealing)
        row = session.execute(
            select(*(table.c[name] for name in USER_FIELDS)).where(table.c.id == user_id)
        ).first()
        if row is not None:
            session.execute(
                table.update()
                .where(table.c.id == user_id)
                .values(updated_at=table.c.updated_at, row_mac=user_mac(dict(row._mapping)))
            )


def _signed_in(
    session: Session, actor: Actor, now: datetime, rehash: str | None, reset: bool
) -> None:
    values: dict[str, object] = {"last_login_at": now}
    if reset:
        values.update(failed_logins=0, locked_until=None)
    if rehash:
        values["password_hash"] = rehash
    _users_row(session, actor.user_id, **values)
    audit.record(session, actor, "signin", "user", actor.user_id, _("Signed in"))
    integrity.report_at_sign_in(session, actor)


def _fail(db: Database, user_id: str | None, login: str, reason: str, summary: str) -> None:
    """The audit record of a failed sign-in (no actor: nobody is signed in), committed
    before the refusal is raised."""
    with db.session() as session, session.begin():
        _record_failure(
            session,
            user_id,
            summary.format(login=login),
            {"login": login, "reason": reason},
        )


def _wrong_password(
    db: Database, user: User, login: str, now: datetime, max_failures: int, lock_minutes: int
) -> SignInFailed:
    """Count a wrong password (in the database, so that sign-ins of several processes at
    once count together) and lock the account at ``max_failures``."""
    table = cast(Table, User.__table__)
    with db.session() as session, session.begin():
        _users_row(session, user.id, failed_logins=func.coalesce(table.c.failed_logins, 0) + 1)
        failures = session.scalar(select(table.c.failed_logins).where(table.c.id == user.id)) or 0
        details: dict[str, object] = {"login": login, "reason": "password", "failures": failures}
        if failures >= max_failures:
            until = now + timedelta(minutes=lock_minutes)
            _users_row(session, user.id, locked_until=until, failed_logins=0)
            details["locked_until"] = until.isoformat()
            error: SignInFailed = _locked(login, max_failures, until)
        else:
            error = SignInFailed(
                _(
                    "The login name or the password is wrong. {count} more wrong "
                    "attempts lock the account for {minutes} minutes."
                ).format(count=max_failures - failures, minutes=lock_minutes)
            )
        _record_failure(
            session,
            user.id,
            _("Failed sign-in as {login}: wrong password").format(login=login),
            details,
        )
    return error


def change_password(db: Database, actor: Actor, old: str, new: str, repeat: str) -> ChangeSet:
    """The user changes his own password; the old one must be right."""
    with db.session() as session, session.begin():
        user = session.get(User, actor.user_id)
        if user is None or not user.active:
            raise ServiceError(_("This account no longer exists or is disabled."))
        if not _verify(user.password_hash, old):
            raise SignInFailed(_("The current password is wrong."))
        if new == old:
            raise PasswordRejected([_("The new password must differ from the current one.")])
        check_new_password(new, user.login, repeat)
        user.password_hash = hash_password(new)
        user.updated_by = actor.user_id
        audit.record(session, actor, "user.password", "user", user.id, _("Password changed"))
    return ChangeSet.of(Kind.USER, (actor.user_id,))
