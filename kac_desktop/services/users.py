"""Users and branches as the rest of the application sees them, and the first start."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.models import Branch, ProductLine, User
from kac_desktop.rules.defaults import PRODUCT_LINE_DEFAULTS

from . import audit
from .context import Actor
from .errors import NotFound, ServiceError


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
    """Product lines with the DOMAIN defaults, on a database that has none."""
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


def create_first_admin(db: Database, branch_name: str, display_name: str, login: str) -> Actor:
    """The first start: the user's own unit and an administrator account for him."""
    branch_name, display_name, login = branch_name.strip(), display_name.strip(), login.strip()
    if not branch_name or not display_name or not login:
        raise ServiceError(_("Please fill in the unit, your name and your login name."))
    with db.session() as session, session.begin():
        if session.scalar(select(func.count()).select_from(User)):
            raise ServiceError(_("This database already has users."))
        ensure_reference_data(session)
        branch = Branch(name=branch_name, level="sub")
        session.add(branch)
        session.flush()
        user = User(login=login, display_name=display_name, role="admin", branch_id=branch.id)
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
    """The actor for ``login``; without one, the first administrator (until sign-in exists)."""
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
