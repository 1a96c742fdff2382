"""Branches and users (docs/DOMAIN.md §1)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Tracked, UTCDateTime


class Branch(Tracked, Base):
    """市局大客户中心 → 县局/专业公司 → 支局."""

    __tablename__ = "branches"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    level: Mapped[str] = mapped_column(String(10), default="sub")  # vocab.BRANCH_LEVELS
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("branches.id"))
    code: Mapped[str] = mapped_column(String(20), default="")


class User(Tracked, Base):
    __tablename__ = "users"

    login: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20), default="manager")  # vocab.ROLES
    branch_id: Mapped[str | None] = mapped_column(ForeignKey("branches.id"), index=True)
    phone: Mapped[str] = mapped_column(String(30), default="")
    # Argon2 hash only; never the password itself.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
