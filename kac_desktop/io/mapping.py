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
            index.setdefault(header_key(name), f.key)
    return index


def guess_mapping(headers: Sequence[str], fields: Sequence[ImportField]) -> dict[str, int]:
    """Field key → column index for the headers that name a field (the first such column
    wins; a column serves one field)."""
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
