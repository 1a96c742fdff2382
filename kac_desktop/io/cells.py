"""Reading Excel cells the way people and finance exports fill them in: text (numbers that
Excel made of digit strings lose their ``.0``), dates in the common Chinese and ISO
spellings or as Excel serials, and amounts with ``¥``, ``元`` and thousands separators.
A cell that cannot be read raises ``CellProblem`` with a message for the user."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from kac_desktop.i18n import _


class CellProblem(Exception):
    """A cell that cannot be read as its field wants; ``message`` is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def cell_text(value: object) -> str:
    """A cell as text: numbers Excel made of digit strings lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.15g}"
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (date, time)):
        return value.isoformat() if isinstance(value, date) else value.strftime("%H:%M")
    if isinstance(value, timedelta):
        minutes = int(value.total_seconds() // 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    return str(value).strip()


_EXCEL_EPOCH = date(1899, 12, 30)
_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:[\sT].*)?")
_YM = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")
_Y = re.compile(r"(\d{4})\s*年?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _date_problem(value: object) -> CellProblem:
    return CellProblem(
        _("“{value}” is not a date. Write dates like 2020-01-01, 2020/1/1 or 2020年1月1日.").format(
            value=cell_text(value)
        )
    )


def parse_date(value: object) -> date | None:
    """A date from an Excel cell (see the module text); ``None`` for a blank cell."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 1900 <= value <= 2100:
            return date(int(value), 1, 1)  # a year typed as a number
        if 1 <= value < 2958466:
            return _EXCEL_EPOCH + timedelta(days=int(value))
        raise _date_problem(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    try:
        if match := _YMD.fullmatch(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _COMPACT.fullmatch(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _YM.fullmatch(text):
            return date(int(match[1]), int(match[2]), 1)
        if match := _Y.fullmatch(text):
            return date(int(match[1]), 1, 1)
        if text.isdigit() and len(text) <= 5:
            return _EXCEL_EPOCH + timedelta(days=int(text))
    except ValueError:
        raise _date_problem(value) from None
    raise _date_problem(value)


_MONEY_NOISE = re.compile(r"[¥￥$,，\s]|元|人民币|rmb|cny", re.IGNORECASE)
_CENT = Decimal("0.01")


def parse_amount(value: object) -> Decimal | None:
    """An amount in yuan, rounded to the fen; ``None`` for a blank cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellProblem(_("“{value}” is not an amount of money.").format(value=value))
    if isinstance(value, (int, float, Decimal)):
        amount = Decimal(str(value))
    else:
        text = _MONEY_NOISE.sub("", unicodedata.normalize("NFKC", str(value)))
        if not text or text in ("-", "--"):
            return None
        if text == "无":
            return Decimal("0.00")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise CellProblem(
                _(
                    "“{value}” is not an amount of money. Write it like 1234.50 or ¥1,234.50."
                ).format(value=cell_text(value))
            ) from None
    if not amount.is_finite():
        raise CellProblem(_("“{value}” is not an amount of money.").format(value=cell_text(value)))
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)
