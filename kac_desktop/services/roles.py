"""Which pages a role may open: asked while the window is built, before the services
behind those pages are imported (their modules re-export these)."""

from __future__ import annotations

from .context import Actor


def may_view_users(actor: Actor) -> bool:
    return actor.is_supervisor


def may_view_audit(actor: Actor) -> bool:
    return actor.is_supervisor


def may_back_up(actor: Actor) -> bool:
    return actor.is_supervisor
