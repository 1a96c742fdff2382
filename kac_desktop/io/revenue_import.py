"""Revenue (用邮收入) from the finance system's Excel export: one row per customer, month and
product line (docs/DOMAIN.md §5).

The machinery is what every import shares (``io.mapping``, ``io.cells``): the same header
recognition (``header_key``, ``guess_mapping``/``mapping_from_headers`` with this module's
``FIELDS``), the same cell readers (``cell_text``, ``parse_amount``), the same ``Rejection``,
the same message for a missing column (``missing_columns``), the same progress report
(``report_row``) and the same rejected-rows workbook (``write_rejections``).  This module
knows no database: the service passes a callback that finds the customer and the product
lines' names.

Cells are read the way finance exports write them:

* the customer by unified social credit code, or by name when the name is unambiguous;
* the month as ``202601``, ``2026-01``, ``2026/1``, ``2026年1月``, ``2026.01`` or an Excel
  date (its month counts);
* the product line by code, Chinese or English name (``速递物流``, ``express``);
* the amount as a number or text with ``¥``, ``元`` and thousands separators.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import NamedTuple, cast

from kac_desktop.i18n import N_, _
from kac_desktop.progress import Progress
from kac_desktop.rules.credit_code import normalise_credit_code
from kac_desktop.rules.points import add_months, is_month

from .cells import CellProblem, cell_text, parse_amount, quoted
from .mapping import (
    ImportField,
    Rejection,
    amount_scale,
    guess_mapping,
    header_key,
    load_mapping,
    mapping_by_header,
    mapping_from_headers,
    missing_columns,
    report_row,
    save_mapping,
    write_rejections,
)
from .workbook import Table, WorkbookError, write_table

__all__ = [
    "FIELDS",
    "ParsedRevenue",
    "Rejection",
    "RevenueRow",
    "guess",
    "load_mapping",
    "mapping_by_header",
    "remembered",
    "parse",
    "parse_month",
    "save_mapping",
    "write_rejections",
    "write_template",
]

FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "credit_code",
        N_("Unified social credit code"),
        "code",
        (
            "统一社会信用代码",
            "信用代码",
            "社会信用代码",
            "纳税人识别号",
            "税号",
            "客户编码",
            "Credit code",
            "USCC",
            "Taxpayer ID",
        ),
    ),
    ImportField(
        "name",
        N_("Customer name"),
        "text",
        ("客户名称", "单位名称", "企业名称", "客户", "名称", "Customer name", "Customer", "Name"),
    ),
    ImportField(
        "month",
        N_("Month"),
        "month",
        (
            "月份",
            "收入月份",
            "所属月份",
            "所属期",
            "账期",
            "结算月份",
            "会计期间",
            "期间",
            "年月",
            "Month",
            "Period",
        ),
        required=True,
    ),
    ImportField(
        "product_line",
        N_("Product line"),
        "line",
        (
            "业务种类",
            "产品线",
            "业务类型",
            "业务",
            "产品",
            "收入项目",
            "专业",
            "Product line",
            "Product",
        ),
        required=True,
    ),
    ImportField(
        "amount",
        N_("Revenue"),
        "amount",
        ("收入", "用邮收入", "收入金额", "金额", "收入(元)", "Revenue", "Amount"),
        required=True,
    ),
)
FIELDS_BY_KEY = {f.key: f for f in FIELDS}

# credit code → customer id, given the cell texts; raises ValueError with the reason
ResolveCustomer = Callable[[str, str], str]


_Key = tuple[str, int, str]  # customer id, month, product line code


class RevenueRow(NamedTuple):  # a tuple: 120,000 of them are made in a tenth of a second
    row_number: int
    customer_id: str
    month: int  # YYYYMM
    product_line: str  # code
    fen: int  # the amount in fen: exact, and compared and summed without Decimal

    @property
    def amount(self) -> Decimal:
        return Decimal(self.fen).scaleb(-2)


@dataclass
class ParsedRevenue:
    rows: list[RevenueRow]
    rejections: list[Rejection]
    total_rows: int = 0

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({r.row_number for r in self.rejections})


def guess(headers: Sequence[str]) -> dict[str, int]:
    return guess_mapping(headers, FIELDS)


def remembered(headers: Sequence[str], saved: Mapping[str, str]) -> dict[str, int]:
    return mapping_from_headers(headers, saved, FIELDS)


def missing_required(mapping: Mapping[str, int]) -> list[ImportField]:
    missing = [f for f in FIELDS if f.required and f.key not in mapping]
    if "credit_code" not in mapping and "name" not in mapping:
        missing.insert(0, FIELDS_BY_KEY["credit_code"])
    return missing


# ---------------------------------------------------------------- cells


_MONTH_TEXT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月(?:份)?)?(?:\s*[-/.]?\s*\d{1,2}\s*[日号]?)?"
)
_MONTH_COMPACT = re.compile(r"(\d{4})(\d{2})(?:\d{2})?")


def parse_month(value: object, latest: int | None = None) -> int:
    """A YYYYMM month from a cell (see the module text).  ``latest``: the last month that may
    be imported (the current one); later months are refused."""

    def bad() -> CellProblem:
        return CellProblem(
            _("“{value}” is not a month. Write months like 202601, 2026-01 or 2026年1月.").format(
                value=quoted(value)
            )
        )

    if value is None:
        raise CellProblem(_("The month is missing."))
    month: int | None = None
    if isinstance(value, (datetime, date)):
        month = value.year * 100 + value.month
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer():
            number = int(value)
            if 200001 <= number <= 999912:
                month = number
            elif 20000101 <= number <= 99991231:
                month = number // 100
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        if match := _MONTH_COMPACT.fullmatch(text):
            month = int(match[1]) * 100 + int(match[2])
        elif match := _MONTH_TEXT.fullmatch(text):
            month = int(match[1]) * 100 + int(match[2])
    if month is None or not is_month(month):
        raise bad()
    if latest is not None and month > latest:
        raise CellProblem(
            _("The month {month} has not begun yet; revenue is imported for past months.").format(
                month=f"{month // 100}-{month % 100:02d}"
            )
        )
    return month


_TOO_LARGE = 100_000_000_000_000  # fen: a thousand billion yuan


def _fen(value: object, scale: int = 1) -> int:
    """The amount of a cell in fen (see the module text), or ``CellProblem``.  ``scale``:
    the yuan of one unit of the column (``amount_scale``)."""
    if _blank(value):
        raise CellProblem(_("The amount is missing; write 0 for a month without revenue."))
    try:
        amount = parse_amount(value, scale)
    except CellProblem as exc:
        raise CellProblem(exc.message) from None
    if amount is None:
        raise CellProblem(_("The amount is missing; write 0 for a month without revenue."))
    if amount < 0:
        raise CellProblem(
            _(
                "The amount {amount} is negative. Revenue is not negative; correct a month by "
                "importing it again with the right figures."
            ).format(amount=quoted(value))
        )
    fen = int(amount.scaleb(2))
    if fen >= _TOO_LARGE:
        raise CellProblem(_("The amount {amount} is too large.").format(amount=quoted(value)))
    return fen


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def line_key(text: str) -> str:
    return header_key(text)


# ---------------------------------------------------------------- parsing


def parse(
    table: Table,
    mapping: Mapping[str, int],
    *,
    resolve_customer: ResolveCustomer,
    lines: Mapping[str, str],
    latest_month: int | None = None,
    allowed_lines: str = "",
    progress: Progress | None = None,
) -> ParsedRevenue:
    """Every non-blank row of ``table`` as a ``RevenueRow``, or its problems.

    ``resolve_customer(credit_code, name)`` returns the customer's id or raises
    ``ValueError`` with the reason.  ``lines`` maps ``line_key(text)`` of every accepted
    spelling to a product line code.  A row repeating an earlier row's customer, month and
    product line is rejected.  ``allowed_lines``: the names listed when a line is unknown.
    Raises ``WorkbookError`` when a required column is missing.  The table may be tidy or
    not (``read_table(tidy=False)``): a blank text counts as an empty cell.

    Speed: a workbook repeats a few hundred months, lines and customers over 100,000s of
    rows, so each distinct cell value is read once (dicts keyed by the raw value) and an
    amount that is a float with at most two decimals goes to fen without Decimal.
    """
    missing = missing_required(mapping)
    if missing:
        raise missing_columns(missing, table.headers)
    headers = table.headers
    col = {key: column for key, column in mapping.items() if 0 <= column < len(headers)}
    c_code, c_name = col.get("credit_code"), col.get("name")
    c_month, c_line, c_amount = col["month"], col["product_line"], col["amount"]
    ident = [c for c in (c_code, c_name) if c is not None]
    cells_of = itemgetter(c_month, c_line, c_amount, *ident)
    customer_header = headers[c_code] if c_code is not None else headers[c_name or 0]
    month_header, line_header, amount_header = headers[c_month], headers[c_line], headers[c_amount]
    # 金额(万元) holds ten-thousands of yuan: never taken as yuan (a foreign currency is refused)
    scale = amount_scale(amount_header)
    whole_yuan = scale == 1

    def find_customer(raw: tuple) -> str | CellProblem:
        code_cell = raw[0] if c_code is not None else None
        name_cell = raw[-1] if c_name is not None else None
        try:
            if isinstance(code_cell, float) and abs(code_cell) >= 1e15:
                raise ValueError(
                    _(
                        "Excel has stored this credit code as a number and lost its last "
                        "digits. Format the column as text and type the code again."
                    )
                )
            return resolve_customer(
                normalise_credit_code(cell_text(code_cell)), cell_text(name_cell)
            )
        except ValueError as exc:
            return CellProblem(str(exc))

    def find_month(raw: object) -> int | CellProblem:
        try:
            return parse_month(None if _blank(raw) else raw, latest_month)
        except CellProblem as problem:
            return problem

    def find_line(raw: object) -> str | CellProblem:
        text = cell_text(raw)
        found = lines.get(line_key(text)) if text else None
        if found is not None:
            return found
        if not text:
            return CellProblem(_("The product line is missing."))
        return CellProblem(
            _("“{value}” is not a product line. Known product lines: {allowed}.").format(
                value=quoted(text), allowed=allowed_lines
            )
        )

    customers: dict[tuple, str | CellProblem] = {}
    months: dict[object, int | CellProblem] = {}
    line_codes: dict[object, str | CellProblem] = {}
    rows: list[RevenueRow] = []
    rejections: list[Rejection] = []
    seen: dict[_Key, int] = {}
    total = 0
    first = table.header_row + 1
    allowed_lines = allowed_lines or "、".join(sorted(set(lines.values())))
    append = rows.append
    step = 5000
    for index, cells in enumerate(table.rows):
        if progress is not None and index % step == 0:
            report_row(progress, table, index)
        raw_month, raw_line, raw_amount, *raw_ident = cells_of(cells)
        if raw_month.__class__ is not float and _blank_row(
            (raw_month, raw_line, raw_amount, *raw_ident)
        ):
            continue
        total += 1
        key = tuple(raw_ident)
        customer = customers.get(key)
        if customer is None:
            customer = customers[key] = find_customer(key)
        month = months.get(raw_month)
        if month is None:
            month = months[raw_month] = find_month(raw_month)
        line = line_codes.get(raw_line)
        if line is None:
            line = line_codes[raw_line] = find_line(raw_line)
        # a float of whole fen (what finance exports hold) needs no Decimal
        if not (
            whole_yuan
            and raw_amount.__class__ is float
            and 0.0 <= raw_amount < 1e12
            and (fen := round(raw_amount * 100)) / 100 == raw_amount
        ):
            try:
                fen = _fen(raw_amount, scale)
            except CellProblem as problem:
                fen = problem  # type: ignore[assignment]
        if (
            customer.__class__ is CellProblem
            or month.__class__ is CellProblem
            or line.__class__ is CellProblem
            or fen.__class__ is CellProblem
        ):
            row_number = first + index
            for value, header in (
                (customer, customer_header),
                (month, month_header),
                (line, line_header),
                (fen, amount_header),
            ):
                if isinstance(value, CellProblem):
                    rejections.append(Rejection(row_number, header, value.message))
            continue
        identity = cast(_Key, (customer, month, line))  # each checked above
        earlier = seen.get(identity)
        if earlier is not None:
            rejections.append(
                Rejection(
                    first + index,
                    "",
                    _(
                        "The same customer, month and product line as row {row}. Keep one of the "
                        "two rows (or add them up in one)."
                    ).format(row=earlier),
                )
            )
            continue
        seen[identity] = first + index
        append(RevenueRow(first + index, *identity, fen))
    return ParsedRevenue(rows, rejections, total)


def _blank_row(cells: tuple) -> bool:
    return all(_blank(value) for value in cells)


# ---------------------------------------------------------------- template


def write_template(path: str, line_names: Sequence[str], latest_month: int) -> None:
    """A blank revenue workbook with the recognised Chinese headers and example rows."""
    previous = add_months(latest_month, -1)
    examples = [
        ["91350100M000100Y43", "福州示例贸易有限公司", previous, name, Decimal("1234.50")]
        for name in line_names[:2]
    ]
    write_table(
        path,
        [f.header for f in FIELDS],
        examples,
        title=_("Revenue"),
        number_formats={0: "@", 4: "#,##0.00"},
    )


__all__ += ["WorkbookError", "line_key", "missing_required"]
