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


QUOTE_CHARS = 40  # the most of a cell's text a message repeats


def quoted(value: object) -> str:
    """A cell's text as a message repeats it: at most ``QUOTE_CHARS`` characters, with the
    length of a longer text (a message never carries a whole pasted document)."""
    text = cell_text(value)
    if len(text) <= QUOTE_CHARS:
        return text
    return _("{start}… ({count} characters)").format(
        start=text[:QUOTE_CHARS], count=f"{len(text):,}"
    )


_EXCEL_EPOCH = date(1899, 12, 30)
_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:[\sT].*)?")
_YM = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")
_Y = re.compile(r"(\d{4})\s*年?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _date_problem(value: object) -> CellProblem:
    return CellProblem(
        _("“{value}” is not a date. Write dates like 2020-01-01, 2020/1/1 or 2020年1月1日.").format(
            value=quoted(value)
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


AMOUNT_LIMIT = Decimal("1e12")  # yuan: no amount a branch office meets comes near


def parse_amount(value: object, scale: Decimal | int = 1) -> Decimal | None:
    """An amount in yuan, exact to the fen; ``None`` for a blank cell.  ``scale``: the
    yuan of one unit of the column (10,000 for a column headed 金额(万元), see
    ``io.mapping.amount_scale``).

    Refused with a message (``CellProblem``): what is not a number, what is not finite
    (NaN, INF, 1E+309), what is beyond ``AMOUNT_LIMIT`` and what has more decimals than
    the fen — such an amount is never rounded silently.  A number Excel stored is read at
    Excel's own precision of 15 significant digits (0.1 + 0.2 is 0.3, not
    0.30000000000000004).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellProblem(_("“{value}” is not an amount of money.").format(value=value))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _not_finite(value)
        amount = Decimal(format(value, ".15g"))
    elif isinstance(value, (int, Decimal)):
        amount = Decimal(value)
    else:
        text = _MONEY_NOISE.sub("", unicodedata.normalize("NFKC", str(value)))
        if not text or text in ("-", "--"):
            return None
        if text == "无":
            return Decimal("0.00")
        try:
            amount = Decimal(text)
        except (InvalidOperation, ValueError):
            raise CellProblem(
                _(
                    "“{value}” is not an amount of money. Write it like 1234.50 or ¥1,234.50."
                ).format(value=quoted(value))
            ) from None
    if not amount.is_finite():
        raise _not_finite(value)
    if scale != 1:
        amount *= scale
    if abs(amount) >= AMOUNT_LIMIT:
        raise CellProblem(
            _("The amount {amount} is too large: at most {limit} yuan.").format(
                amount=quoted(value), limit=f"{AMOUNT_LIMIT:,.0f}"
            )
        )
    exact = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    if exact != amount:
        raise CellProblem(
            _(
                "The amount {amount} has more decimals than the fen (two). Write it with at "
                "most two decimals; it is not rounded for you."
            ).format(amount=quoted(value))
        )
    return exact


def _not_finite(value: object) -> CellProblem:
    return CellProblem(
        _("“{value}” is not an amount of money (not a finite number).").format(value=quoted(value))
    )
