"""Customer files from an Excel workbook: which column holds what, cells to ``CustomerData``,
and every row checked by the same rules as the editor (DOMAIN.md §2).

This module knows no database.  It reads a ``Table`` (``io.workbook``), maps columns to the
fields of ``FIELDS`` by their header text, converts and validates each row, and rejects
rows that repeat an earlier row of the same file.  The service (``services.customer_import``)
resolves account managers through a callback, checks the rows against the database and
stores them.

Cells are read the way people fill them in:

* choices (tier, nature, area, ...) by code, English label or Chinese label (``钻石``,
  ``Diamond``, ``diamond``), also with a trailing ``客户``/``级``/``类``;
* lists (product lines, express kinds) separated by ``、，,;；/`` or spaces;
* dates as Excel dates, ``2020-01-01``, ``2020/1/1``, ``2020.1.1``, ``2020年1月1日``,
  ``20200101`` or an Excel serial number; ``2020年1月`` and ``2020`` mean the first day;
* amounts as numbers or text with ``¥``, ``元`` and thousands separators;
* numbers Excel made of phone numbers or contract numbers (``13805912345.0``) become text
  again.

A blank choice cell keeps the editor's default (``CustomerData``): a customer of kind
"key", nature "enterprise", area "city", tier "ordinary".
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from kac_desktop.i18n import N_, _, gettext_in
from kac_desktop.models import Contact, Customer
from kac_desktop.progress import Progress, check
from kac_desktop.rules import vocab
from kac_desktop.rules.credit_code import make_credit_code, normalise_credit_code
from kac_desktop.rules.customer import ContactData, CustomerData
from kac_desktop.rules.names import normalise_name
from kac_desktop.rules.validation import validate_customer

from .workbook import SheetSpec, Table, WorkbookError, write_table, write_workbook

MAPPING_FORMAT = "kac_desktop.customer_import.mapping"

# ---------------------------------------------------------------- the importable fields


@dataclass(frozen=True)
class ImportField:
    """One importable field.

    ``aliases[0]`` is the header the template writes; every alias, the English label and
    its Chinese translation are recognised as headers (see ``header_key``).
    """

    key: str
    label: str  # N_(): translate at use
    kind: str  # text, code, choice, list, date, amount, manager
    aliases: tuple[str, ...]
    vocabulary: dict | None = None
    required: bool = False

    @property
    def header(self) -> str:
        return self.aliases[0]

    @property
    def contact_attr(self) -> str | None:
        return self.key[len("contact_") :] if self.key.startswith("contact_") else None


FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "name",
        N_("Customer name"),
        "text",
        (
            "客户名称",
            "单位名称",
            "企业名称",
            "公司名称",
            "客户全称",
            "名称",
            "客户",
            "Customer name",
            "Customer",
            "Name",
            "Company",
            "Company name",
        ),
        required=True,
    ),
    ImportField(
        "credit_code",
        N_("Unified social credit code"),
        "code",
        (
            "统一社会信用代码",
            "信用代码",
            "社会信用代码",
            "统一信用代码",
            "Credit code",
            "USCC",
            "Unified social credit code",
        ),
    ),
    ImportField(
        "kind",
        N_("Customer kind"),
        "choice",
        (
            "客户类型",
            "客户类别",
            "客户种类",
            "类型",
            "Kind",
            "Customer kind",
            "Customer type",
            "Type",
        ),
        vocab.KINDS,
    ),
    ImportField(
        "nature",
        N_("Nature"),
        "choice",
        ("客户性质", "单位性质", "企业性质", "性质", "Nature"),
        vocab.NATURES,
    ),
    ImportField(
        "industry",
        N_("Industry"),
        "choice",
        ("所属行业", "行业", "行业类别", "行业分类", "Industry"),
        vocab.INDUSTRIES,
    ),
    ImportField(
        "address",
        N_("Address"),
        "text",
        ("地址", "单位地址", "详细地址", "联系地址", "通讯地址", "Address"),
    ),
    ImportField(
        "area",
        N_("Area"),
        "choice",
        ("区域", "城乡", "城区/农村", "所在区域", "城乡属性", "Area", "City or rural"),
        vocab.AREAS,
    ),
    ImportField(
        "business_scope", N_("Business scope"), "text", ("经营范围", "主营业务", "Business scope")
    ),
    ImportField(
        "cooperation_start",
        N_("Cooperation start date"),
        "date",
        (
            "合作开始日期",
            "合作起始日期",
            "开始合作日期",
            "合作日期",
            "合作时间",
            "Cooperation start",
            "Cooperation start date",
            "Customer since",
        ),
    ),
    ImportField(
        "product_lines",
        N_("Product lines"),
        "list",
        ("使用业务", "业务种类", "使用产品", "合作业务", "产品线", "Product lines", "Products"),
        vocab.PRODUCT_LINES,
    ),
    ImportField(
        "express_kinds",
        N_("Express kinds"),
        "list",
        ("速递物流类别", "速递类别", "快递类别", "寄递类别", "Express kinds"),
        vocab.EXPRESS_KINDS,
    ),
    ImportField(
        "geo_scope",
        N_("Geographic scope"),
        "choice",
        ("地域范围", "全省性/区域性", "Geographic scope", "Geo scope"),
        vocab.GEO_SCOPES,
    ),
    ImportField(
        "settlement",
        N_("Settlement"),
        "choice",
        ("结算方式", "结算", "付费方式", "Settlement"),
        vocab.SETTLEMENTS,
    ),
    ImportField(
        "contract_no",
        N_("Contract number"),
        "text",
        ("合同编号", "合同号", "协议编号", "协议号", "Contract number", "Contract no", "Contract"),
    ),
    ImportField(
        "contract_start",
        N_("Contract start date"),
        "date",
        (
            "合同开始日期",
            "合同起始日期",
            "合同生效日期",
            "合同开始",
            "Contract start",
            "Contract start date",
        ),
    ),
    ImportField(
        "contract_end",
        N_("Contract end date"),
        "date",
        (
            "合同结束日期",
            "合同终止日期",
            "合同到期日期",
            "合同到期日",
            "合同结束",
            "Contract end",
            "Contract end date",
        ),
    ),
    ImportField(
        "tariff_discount",
        N_("Tariff discount"),
        "text",
        ("资费优惠", "资费折扣", "优惠折扣", "折扣", "Tariff discount", "Discount"),
    ),
    ImportField(
        "pickup_times",
        N_("Pickup times"),
        "text",
        ("揽收时间", "收寄时间", "上门揽收时间", "Pickup times", "Pickup time"),
    ),
    ImportField(
        "special_needs",
        N_("Special needs"),
        "text",
        ("特殊需求", "偏好信息", "特殊要求", "Special needs", "Preferences"),
    ),
    ImportField(
        "credit_rating",
        N_("Credit rating"),
        "choice",
        ("信用等级", "信用评级", "Credit rating"),
        vocab.CREDIT_RATINGS,
    ),
    ImportField(
        "payment_record",
        N_("Payment record"),
        "text",
        ("付款记录", "缴费记录", "回款情况", "付款情况", "Payment record"),
    ),
    ImportField(
        "arrears", N_("Arrears"), "amount", ("欠费金额", "欠费", "欠款", "欠款金额", "Arrears")
    ),
    ImportField(
        "tier",
        N_("Tier"),
        "choice",
        ("客户等级", "等级", "客户级别", "级别", "Tier", "Level"),
        vocab.TIERS,
    ),
    ImportField("notes", N_("Notes"), "text", ("备注", "Notes", "Remarks", "Note")),
    ImportField(
        "manager",
        N_("Account manager"),
        "manager",
        (
            "客户经理",
            "维护人",
            "维护经理",
            "维护客户经理",
            "归属客户经理",
            "Account manager",
            "Manager",
        ),
    ),
    ImportField(
        "contact_name",
        N_("Contact name"),
        "text",
        ("联系人", "联系人姓名", "姓名", "Contact", "Contact name"),
    ),
    ImportField(
        "contact_role",
        N_("Contact role"),
        "choice",
        ("联系人角色", "联系人类型", "角色", "Contact role", "Role"),
        vocab.CONTACT_ROLES,
    ),
    ImportField(
        "contact_phone",
        N_("Contact phone"),
        "text",
        (
            "联系电话",
            "电话",
            "固定电话",
            "座机",
            "办公电话",
            "Phone",
            "Telephone",
            "Tel",
            "Contact phone",
        ),
    ),
    ImportField(
        "contact_mobile",
        N_("Contact mobile"),
        "text",
        (
            "手机",
            "手机号",
            "手机号码",
            "移动电话",
            "联系人手机",
            "Mobile",
            "Mobile phone",
            "Cell phone",
            "Contact mobile",
        ),
    ),
    ImportField(
        "contact_email",
        N_("Contact e-mail"),
        "text",
        ("电子邮箱", "邮箱", "电子邮件", "Email", "E-mail", "Contact e-mail"),
    ),
    ImportField(
        "contact_birthday",
        N_("Contact birthday"),
        "date",
        ("联系人生日", "生日", "出生日期", "Birthday", "Contact birthday"),
    ),
)

FIELDS_BY_KEY: dict[str, ImportField] = {f.key: f for f in FIELDS}

# field names of validate_customer that are not columns of their own
_VALIDATION_FIELD = {"manager_id": "manager", "branch_id": "manager"}
# "give a phone or a mobile number" when the sheet has only a mobile column
_NEAREST_COLUMN = {"contact_phone": "contact_mobile"}

_MARKERS = ("必填", "选填", "可选", "required", "optional")
_BRACKETED = re.compile(r"[(（\[【<《][^)）\]】>》]*[)）\]】>》]")
_DROPPED = ("P", "Z", "C", "S")


def header_key(text: object) -> str:
    """A header as compared: NFKC, lower case, without bracketed notes (``(必填)``,
    ``（元）``), spaces, punctuation, symbols and the words 必填/选填/required/optional."""
    folded = unicodedata.normalize("NFKC", str(text or "")).lower()
    unbracketed = _BRACKETED.sub("", folded)
    if unbracketed.strip():
        folded = unbracketed
    folded = "".join(c for c in folded if not unicodedata.category(c).startswith(_DROPPED))
    for marker in _MARKERS:
        if folded != marker:
            folded = folded.replace(marker, "")
    return folded


def _alias_index(fields: Sequence[ImportField] = FIELDS) -> dict[str, str]:
    index: dict[str, str] = {}
    for f in fields:
        names = (*f.aliases, f.label, gettext_in("zh_CN", f.label), _(f.label))
        for name in names:
            index.setdefault(header_key(name), f.key)
    return index


def guess_mapping(headers: Sequence[str], fields: Sequence[ImportField] = FIELDS) -> dict[str, int]:
    """Field key → column index for the headers that name a field (the first such column
    wins; a column serves one field).  ``fields``: another import's fields (revenue)."""
    index = _alias_index(fields)
    mapping: dict[str, int] = {}
    for column, header in enumerate(headers):
        key = index.get(header_key(header))
        if key and key not in mapping:
            mapping[key] = column
    return mapping


def mapping_by_header(headers: Sequence[str], mapping: Mapping[str, int]) -> dict[str, str]:
    """The mapping keyed by header text, as ``save_mapping`` stores it; a column mapped to
    no field is kept with ``""`` so that it stays ignored next time."""
    by_column = {column: key for key, column in mapping.items()}
    return {header: by_column.get(column, "") for column, header in enumerate(headers) if header}


def mapping_from_headers(
    headers: Sequence[str], saved: Mapping[str, str], fields: Sequence[ImportField] = FIELDS
) -> dict[str, int]:
    """Apply a saved mapping (header text → field key, ``""`` for "ignore") to a sheet's
    headers, wherever those columns now stand; columns the saved mapping does not mention
    are guessed from their headers."""
    saved_keys = {header_key(h): key for h, key in saved.items()}
    mapping: dict[str, int] = {}
    decided: set[int] = set()
    for column, header in enumerate(headers):
        wanted = header_key(header)
        if not wanted or wanted not in saved_keys:
            continue
        decided.add(column)
        key = saved_keys[wanted]
        if any(f.key == key for f in fields) and key not in mapping:
            mapping[key] = column
    for key, column in guess_mapping(headers, fields).items():
        if key not in mapping and column not in decided:
            mapping[key] = column
    return mapping


def save_mapping(path: str | os.PathLike[str], mapping_by_header: Mapping[str, str]) -> None:
    """Store a column mapping as JSON keyed by header text, so it survives reordering."""
    payload = {"format": MAPPING_FORMAT, "version": 1, "columns": dict(mapping_by_header)}
    try:
        Path(path).write_text(json.dumps(payload, ensure_ascii=False, indent=2), "utf-8")
    except OSError as exc:
        raise WorkbookError(
            _("The column mapping cannot be saved to {name}: {error}").format(
                name=Path(path).name, error=exc.strerror or exc
            )
        ) from exc


def load_mapping(path: str | os.PathLike[str]) -> dict[str, str]:
    """A mapping stored by ``save_mapping`` (header text → field key).

    Raises ``WorkbookError`` for a missing or unreadable file and for one that is not a
    saved column mapping.
    """
    path = Path(path)
    try:
        payload = json.loads(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise WorkbookError(_("The file {path} does not exist.").format(path=path)) from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise WorkbookError(
            _("{name} is not a column mapping saved by this application.").format(name=path.name)
        ) from exc
    columns = payload.get("columns") if isinstance(payload, dict) else None
    if not isinstance(columns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise WorkbookError(
            _("{name} is not a column mapping saved by this application.").format(name=path.name)
        )
    return dict(columns)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class ImportRow:
    row_number: int  # the Excel row number (the header is row 1)
    data: CustomerData


@dataclass(frozen=True)
class Rejection:
    row_number: int
    column: str  # the header of the offending column; "" when it is not one column
    reason: str  # in the user's language


@dataclass
class ParsedImport:
    rows: list[ImportRow]
    rejections: list[Rejection]
    total_rows: int = 0  # non-blank rows read

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({r.row_number for r in self.rejections})


ResolveManager = Callable[[str], "tuple[str, str | None] | None"]

# ---------------------------------------------------------------- converting cells


class _Problem(Exception):
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


def _date_problem(value: object) -> _Problem:
    return _Problem(
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
        raise _Problem(_("“{value}” is not an amount of money.").format(value=value))
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
            raise _Problem(
                _(
                    "“{value}” is not an amount of money. Write it like 1234.50 or ¥1,234.50."
                ).format(value=cell_text(value))
            ) from None
    if not amount.is_finite():
        raise _Problem(_("“{value}” is not an amount of money.").format(value=cell_text(value)))
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


_LIST_SEPARATORS = re.compile(r"[、，,;；/／|｜\n]+")
_LOOSE_SUFFIXES = ("客户", "级", "类")


class _Choices:
    """Code lookup for one vocabulary, remembering what it has seen (10,000 rows repeat the
    same few values)."""

    def __init__(self, vocabulary: dict) -> None:
        self.vocabulary = vocabulary
        self.seen: dict[str, object | None] = {}

    def code(self, text: str) -> object | None:
        if text in self.seen:
            return self.seen[text]
        folded = unicodedata.normalize("NFKC", text).strip()
        found = vocab.code_for_label(self.vocabulary, folded)
        if found is None:
            # 钻石客户 / 钻石级 for 钻石, 重要 for 重要客户
            compact = "".join(folded.split())
            candidates = [compact]
            for suffix in _LOOSE_SUFFIXES:
                if compact.endswith(suffix):
                    candidates.append(compact[: -len(suffix)])
                else:
                    candidates.append(compact + suffix)
            for candidate in candidates:
                if candidate and candidate != folded:
                    found = vocab.code_for_label(self.vocabulary, candidate)
                    if found is not None:
                        break
        self.seen[text] = found
        return found

    def allowed(self) -> str:
        return "、".join(vocab.label(self.vocabulary, code) for code in self.vocabulary)


def _text_limit(key: str) -> int | None:
    """The column length of the database field behind ``key`` (None: unlimited text)."""
    attr = key[len("contact_") :] if key.startswith("contact_") else key
    model = Contact if key.startswith("contact_") else Customer
    column = model.__table__.columns.get(attr)
    return getattr(column.type, "length", None) if column is not None else None


class _Converter:
    def __init__(self, resolve_manager: ResolveManager) -> None:
        self.resolve_manager = resolve_manager
        self.managers: dict[str, tuple[str, str | None] | _Problem] = {}
        self.choices = {f.key: _Choices(f.vocabulary) for f in FIELDS if f.vocabulary}
        self.limits = {f.key: _text_limit(f.key) for f in FIELDS if f.kind == "text"}

    def manager(self, text: str) -> tuple[str, str | None]:
        if text not in self.managers:
            try:
                found = self.resolve_manager(text)
            except ValueError as exc:
                found = None
                self.managers[text] = _Problem(str(exc))
            else:
                if found is None:
                    self.managers[text] = _Problem(
                        _(
                            "There is no account manager “{name}” to whom you may assign "
                            "customers. Write the login name or the name of a manager of "
                            "your branch."
                        ).format(name=text)
                        if text
                        else _("The account manager is required; please choose one.")
                    )
                else:
                    self.managers[text] = found
        result = self.managers[text]
        if isinstance(result, _Problem):
            raise result
        return result

    def convert(self, f: ImportField, value: object) -> object:
        if f.kind == "text":
            text = cell_text(value)
            limit = self.limits.get(f.key)
            if limit and len(text) > limit:
                raise _Problem(
                    _("The text has {count} characters; at most {max} fit.").format(
                        count=len(text), max=limit
                    )
                )
            return text
        if f.kind == "code":
            if isinstance(value, float) and abs(value) >= 1e15:
                raise _Problem(
                    _(
                        "Excel has stored this credit code as a number and lost its last "
                        "digits. Format the column as text and type the code again."
                    )
                )
            return normalise_credit_code(cell_text(value))
        if f.kind == "choice":
            text = cell_text(value)
            if not text:
                return None
            choices = self.choices[f.key]
            code = choices.code(text)
            if code is None:
                raise _Problem(
                    _("“{value}” is not one of the allowed values: {allowed}.").format(
                        value=text, allowed=choices.allowed()
                    )
                )
            return code
        if f.kind == "list":
            return self._codes(f, cell_text(value))
        if f.kind == "date":
            return parse_date(value)
        if f.kind == "amount":
            return parse_amount(value)
        if f.kind == "manager":
            return self.manager(cell_text(value))
        raise AssertionError(f.kind)

    def _codes(self, f: ImportField, text: str) -> list[str]:
        choices = self.choices[f.key]
        codes: list[str] = []
        unknown: list[str] = []
        for part in _LIST_SEPARATORS.split(text):
            part = part.strip()
            if not part:
                continue
            code = choices.code(part)
            if code is not None:
                candidates: list[tuple[str, object | None]] = [(part, code)]
            else:
                candidates = [(word, choices.code(word)) for word in part.split()]
            for word, found in candidates:
                if found is None:
                    unknown.append(word)
                elif found not in codes:
                    codes.append(str(found))
        if unknown:
            raise _Problem(
                _("Not among the allowed values: {values}. Allowed: {allowed}.").format(
                    values="、".join(unknown), allowed=choices.allowed()
                )
            )
        return codes


# ---------------------------------------------------------------- parsing


def missing_required(mapping: Mapping[str, int]) -> list[ImportField]:
    return [f for f in FIELDS if f.required and f.key not in mapping]


def missing_columns(missing: Sequence[ImportField], headers: Sequence[str]) -> WorkbookError:
    """The error for a sheet in which no column holds the ``missing`` fields: which header
    to write, and the columns there are (another import's fields too: revenue)."""
    return WorkbookError(
        _(
            "No column of the sheet holds the {fields}. Name the column “{header}”, or "
            "choose it in the column mapping. The columns found are: {headers}."
        ).format(
            fields="、".join(_(f.label) for f in missing),
            header=missing[0].header,
            headers="、".join(h for h in headers if h) or "-",
        )
    )


def report_row(progress: Progress, table: Table, index: int) -> None:
    """Tell ``progress`` that row ``index`` of ``table`` is being checked (another import's
    rows too: revenue); raises ``Cancelled`` when the user cancelled."""
    count = len(table.rows)
    check(
        progress,
        index / max(count, 1),
        _("Checking row {row} of {count}").format(
            row=table.row_number(index), count=table.row_number(count - 1)
        ),
    )


def _column_of(field_name: str) -> str:
    """The FIELDS key behind a ``FieldError.field`` ("" when it is not a column)."""
    if field_name.startswith("contacts["):
        attr = field_name.split(".", 1)[1] if "." in field_name else ""
        key = f"contact_{attr}"
        return key if key in FIELDS_BY_KEY else ""
    key = _VALIDATION_FIELD.get(field_name, field_name)
    return key if key in FIELDS_BY_KEY else ""


def parse(
    table: Table,
    mapping: Mapping[str, int],
    *,
    today: date,
    resolve_manager: ResolveManager,
    progress: Progress | None = None,
) -> ParsedImport:
    """Every non-blank row of ``table`` as a ``CustomerData``, or its problems.

    ``mapping`` is field key → column index.  ``resolve_manager(text)`` turns the manager
    cell (``""`` when blank or when there is no such column) into ``(manager_id,
    branch_id)``; it returns ``None`` for an unknown manager, or raises ``ValueError`` with
    a message for the user.  A row is rejected with one ``Rejection`` per problem: cells
    that cannot be read, everything ``validate_customer`` finds, and repeating an earlier
    row of the file (same credit code, or the same name once normalised).

    ``progress`` (optional) is checked every 500 rows and may cancel (``Cancelled``).

    Raises ``WorkbookError`` when no column holds a required field (the customer name).
    """
    missing = missing_required(mapping)
    if missing:
        raise missing_columns(missing, table.headers)
    headers = table.headers
    mapped = [
        (FIELDS_BY_KEY[key], column)
        for key, column in sorted(mapping.items(), key=lambda item: item[1])
        if key in FIELDS_BY_KEY and 0 <= column < len(headers)
    ]
    columns = {f.key: column for f, column in mapped}
    has_manager_column = "manager" in columns
    converter = _Converter(resolve_manager)

    def header_of(key: str) -> str:
        column = columns.get(key)
        if column is None and key in _NEAREST_COLUMN:
            column = columns.get(_NEAREST_COLUMN[key])
        return headers[column] if column is not None else ""

    rows: list[ImportRow] = []
    rejections: list[Rejection] = []
    by_code: dict[str, int] = {}
    by_name: dict[str, int] = {}
    total = 0
    for index, cells in enumerate(table.rows):
        if progress is not None and index % 500 == 0:
            report_row(progress, table, index)
        values = [(f, cells[column]) for f, column in mapped]
        if all(value is None for _f, value in values):
            continue
        total += 1
        row_number = table.row_number(index)
        problems: list[Rejection] = []
        failed: set[str] = set()
        data = CustomerData()
        contact = ContactData()
        has_contact = False
        for f, value in values:
            try:
                converted = converter.convert(f, value)
            except _Problem as problem:
                failed.add(f.key)
                problems.append(Rejection(row_number, headers[columns[f.key]], problem.message))
                continue
            if f.kind == "manager":
                data.manager_id, data.branch_id = converted  # type: ignore[misc]
            elif f.contact_attr:
                if converted not in (None, ""):
                    has_contact = True
                    setattr(contact, f.contact_attr, converted)
            elif converted is not None:
                setattr(data, f.key, converted)
        if not has_manager_column:
            try:
                data.manager_id, data.branch_id = converter.manager("")
            except _Problem as problem:
                failed.add("manager")
                problems.append(Rejection(row_number, "", problem.message))
        if has_contact:
            data.contacts = [contact]

        for error in validate_customer(data, today):
            key = _column_of(error.field)
            if key in failed:
                continue  # already reported as a cell that could not be read
            problems.append(Rejection(row_number, header_of(key), error.message))

        code, name_key = data.credit_code, normalise_name(data.name)
        if code and "credit_code" not in failed and code in by_code:
            problems.append(
                Rejection(
                    row_number,
                    header_of("credit_code"),
                    _(
                        "The same customer as row {row}: the unified social credit code is the "
                        "same. Keep one of the two rows."
                    ).format(row=by_code[code]),
                )
            )
        elif name_key and name_key in by_name:
            problems.append(
                Rejection(
                    row_number,
                    header_of("name"),
                    _(
                        "The same customer as row {row}: the name is the same. Keep one of the two "
                        "rows."
                    ).format(row=by_name[name_key]),
                )
            )
        if code:
            by_code.setdefault(code, row_number)
        if name_key:
            by_name.setdefault(name_key, row_number)

        if problems:
            rejections.extend(problems)
        else:
            rows.append(ImportRow(row_number, data))
    return ParsedImport(rows, rejections, total)


# ---------------------------------------------------------------- showing values


def display_value(key: str, data: CustomerData, manager_name: str = "") -> str:
    """The value of field ``key`` of ``data`` as the preview table shows it."""
    f = FIELDS_BY_KEY[key]
    if f.kind == "manager":
        return manager_name
    if f.contact_attr:
        value: object = getattr(data.contacts[0], f.contact_attr) if data.contacts else ""
    else:
        value = getattr(data, key)
    if value is None:
        return ""
    if f.kind == "list" and isinstance(value, list):
        return "、".join(vocab.label(f.vocabulary or {}, code) for code in value)
    if f.kind == "choice":
        return vocab.label(f.vocabulary or {}, value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------- template and rejections


def _zh(vocabulary: dict, code: str) -> str:
    return gettext_in("zh_CN", vocabulary[code])


def _example_row() -> list[object]:
    example: dict[str, object] = {
        "name": "福州示例贸易有限公司",
        "credit_code": make_credit_code("91350100MA2Y0001"),
        "kind": _zh(vocab.KINDS, "key"),
        "nature": _zh(vocab.NATURES, "enterprise"),
        "industry": _zh(vocab.INDUSTRIES, "retail"),
        "address": "福州市鼓楼区五四路100号",
        "area": _zh(vocab.AREAS, "city"),
        "business_scope": "日用百货批发零售",
        "cooperation_start": date(2020, 1, 1),
        "product_lines": "、".join(_zh(vocab.PRODUCT_LINES, c) for c in ("letters", "express")),
        "express_kinds": _zh(vocab.EXPRESS_KINDS, "domestic"),
        "geo_scope": _zh(vocab.GEO_SCOPES, "regional"),
        "settlement": _zh(vocab.SETTLEMENTS, "account"),
        "contract_no": "HT-2024-001",
        "contract_start": date(2024, 1, 1),
        "contract_end": date(2026, 12, 31),
        "tariff_discount": "8.5折",
        "pickup_times": "每天16:00",
        "special_needs": "",
        "credit_rating": "AA",
        "payment_record": "按时付款",
        "arrears": Decimal("0.00"),
        "tier": _zh(vocab.TIERS, "gold"),
        "notes": "",
        "manager": "",
        "contact_name": "李明",
        "contact_role": _zh(vocab.CONTACT_ROLES, "key_person"),
        "contact_phone": "0591-87654321",
        "contact_mobile": "13805912345",
        "contact_email": "liming@example.com",
        "contact_birthday": date(1980, 5, 1),
    }
    return [example[f.key] for f in FIELDS]


def _instructions(f: ImportField) -> tuple[str, str, str]:
    """(required, allowed values, how to fill it in) for the template's instructions."""
    defaults = {"kind": "key", "nature": "enterprise", "area": "city", "tier": "ordinary"}
    if f.required:
        required = _("Required")
    elif f.key == "credit_code":
        required = _("Required for enterprises and government bodies")
    elif f.key in defaults:
        required = _("Blank means “{value}”").format(value=_zh(f.vocabulary or {}, defaults[f.key]))
    else:
        required = _("Optional")
    allowed = "、".join(_zh(f.vocabulary, c) for c in f.vocabulary) if f.vocabulary else ""
    hints = {
        "credit_code": _("18 characters (GB 32100-2015); format the column as text."),
        "list": _("Several values separated by 、 or commas."),
        "date": _("A date such as 2020-01-01, 2020/1/1 or 2020年1月1日."),
        "amount": _("An amount in yuan, such as 1234.50."),
        "manager": _(
            "Login name or name of the account manager; blank means the user who imports."
        ),
        "contact_mobile": _("11 digits, such as 13805912345."),
        "contact_phone": _("Such as 0591-87654321; a mobile number is also accepted."),
        "contact_name": _("One contact per customer can be imported; add more in the file."),
        "express_kinds": _("Only with the product line “Express and logistics”."),
    }
    note = hints.get(f.key) or hints.get(f.kind, "")
    if f.key == "express_kinds":
        note = hints["list"] + " " + hints["express_kinds"]
    return required, allowed, note


def write_template(path: str | os.PathLike[str]) -> None:
    """A blank import workbook: the recognised Chinese headers in ``FIELDS`` order, one
    example row, and a sheet of instructions (required columns and allowed values)."""
    text_columns = {
        i: "@"
        for i, f in enumerate(FIELDS)
        if f.key in ("credit_code", "contact_phone", "contact_mobile", "contract_no")
    }
    instructions = [[f.header, *_instructions(f)] for f in FIELDS]
    write_workbook(
        path,
        [
            SheetSpec(
                _("Customer files"),
                [f.header for f in FIELDS],
                [_example_row()],
                number_formats=text_columns,
            ),
            SheetSpec(
                _("Instructions"),
                [_("Column"), _("Required"), _("Allowed values"), _("How to fill it in")],
                instructions,
                widths={2: 60, 3: 60},
            ),
        ],
    )


def write_rejections(path: str | os.PathLike[str], rejections: Iterable[Rejection]) -> None:
    """The rejected rows as a workbook: row number, column, reason."""
    rows = [[r.row_number, r.column, r.reason] for r in rejections]
    write_table(
        path,
        [_("Row"), _("Column"), _("Reason")],
        rows,
        title=_("Rejected rows"),
        widths={0: 8, 2: 80},
    )
