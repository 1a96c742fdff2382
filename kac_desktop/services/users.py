"""Users and branches as the rest of the application sees them, and the first start."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.models import Branch, ProductLine, User, utcnow
from kac_desktop.rules import vocab
from kac_desktop.rules.defaults import PRODUCT_LINE_DEFAULTS

from . import audit, auth
from .context import Actor
from .errors import NotFound, PermissionDenied, ServiceError
from .roles import may_view_users  # noqa: F401 - the service's API


@dataclass(frozen=True)
class UserRow:
    id: str
    login: str
    display_name: str
    role: str
    branch_id: str | None
    branch_name: str
    active: bool


@dataclass(frozen=True)
class BranchRow:
    id: str
    name: str
    level: str
    parent_id: str | None


def ensure_reference_data(session: Session) -> None:
    """Product lines with their default factors (rules/defaults.py), on a database that has none."""
    if session.scalar(select(func.count()).select_from(ProductLine)):
        return
    for order, (code, name, factor, earns, growth) in enumerate(PRODUCT_LINE_DEFAULTS):
        session.add(
            ProductLine(
                code=code,
                name=name,
                factor=factor,
                earns_points=earns,
                growth_rate=growth,
                sort_order=order,
            )
        )


def needs_first_user(db: Database) -> bool:
    with db.session() as session:
        return not session.scalar(select(func.count()).select_from(User))


def create_first_admin(
    db: Database,
    branch_name: str,
    display_name: str,
    login: str,
    password: str,
    repeat: str | None = None,
) -> Actor:
    """The first start: the user's own unit and an administrator account for him, with a
    password that keeps the rule (auth.PasswordRejected otherwise)."""
    branch_name, display_name, login = branch_name.strip(), display_name.strip(), login.strip()
    if not branch_name or not display_name or not login:
        raise ServiceError(_("Please fill in the unit, your name and your login name."))
    auth.check_new_password(password, login, repeat)
    password_hash = auth.hash_password(password)
    with db.session() as session, session.begin():
        if session.scalar(select(func.count()).select_from(User)):
            raise ServiceError(_("This database already has users."))
        ensure_reference_data(session)
        branch = Branch(name=branch_name, level="sub")
        session.add(branch)
        session.flush()
        user = User(
            login=login,
            display_name=display_name,
            role="admin",
            branch_id=branch.id,
            password_hash=password_hash,
            last_login_at=utcnow(),
        )
        session.add(user)
        session.flush()
        actor = _actor(user, branch)
        audit.record(
            session,
            actor,
            "setup",
            "user",
            user.id,
            _("First start: administrator {name} created").format(name=display_name),
        )
    return actor


def _actor(user: User, branch: Branch | None) -> Actor:
    return Actor(
        user.id,
        user.login,
        user.display_name,
        user.role,
        user.branch_id,
        branch.name if branch else "",
    )


def actor_for(db: Database, login: str | None = None) -> Actor:
    """The actor for ``login`` without a password; without a login, the first administrator.

    For trusted code only (tests, the demo builder): the window and the command line sign
    in through ``auth.sign_in``."""
    with db.session() as session:
        stmt = select(User, Branch).outerjoin(Branch, User.branch_id == Branch.id)
        if login:
            stmt = stmt.where(User.login == login)
        else:
            stmt = stmt.order_by((User.role != "admin"), User.created_at)
        row = session.execute(stmt.limit(1)).first()
        if row is None:
            raise NotFound(
                _("There is no user with the login name {login}.").format(login=login or "")
            )
        user, branch = row
        if not user.active:
            raise ServiceError(_("The account {login} is disabled.").format(login=user.login))
        return _actor(user, branch)


def list_managers(db: Database, actor: Actor) -> list[UserRow]:
    """Users who can keep customers, as far as the actor may see them."""
    with db.session() as session:
        stmt = (
            select(User, Branch.name)
            .outerjoin(Branch, User.branch_id == Branch.id)
            .where(User.active.is_(True))
            .order_by(Branch.name, User.display_name)
        )
        if actor.role == "manager":
            stmt = stmt.where(User.id == actor.user_id)
        elif actor.role == "supervisor":
            stmt = stmt.where(User.branch_id == actor.branch_id)
        return [
            UserRow(u.id, u.login, u.display_name, u.role, u.branch_id, bname or "", u.active)
            for u, bname in session.execute(stmt)
        ]


def list_branches(db: Database, actor: Actor) -> list[BranchRow]:
    with db.session() as session:
        stmt = select(Branch).order_by(Branch.name)
        if not actor.is_admin:
            stmt = stmt.where(Branch.id == actor.branch_id)
        return [BranchRow(b.id, b.name, b.level, b.parent_id) for b in session.scalars(stmt)]


# ---------------------------------------------------------------- user administration


@dataclass(frozen=True)
class UserAdminRow:
    id: str
    version: int
    login: str
    display_name: str
    role: str
    branch_id: str | None
    branch_name: str
    phone: str
    active: bool
    has_password: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    # the account's state as sign-in judges it: one of USER_STATES
    state: str = "active"

    @property
    def role_label(self) -> str:
        return vocab.label(vocab.ROLES, self.role)


USER_STATES = ("disabled", "locked", "no_password", "active")


def account_state(
    active: bool, has_password: bool, locked_until: datetime | None, now: datetime
) -> str:
    """How sign-in treats the account at ``now``: disabled, locked (too many wrong
    passwords, until ``locked_until``), without a password yet, or active."""
    if not active:
        return "disabled"
    if locked_until is not None and locked_until > now:
        return "locked"
    if not has_password:
        return "no_password"
    return "active"


def may_manage_users(actor: Actor) -> bool:
    return actor.is_admin


def list_users(
    db: Database, actor: Actor, *, include_disabled: bool = True, now: datetime | None = None
) -> list[UserAdminRow]:
    """Users for the user page: the administrator sees all, a supervisor his branch
    (read-only); a manager none.  Each row's ``state`` is the account's at ``now``."""
    if not may_view_users(actor):
        raise PermissionDenied(_("Only supervisors and administrators may see the user list."))
    with db.session() as session:
        stmt = (
            select(User, Branch.name)
            .outerjoin(Branch, User.branch_id == Branch.id)
            .order_by(Branch.name, User.role.desc(), User.login)
        )
        if not actor.is_admin:
            stmt = stmt.where(User.branch_id == actor.branch_id)
        if not include_disabled:
            stmt = stmt.where(User.active.is_(True))
        now = now or utcnow()
        return [
            UserAdminRow(
                u.id,
                u.version,
                u.login,
                u.display_name,
                u.role,
                u.branch_id,
                bname or "",
                u.phone or "",
                u.active,
                bool(u.password_hash),
                u.locked_until,
                u.last_login_at,
                account_state(u.active, bool(u.password_hash), u.locked_until, now),
            )
            for u, bname in session.execute(stmt)
        ]


def _require_admin(actor: Actor) -> None:
    if not may_manage_users(actor):
        raise PermissionDenied(
            _("Only a city-center administrator may create, disable or reset users.")
        )


def create_user(
    db: Database,
    actor: Actor,
    login: str,
    display_name: str,
    role: str,
    branch_id: str | None,
    password: str,
    repeat: str | None = None,
    phone: str = "",
) -> str:
    """A new user with his first password; returns his id."""
    _require_admin(actor)
    login, display_name, phone = login.strip(), display_name.strip(), phone.strip()
    if not login or not display_name:
        raise ServiceError(_("Please fill in the login name and the name."))
    if len(login) > 50 or any(c.isspace() for c in login):
        raise ServiceError(_("A login name has no spaces and at most 50 characters."))
    if role not in vocab.ROLES:
        raise ServiceError(_("Choose the role."))
    auth.check_new_password(password, login, repeat)
    with db.session() as session, session.begin():
        if branch_id is None or session.get(Branch, branch_id) is None:
            raise ServiceError(_("Choose the branch."))
        if session.scalar(select(User.id).where(func.lower(User.login) == login.lower())):
            raise ServiceError(_("The login name {login} is taken.").format(login=login))
        user = User(
            login=login,
            display_name=display_name,
            role=role,
            branch_id=branch_id,
            phone=phone,
            password_hash=auth.hash_password(password),
            updated_by=actor.user_id,
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            actor,
            "user.create",
            "user",
            user.id,
            _("User {login} created as {role}").format(
                login=login, role=vocab.label(vocab.ROLES, role)
            ),
            {"login": login, "display_name": display_name, "role": role, "branch_id": branch_id},
        )
        return user.id


def _managed_user(session, actor: Actor, user_id: str) -> User:
    _require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("This user no longer exists."))
    return user


def set_active(db: Database, actor: Actor, user_id: str, active: bool) -> None:
    """Disable (or enable again) an account; a disabled user cannot sign in, his records
    stay.  Nobody disables himself, and the last active administrator stays."""
    with db.session() as session, session.begin():
        user = _managed_user(session, actor, user_id)
        if user.active == active:
            return
        if not active and user.id == actor.user_id:
            raise ServiceError(_("You cannot disable your own account."))
        if not active and user.role == "admin":
            admins = session.scalar(
                select(func.count())
                .select_from(User)
                .where(User.role == "admin", User.active.is_(True))
            )
            if (admins or 0) <= 1:
                raise ServiceError(_("The last active administrator cannot be disabled."))
        user.active = active
        user.updated_by = actor.user_id
        audit.record(
            session,
            actor,
            "user.enable" if active else "user.disable",
            "user",
            user.id,
            (_("User {login} enabled") if active else _("User {login} disabled")).format(
                login=user.login
            ),
            {"active": [not active, active]},
        )


TEMPORARY_LENGTH = 10


def temporary_password() -> str:
    """A random password that keeps the rule (letters and digits, no look-alikes)."""
    letters = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
    digits = "23456789"
    while True:
        text = "".join(secrets.choice(letters + digits) for _i in range(TEMPORARY_LENGTH))
        if any(c in string.ascii_letters for c in text) and any(c.isdigit() for c in text):
            return text


def reset_password(
    db: Database, actor: Actor, user_id: str, new_password: str | None = None
) -> str:
    """Set a user's password (a temporary one when ``new_password`` is None) and lift a
    lock; returns the password to hand to the user."""
    password = new_password if new_password is not None else temporary_password()
    with db.session() as session, session.begin():
        user = _managed_user(session, actor, user_id)
        auth.check_new_password(password, user.login)
        user.password_hash = auth.hash_password(password)
        user.failed_logins = 0
        user.locked_until = None
        user.updated_by = actor.user_id
        audit.record(
            session,
            actor,
            "user.reset",
            "user",
            user.id,
            _("Password of {login} reset").format(login=user.login),
            {"temporary": new_password is None},
        )
    return password


def update_user(
    db: Database, actor: Actor, user_id: str, *, display_name: str, role: str, branch_id: str
) -> None:
    """Change a user's name, role or branch (field by field in the audit)."""
    with db.session() as session, session.begin():
        user = _managed_user(session, actor, user_id)
        display_name = display_name.strip()
        if not display_name:
            raise ServiceError(_("Please fill in the login name and the name."))
        if role not in vocab.ROLES:
            raise ServiceError(_("Choose the role."))
        if session.get(Branch, branch_id) is None:
            raise ServiceError(_("Choose the branch."))
        if user.id == actor.user_id and role != "admin":
            raise ServiceError(_("You cannot take the administrator role from yourself."))
        changes = {}
        for name, value in (
            ("display_name", display_name),
            ("role", role),
            ("branch_id", branch_id),
        ):
            if getattr(user, name) != value:
                changes[name] = [getattr(user, name), value]
                setattr(user, name, value)
        if not changes:
            return
        user.updated_by = actor.user_id
        audit.record(
            session,
            actor,
            "user.update",
            "user",
            user.id,
            _("User {login} changed").format(login=user.login),
            changes,
        )


def user_id_for(db: Database, login: str) -> str:
    with db.session() as session:
        user_id = session.scalar(select(User.id).where(User.login == login.strip()))
    if user_id is None:
        raise NotFound(_("There is no user with the login name {login}.").format(login=login))
    return user_id
