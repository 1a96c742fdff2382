"""Product lines (产品线) and their point factors: the list the settings page shows and the
administrator's change of a line's factor or name, with its audit record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from kac_desktop.db import Database
from kac_desktop.i18n import _
from kac_desktop.models import (
    ProductLine,
    TierAssessment,
    utcnow,
)
from kac_desktop.rules import points as rules
from kac_desktop.rules import vocab

from . import assessments, audit
from .context import Actor, Change
from .errors import NotFound, PermissionDenied, ServiceError

# ---------------------------------------------------------------- product lines


@dataclass(frozen=True)
class ProductLineRow:
    code: str
    name: str
    factor: Decimal
    earns_points: bool
    growth_rate: Decimal
    sort_order: int

    @property
    def label(self) -> str:
        return self.name or vocab.label(vocab.PRODUCT_LINES, self.code)


def _line_rows(session: Session) -> list[ProductLineRow]:
    return [
        ProductLineRow(
            p.code,
            p.name,
            Decimal(p.factor),
            bool(p.earns_points),
            Decimal(p.growth_rate),
            p.sort_order,
        )
        for p in session.scalars(select(ProductLine).order_by(ProductLine.sort_order))
    ]


def product_lines(db: Database) -> list[ProductLineRow]:
    """The product lines with their factor, earns-points and growth rate (everyone reads)."""
    with db.session() as session:
        return _line_rows(session)


def line_rules(session: Session) -> dict[str, rules.LineRule]:
    return {
        p.code: rules.LineRule(p.code, p.factor, p.earns_points, p.growth_rate)
        for p in _line_rows(session)
    }


def _decimal(value: object, label: str, low: Decimal, high: Decimal) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace("%", "")) if value is not None else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or not low <= number <= high:
        raise ServiceError(
            _("The {what} must be a number from {low} to {high}.").format(
                what=label, low=low, high=high
            )
        )
    return number.quantize(Decimal("0.0001"), ROUND_HALF_UP)


def update_product_line(
    db: Database,
    actor: Actor,
    code: str,
    *,
    factor: object,
    earns_points: bool,
    growth_rate: object,
    today: date | None = None,
) -> Change:
    """An administrator changes a line's factor, earns-points flag or growth rate; every
    stored year's points, suggestion and target follow.  Audited."""
    if not actor.is_admin:
        raise PermissionDenied(_("Only a city-center administrator may change business settings."))
    new_factor = _decimal(factor, _("points factor"), Decimal("0"), Decimal("99"))
    new_growth = _decimal(growth_rate, _("growth rate"), Decimal("-1"), Decimal("99"))
    with db.session() as session, session.begin():
        line = session.scalar(select(ProductLine).where(ProductLine.code == code))
        if line is None:
            raise NotFound(_("There is no product line {code}.").format(code=code))
        before = [str(line.factor), bool(line.earns_points), str(line.growth_rate)]
        after = [str(new_factor), bool(earns_points), str(new_growth)]
        if before == after:
            return Change("product_line", (line.id,))
        line.factor, line.earns_points, line.growth_rate = new_factor, earns_points, new_growth
        line.updated_by = actor.user_id
        line.updated_at = utcnow()
        session.flush()
        audit.record(
            session,
            actor,
            "settings.product_line",
            "product_line",
            line.id,
            line.name,
            {"factor/earns_points/growth_rate": [before, after]},
        )
        years = set(session.scalars(select(TierAssessment.year).distinct()))
        assessments.recompute(session, years, None, today=today)
        return Change("revenue", ())
