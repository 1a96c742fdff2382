"""What every Excel import shares: the importable fields, which column holds which field
(recognised by header text, or a mapping the user saved), the rejected rows and their
workbook, the message for a missing column and the progress of checking row by row.

The customer import (``io.customer_import``) and the revenue import (``io.revenue_import``)
each define their own ``FIELDS`` and conversions and use this module for the rest; neither
imports the other.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kac_desktop.i18n import _, gettext_in
from kac_desktop.progress import Progress, check

from .workbook import Table, WorkbookError, write_table

# the format tag of a saved mapping file (its old name is kept: saved files carry it)
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


# ---------------------------------------------------------------- which column holds what

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


def _alias_index(fields: Sequence[ImportField]) -> dict[str, str]:
    index: dict[str, str] = {}
    for f in fields:
        names = (*f.aliases, f.label, gettext_in("zh_CN", f.label), _(f.label))
        for name in names:
            key = header_key(name)
            if key:
                index.setdefault(key, f.key)
    return index


# words that make a header mean something no import reads, though it contains a field's
# word: 客户经理 is not the customer (客户), 联系电话 of a revenue sheet is no amount …
_OTHER_MEANINGS = ("客户经理", "经理", "业务员", "序号", "编号", "电话", "地址", "联系人", "备注")
_IGNORED = ""

# inside a longer header a field's name counts when it says enough by itself: three
# characters or more (产品线, 客户名称), or one of these two-character words; 名称, 客户,
# 产品 or 业务 alone say too little (科目名称, 产品大类, 业务员 are no fields)
_SHORTEST_WORD = 3
_SHORT_WORDS = frozenset({"金额", "收入", "月份", "期间", "账期", "地址", "电话", "手机", "邮箱"})


def _telling(word: str) -> bool:
    return any(ord(c) > 0x2E7F for c in word) and (
        len(word) >= _SHORTEST_WORD or word in _SHORT_WORDS
    )


@dataclass(frozen=True)
class Recognised:
    """What the headers say by themselves: field key → column, and the fields that several
    columns claim equally (field key → their columns), which are left unmapped."""

    mapping: dict[str, int]
    ambiguous: dict[str, tuple[int, ...]]

    def problem(self, headers: Sequence[str], fields: Sequence[ImportField]) -> str:
        """The ambiguities in the user's words ("" when there is none)."""
        labels = {f.key: _(f.label) for f in fields}
        lines = [
            _("Several columns could hold the {field}: {headers}.").format(
                field=labels.get(key, key),
                headers="、".join(f"“{headers[c]}”" for c in columns),
            )
            for key, columns in self.ambiguous.items()
        ]
        if not lines:
            return ""
        return " ".join(
            [
                *lines,
                _(
                    "Choose the column in the column mapping (on the command line: "
                    "--column FIELD=HEADER, e.g. --column {key}=“{header}”)."
                ).format(
                    key=next(iter(self.ambiguous)),
                    header=headers[next(iter(self.ambiguous.values()))[0]],
                ),
            ]
        )


def _claim(key: str, index: Mapping[str, str]) -> tuple[str, int] | None:
    """The field a header (as ``header_key``) names and how strongly: an exact alias
    (strength 10,000), else the longest alias or other meaning found inside it (strength its
    length); None when it names nothing, or two different things equally."""
    exact = index.get(key)
    if exact is not None:
        return exact, 10_000
    best: dict[str, int] = {}
    for word, field_key in index.items():
        if word in key and _telling(word):
            best[field_key] = max(best.get(field_key, 0), len(word))
    for word in _OTHER_MEANINGS:
        if word in key and word not in index:  # the customer import reads 客户经理, 电话 …
            best[_IGNORED] = max(best.get(_IGNORED, 0), len(word))
    if not best:
        return None
    strongest = max(best.values())
    winners = [k for k, n in best.items() if n == strongest]
    if len(winners) != 1:
        return None  # 产品收入: as much a product as a revenue, so neither
    return winners[0], strongest


def recognise(headers: Sequence[str], fields: Sequence[ImportField]) -> Recognised:
    """Which column holds which field, by what its header means: the header compared as
    ``header_key`` does (full-width or half-width, without units in brackets such as
    （元）), as one of the field's names, or else containing one (产品线名称 → product line,
    the longest name found deciding; 客户经理 is no customer name).  A header that is a
    field's name beats one that only contains a name; two columns claiming a field equally
    are reported in ``ambiguous``, never guessed between."""
    index = _alias_index(fields)
    claims: dict[str, list[tuple[int, int]]] = {}
    for column, header in enumerate(headers):
        key = header_key(header)
        if not key:
            continue
        found = _claim(key, index)
        if found is None or found[0] == _IGNORED:
            continue
        claims.setdefault(found[0], []).append((found[1], column))
    mapping: dict[str, int] = {}
    ambiguous: dict[str, tuple[int, ...]] = {}
    for field in fields:
        candidates = claims.get(field.key)
        if not candidates:
            continue
        strongest = max(strength for strength, _column in candidates)
        columns = tuple(column for strength, column in candidates if strength == strongest)
        if len(columns) == 1:
            mapping[field.key] = columns[0]
        else:
            ambiguous[field.key] = columns
    return Recognised(mapping, ambiguous)


def guess_mapping(headers: Sequence[str], fields: Sequence[ImportField]) -> dict[str, int]:
    """Field key → column index for the headers that name a field (``recognise``; a field
    that several columns claim is left out)."""
    return recognise(headers, fields).mapping


def named_columns(
    headers: Sequence[str], named: Mapping[str, str], fields: Sequence[ImportField]
) -> dict[str, int]:
    """Field key → column for the columns the user named (``--column FIELD=HEADER``): the
    header compared as ``header_key`` does.  Raises ``WorkbookError`` for an unknown field
    or a header the sheet does not have."""
    keys = {f.key for f in fields}
    by_key: dict[str, int] = {}
    for column, header in enumerate(headers):
        by_key.setdefault(header_key(header), column)
    mapping: dict[str, int] = {}
    for key, header in named.items():
        if key not in keys:
            raise WorkbookError(
                _("There is no field “{field}”. The fields are: {fields}.").format(
                    field=key, fields=", ".join(f.key for f in fields)
                )
            )
        found = by_key.get(header_key(header))
        if found is None:
            raise WorkbookError(
                _("The sheet has no column “{header}”. The columns found are: {headers}.").format(
                    header=header, headers="、".join(h for h in headers if h) or "-"
                )
            )
        mapping[key] = found
    return mapping


def choose_columns(
    headers: Sequence[str],
    fields: Sequence[ImportField],
    *,
    named: Mapping[str, str] | None = None,
    saved: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """The mapping an import without a hand-made one uses: the columns the user named,
    then a saved mapping (``mapping_from_headers``), then what the other headers mean.
    Raises ``WorkbookError`` when several columns claim a field nobody named."""
    chosen = named_columns(headers, named or {}, fields)
    used = set(chosen.values())
    if saved is not None:
        for key, column in mapping_from_headers(headers, saved, fields).items():
            if key not in chosen and column not in used:
                chosen[key] = column
                used.add(column)
        return chosen
    found = recognise(headers, fields)
    for key, column in found.mapping.items():
        if key not in chosen and column not in used:
            chosen[key] = column
            used.add(column)
    left = Recognised(
        {},
        {
            key: columns
            for key, columns in found.ambiguous.items()
            if key not in chosen and len([c for c in columns if c not in used]) > 1
        },
    )
    problem = left.problem(headers, fields)
    if problem:
        raise WorkbookError(problem)
    return chosen


# units a money column's header may give, in yuan: 金额(万元) is not 元
_UNITS = (("亿元", 100_000_000), ("万元", 10_000), ("千元", 1_000), ("元", 1))
_FOREIGN = ("美元", "港元", "港币", "欧元", "日元", "usd", "hkd", "eur")


def amount_scale(header: object) -> int:
    """The yuan one unit of a money column stands for, by its header: 10,000 for
    ``金额(万元)`` or ``收入（万元）``, 1 for ``收入金额（元）`` or no unit.  Raises
    ``WorkbookError`` for a foreign currency (an amount is never taken as yuan silently)."""
    text = unicodedata.normalize("NFKC", str(header or "")).lower()
    for word in _FOREIGN:
        if word in text:
            raise WorkbookError(
                _(
                    "The column “{header}” holds amounts in a foreign currency; convert them "
                    "to yuan (元) before importing."
                ).format(header=header)
            )
    for word, scale in _UNITS:
        if word in text:
            return scale
    return 1


def mapping_by_header(headers: Sequence[str], mapping: Mapping[str, int]) -> dict[str, str]:
    """The mapping keyed by header text, as ``save_mapping`` stores it; a column mapped to
    no field is kept with ``""`` so that it stays ignored next time."""
    by_column = {column: key for key, column in mapping.items()}
    return {header: by_column.get(column, "") for column, header in enumerate(headers) if header}


def mapping_from_headers(
    headers: Sequence[str], saved: Mapping[str, str], fields: Sequence[ImportField]
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


# ---------------------------------------------------------------- rejected rows and progress


@dataclass(frozen=True)
class Rejection:
    row_number: int
    column: str  # the header of the offending column; "" when it is not one column
    reason: str  # in the user's language


def missing_columns(missing: Sequence[ImportField], headers: Sequence[str]) -> WorkbookError:
    """The error for a sheet in which no column holds the ``missing`` fields: which header
    to write, and the columns there are."""
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
    raises ``Cancelled`` when the user cancelled."""
    count = len(table.rows)
    check(
        progress,
        index / max(count, 1),
        _("Checking row {row} of {count}").format(
            row=table.row_number(index), count=table.row_number(count - 1)
        ),
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
