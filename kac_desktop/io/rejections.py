"""What a user is told of an import's rejected rows: the first rows, with the column and
the reason, and how many rows each kind of reason rejected — never a list of 100,000s of
lines on the screen or the command line (the whole list goes to the rejection workbook,
``io.mapping.write_rejections``)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from kac_desktop.i18n import _

from .mapping import Rejection

SHOWN = 20  # rejected rows listed one by one
KINDS = 10  # kinds of reason counted
REASON_CHARS = 300  # the most of one reason a line carries

_QUOTED = re.compile(r"“[^”]*”")


def short(text: str, limit: int = REASON_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kind_of(rejection: Rejection) -> str:
    """The reason without the values it quotes: rows refused for the same reason count
    together ("“abc” is not a month" and "“x” is not a month" are one kind)."""
    reason = _QUOTED.sub("“…”", rejection.reason)
    reason = re.sub(r"\d[\d,.]*", "#", reason)
    if rejection.column:
        return _("column “{column}”: {reason}").format(column=rejection.column, reason=reason)
    return reason


def summary(
    rejections: Sequence[Rejection],
    describe: Callable[[Rejection], str],
    *,
    shown: int = SHOWN,
    whole_list: str = "",
) -> list[str]:
    """Lines for the user: the first ``shown`` rejections, then — when there are more —
    the count of rows by kind of reason and where the whole list is (``whole_list``)."""
    lines = ["  " + short(describe(r)) for r in rejections[:shown]]
    if len(rejections) <= shown:
        return lines
    rows = len({r.row_number for r in rejections})
    lines.append(
        "  "
        + _("… and {more} more problems; {rows} rows in all, by reason:").format(
            more=f"{len(rejections) - shown:,}", rows=f"{rows:,}"
        )
    )
    counts = Counter(kind_of(r) for r in rejections)
    for kind, count in counts.most_common(KINDS):
        lines.append(
            "    " + _("{count} × {reason}").format(count=f"{count:,}", reason=short(kind))
        )
    if len(counts) > KINDS:
        rest = sum(count for _kind, count in counts.most_common()[KINDS:])
        lines.append("    " + _("{count} × other reasons").format(count=f"{rest:,}"))
    if whole_list:
        lines.append("  " + _("The whole list: {file}").format(file=whole_list))
    return lines
