"""Business settings: the defaults of rules/defaults.py, overridden by what an administrator
stored."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.models import Setting, User, utcnow
from kac_desktop.rules import vocab
from kac_desktop.rules.clock import LOCAL_TZ
from kac_desktop.rules.defaults import DEFAULTS, PRODUCT_LINE_DEFAULTS, SETTING_INFO
from kac_desktop.rules.tiers import CLUB_THRESHOLDS

from . import audit
from .changes import ChangeSet, Kind
from .context import Actor
from .errors import PermissionDenied


def load(session: Session) -> dict[str, Any]:
    values = dict(DEFAULTS)
    for row in session.scalars(select(Setting)):
        values[row.key] = row.value
    return values


def value(session: Session, key: str) -> Any:
    """One setting: what an administrator stored, else the default (one small query, for
    readers that need it often)."""
    stored = session.scalar(select(Setting.value).where(Setting.key == key))
    return DEFAULTS.get(key) if stored is None else stored


def get(db: Database) -> dict[str, Any]:
    with db.session() as session:
        return load(session)


def set_value(db: Database, actor: Actor, key: str, value: Any) -> ChangeSet:
    if not actor.is_admin:
        raise PermissionDenied(_("Only a city-center administrator may change business settings."))
    with db.session() as session, session.begin():
        row = session.get(Setting, key)
        before = row.value if row else DEFAULTS.get(key)
        if row is None:
            session.add(Setting(key=key, value=value, updated_by=actor.user_id))
        else:
            row.value = value
            row.updated_at = utcnow()
            row.updated_by = actor.user_id
        audit.record(
            session,
            actor,
            "settings.change",
            "setting",
            None,
            key,
            {"key": key, "before": before, "after": value},
        )
    return ChangeSet.of(Kind.SETTING, (key,))


@dataclass(frozen=True)
class SettingLine:
    """One setting as `settings list` shows it: what is in force and what it would be."""

    key: str
    value: Any
    default: Any
    changed_at: datetime | None  # when an administrator last stored it (None: the default)
    changed_by: str  # that administrator's sign-in name


def listing(db: Database) -> list[SettingLine]:
    """Every business setting of rules/defaults.py, in its order, with what is stored."""
    with db.session() as session:
        stored = {
            row.key: (row.value, row.updated_at, login or "")
            for row, login in session.execute(
                select(Setting, User.login).outerjoin(User, User.id == Setting.updated_by)
            )
        }
    lines = []
    for key, default in DEFAULTS.items():
        value, at, login = stored.get(key, (default, None, ""))
        lines.append(SettingLine(key, value, default, at, login))
    return lines


def text_of(key: str, value: Any) -> str:
    """A setting's value as one line of the user's words: the tier mapping and the counting
    modes by their names, the quota by class; JSON for any other list or mapping."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "visit_class.by_tier" and isinstance(value, dict):
        return _by_tier(value.items())
    if key == "quota.per_class" and isinstance(value, dict):
        return " · ".join(
            _("class {n}: {visits}").format(n=n, visits=v) for n, v in sorted(value.items())
        )
    if key == "quota.counting_modes" and isinstance(value, list):
        return "、".join(vocab.label(vocab.VISIT_MODES, m) for m in value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _by_tier(pairs: Iterable[tuple[str, object]]) -> str:
    """Tier by tier, in Chinese: 钻石 1 · 白金 1 · …"""
    return " · ".join(f"{vocab.label(vocab.TIERS, tier)} {number}" for tier, number in pairs)


def table(db: Database) -> tuple[list[str], list[list[str]]]:
    """The settings as text, for `settings list` and the settings page: the headers, then
    key, meaning, value in force, default, unit and the last change of each."""
    headers = [_("Key"), _("Meaning"), _("Value in force"), _("Default"), _("Unit"), _("Changed")]
    rows = []
    for line in listing(db):
        meaning, unit = SETTING_INFO[line.key]
        changed = (
            _("{time} by {user}").format(
                time=line.changed_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                user=line.changed_by,
            )
            if line.changed_at is not None
            else _("default")
        )
        rows.append(
            [
                line.key,
                _(meaning),
                text_of(line.key, line.value),
                text_of(line.key, line.default),
                _(unit) if unit else "",
                changed,
            ]
        )
    return headers, rows + _fixed_rows(db)


def _fixed_rows(db: Database) -> list[list[str]]:
    """The numbers kept elsewhere: the club thresholds (fixed in this release) and each
    product line's points factor and growth rate (edited on the settings page's 常规 tab)."""
    from .product_lines import product_lines

    rows = [
        [
            "club.thresholds",
            _("Annual points for each club level"),
            _by_tier(CLUB_THRESHOLDS),
            _by_tier(CLUB_THRESHOLDS),
            _("points a year"),
            _("fixed in this release"),
        ]
    ]
    defaults = {code: (factor, growth) for code, _n, factor, _e, growth in PRODUCT_LINE_DEFAULTS}
    for line in product_lines(db):
        factor, growth = defaults.get(line.code, (None, None))
        rows.append(
            [
                f"product_line.{line.code}",
                _("{line}: points factor · maintenance growth rate").format(line=line.label),
                _line_text(line.factor, line.growth_rate),
                _line_text(factor, growth) if factor is not None and growth is not None else "",
                _("× · %"),
                _("edited on the General tab"),
            ]
        )
    return rows


def _line_text(factor: Decimal, growth: Decimal) -> str:
    return f"{factor.normalize():f} · {growth * 100:.2f}"
