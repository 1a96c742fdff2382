"""Who is acting: every service call carries an Actor, and the services scope by it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: str
    login: str
    display_name: str
    role: str  # vocab.ROLES: manager, supervisor, admin
    branch_id: str | None
    branch_name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_supervisor(self) -> bool:
        return self.role in ("supervisor", "admin")
