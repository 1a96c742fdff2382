"""Text matching that answers alike on SQLite and on PostgreSQL.

SQLite's ``LIKE`` takes the letters A-Z and a-z as the same and every other character as it
is; PostgreSQL's ``LIKE`` is case-sensitive (and its ``ILIKE`` folds every alphabet, by the
server's locale).  ``contains_text`` asks SQLite's question on both: on PostgreSQL the
column's A-Z are lowered with ``translate`` and the pattern's in Python, nothing else.

The customer search needs none of this: its texts and queries are folded to lower case
before they meet (rules/search_keys.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = _UPPER.lower()
_TO_LOWER = str.maketrans(_UPPER, _LOWER)


class ascii_lower(FunctionElement[str]):  # noqa: N801 - an SQL function's name
    """The text with A-Z lowered and everything else as it is (SQLite: the text itself,
    whose LIKE already ignores the case of A-Z)."""

    inherit_cache = True
    name = "ascii_lower"


@compiles(ascii_lower)
def _ascii_lower_sqlite(element: ascii_lower, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(ascii_lower, "postgresql")
def _ascii_lower_postgresql(element: ascii_lower, compiler: Any, **kw: Any) -> str:
    return f"translate({compiler.process(element.clauses, **kw)}, '{_UPPER}', '{_LOWER}')"


def escape_like(text: str) -> str:
    """``text`` with LIKE's % _ and \\ taken literally (with ``escape="\\"``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_text(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` holds ``text`` anywhere, A-Z and a-z taken alike (SQLite's LIKE)."""
    pattern = "%" + escape_like(text.translate(_TO_LOWER)) + "%"
    return ascii_lower(column).like(pattern, escape="\\")


def starts_with_text(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` starts with ``text``, A-Z and a-z taken alike (SQLite's LIKE 'x%')."""
    return ascii_lower(column).like(escape_like(text.translate(_TO_LOWER)) + "%", escape="\\")
