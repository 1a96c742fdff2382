"""Signing in, locking after repeated failures, and changing passwords (docs/DOMAIN.md §7).

Passwords are kept only as Argon2 hashes (argon2-cffi with its default cost, which is slow
on purpose).  Every sign-in, successful or not, leaves an audit record.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from kac_desktop import keystore
from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.models import Branch, User, utcnow
from kac_desktop.models.sealing import row_mac_of
from kac_desktop.rules.passwords import password_problems

from . import audit, integrity
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
    return at.astimezone().strftime("%Y-%m-%d %H:%M")


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
    """
    now = now or utcnow()
    login = (login or "").strip()
    with db.session() as session, session.begin():
        config = settings_service.load(session)
        max_failures = max(1, int(config.get("signin.max_failures", 5)))
        lock_minutes = max(1, int(config.get("signin.lock_minutes", 15)))
        user = session.scalar(select(User).where(User.login == login)) if login else None
        if user is None:
            _verify(_dummy_hash(), password)  # as slow as a real check: no login probing
            _record_failure(
                session,
                None,
                _("Failed sign-in as {login}: unknown login name").format(login=login),
                {"login": login, "reason": "unknown"},
            )
            error: SignInFailed = SignInFailed(_("The login name or the password is wrong."))
        elif not user.active:
            _record_failure(
                session,
                user.id,
                _("Failed sign-in as {login}: account disabled").format(login=login),
                {"login": login, "reason": "disabled"},
            )
            error = AccountDisabled(
                _("The account {login} is disabled. Ask your administrator to enable it.").format(
                    login=login
                )
            )
        elif user.locked_until is not None and user.locked_until > now:
            _record_failure(
                session,
                user.id,
                _("Failed sign-in as {login}: account locked").format(login=login),
                {"login": login, "reason": "locked"},
            )
            error = _locked(login, max_failures, user.locked_until)
        elif not user.password_hash:
            _record_failure(
                session,
                user.id,
                _("Failed sign-in as {login}: no password set").format(login=login),
                {"login": login, "reason": "no_password"},
            )
            error = SignInFailed(
                _(
                    "The account {login} has no password yet. Ask your administrator to set one."
                ).format(login=login)
            )
        elif not _verify(user.password_hash, password):
            user.failed_logins = (user.failed_logins or 0) + 1
            details = {"login": login, "reason": "password", "failures": user.failed_logins}
            if user.failed_logins >= max_failures:
                user.locked_until = now + timedelta(minutes=lock_minutes)
                user.failed_logins = 0
                details["locked_until"] = user.locked_until.isoformat()
                error = _locked(login, max_failures, user.locked_until)
            else:
                left = max_failures - user.failed_logins
                error = SignInFailed(
                    _(
                        "The login name or the password is wrong. {count} more wrong "
                        "attempts lock the account for {minutes} minutes."
                    ).format(count=left, minutes=lock_minutes)
                )
            _record_failure(
                session,
                user.id,
                _("Failed sign-in as {login}: wrong password").format(login=login),
                details,
            )
        elif not keystore.same(user.row_mac, row_mac_of(user)):
            # the account was changed outside the application (a role raised in a SQLite
            # shell): not let in with what the row now says
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
            if hasher.check_needs_rehash(user.password_hash):
                user.password_hash = hasher.hash(password)
            user.failed_logins = 0
            user.locked_until = None
            user.last_login_at = now
            actor = actor_of(session, user)
            audit.record(session, actor, "signin", "user", user.id, _("Signed in"))
            integrity.report_at_sign_in(session, actor)
            return actor
    raise error


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
