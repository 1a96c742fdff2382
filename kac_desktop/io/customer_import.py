"""Customer files from an Excel workbook: which column holds what, cells to ``CustomerData``,
and every row checked by the same rules as the editor (docs/DOMAIN.md §2).

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

import os
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kac_desktop.i18n import N_, _, gettext_in
from kac_desktop.models import Contact, Customer
from kac_desktop.progress import Progress
from kac_desktop.rules import vocab
from kac_desktop.rules.credit_code import make_credit_code, normalise_credit_code
from kac_desktop.rules.customer import ContactData, CustomerData
from kac_desktop.rules.names import normalise_name
from kac_desktop.rules.validation import validate_customer

from . import mapping as _mapping
from .cells import CellProblem, cell_text, parse_amount, parse_date, quoted
from .mapping import (
    MAPPING_FORMAT,
    ImportField,
    Rejection,
    header_key,
    load_mapping,
    mapping_by_header,
    missing_columns,
    report_row,
    save_mapping,
    write_rejections,
)
from .workbook import SheetSpec, Table, write_workbook

__all__ = [
    "FIELDS",
    "FIELDS_BY_KEY",
    "MAPPING_FORMAT",
    "ImportField",
    "ImportRow",
    "ParsedImport",
    "Rejection",
    "cell_text",
    "display_value",
    "guess_mapping",
    "header_key",
    "load_mapping",
    "mapping_by_header",
    "mapping_from_headers",
    "missing_columns",
    "missing_required",
    "parse",
    "parse_amount",
    "parse_date",
    "report_row",
    "save_mapping",
    "write_rejections",
    "write_template",
]

# a cell this import cannot read (the name the parser's callers know)
_Problem = CellProblem

# ---------------------------------------------------------------- the importable fields


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
            "纳税人识别号",
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
        "registered_on",
        N_("Registration date"),
        "date",
        (
            "登记日期",
            "建档日期",
            "入档日期",
            "登记时间",
            "建档时间",
            "Registration date",
            "Registered on",
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


def guess_mapping(headers: Sequence[str], fields: Sequence[ImportField] = FIELDS) -> dict[str, int]:
    """``mapping.guess_mapping`` for the customer fields (unless ``fields`` says otherwise)."""
    return _mapping.guess_mapping(headers, fields)


def mapping_from_headers(
    headers: Sequence[str], saved: Mapping[str, str], fields: Sequence[ImportField] = FIELDS
) -> dict[str, int]:
    """``mapping.mapping_from_headers`` for the customer fields."""
    return _mapping.mapping_from_headers(headers, saved, fields)


# field names of validate_customer that are not columns of their own
_VALIDATION_FIELD = {"manager_id": "manager", "branch_id": "manager"}
# "give a phone or a mobile number" when the sheet has only a mobile column
_NEAREST_COLUMN = {"contact_phone": "contact_mobile"}

# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class ImportRow:
    row_number: int  # the Excel row number (the header is row 1)
    data: CustomerData


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
        self.scales: dict[str, int] = {}
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
                        value=quoted(text), allowed=choices.allowed()
                    )
                )
            return code
        if f.kind == "list":
            return self._codes(f, cell_text(value))
        if f.kind == "date":
            return parse_date(value)
        if f.kind == "amount":
            return parse_amount(value, self.scales.get(f.key, 1))
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
                    values=quoted("、".join(unknown)), allowed=choices.allowed()
                )
            )
        return codes


# ---------------------------------------------------------------- parsing


def missing_required(mapping: Mapping[str, int]) -> list[ImportField]:
    return [f for f in FIELDS if f.required and f.key not in mapping]


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
    # a money column headed 欠费(万元) holds ten-thousands of yuan
    converter.scales = {
        f.key: _mapping.amount_scale(headers[column]) for f, column in mapped if f.kind == "amount"
    }

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
        "registered_on": date(2024, 1, 1),
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
        "registered_on": _(
            "The day the customer came on the branch's files; reports count it from then. "
            "Blank means the day of the import."
        ),
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
