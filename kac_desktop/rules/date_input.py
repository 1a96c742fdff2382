"""Dates as users type them: 2024-03-15, 2024-3-5, 20240315, 2024/3/15, 2024.3.15,
2024年3月15日 — with full-width digits and separators too (a Chinese input method types
２０２４／３／１５).  An empty text is "not filled in"."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from kac_desktop.i18n import _

FIRST_YEAR = 1900
LAST_YEAR = 2099

_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SEPARATED = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_CHINESE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?")


class DateInputError(ValueError):
    """A text that is not a date, with the reason for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_date(text: str | None) -> date | None:
    """The date ``text`` means; None for an empty text; DateInputError when it is none."""
    clean = unicodedata.normalize("NFKC", text or "")
    clean = re.sub(r"\s+", "", clean).replace("—", "-").replace("–", "-")
    if not clean:
        return None
    match = _COMPACT.fullmatch(clean) or _CHINESE.fullmatch(clean)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _SEPARATED.fullmatch(clean)
        if not match:
            raise DateInputError(
                _(
                    "“{text}” is not a date: type it as 2024-03-15, 20240315, 2024/3/15 or 2024年3月15日."
                ).format(text=(text or "").strip())
            )
        year, month, day = int(match.group(1)), int(match.group(3)), int(match.group(4))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DateInputError(
            _("The year {year} is outside {first}–{last}.").format(
                year=year, first=FIRST_YEAR, last=LAST_YEAR
            )
        )
    try:
        return date(year, month, day)
    except ValueError:
        raise DateInputError(
            _("There is no day {year}-{month:02d}-{day:02d} in the calendar.").format(
                year=year, month=month, day=day
            )
        ) from None


def format_date(value: date | None) -> str:
    """How a date field shows a date (and an empty one: nothing)."""
    return value.isoformat() if value else ""
