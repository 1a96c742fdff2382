"""The revenue import's benchmark case (benchmarks/cases_import.py) on a small database: its
workbook holds 12 months of every customer, it imports every row into a copy and leaves the
database it measures as it was (no timing is asserted)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from benchmarks import cases_import
from benchmarks.suite import Context
from kac_desktop.io.workbook import read_table
from kac_desktop.models import AuditRecord, Revenue
from kac_desktop.services import customers as customer_service
from kac_desktop.services import revenue
from kac_desktop.services.changes import Kind

pytestmark = pytest.mark.sqlite_only('the benchmark suite runs on SQLite files')

CODES = ["91350100M000100Y43", "91110000600037341L"]
TODAY = date(2026, 11, 23)  # benchmarks.generate.TODAY: the case's months end 2026-10


def _counts(db):
    with db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Revenue)),
            s.scalar(select(func.count()).select_from(AuditRecord)),
            s.scalar(select(func.sum(Revenue.version))),
        )


def test_the_case_imports_every_row_into_a_copy(db, org, make_customer, tmp_path):
    ids = [
        customer_service.save_customer(
            db, org.mgr_a1, make_customer(f"福州第{i}贸易有限公司", code=code, manager=org.mgr_a1)
        ).first(Kind.CUSTOMER)
        for i, code in enumerate(CODES)
    ]
    ids.append(  # without a credit code: the workbook names it
        customer_service.save_customer(
            db, org.mgr_a1, make_customer("个体户林某", nature="individual", manager=org.mgr_a1)
        ).first(Kind.CUSTOMER)
    )
    # stored months the import replaces (express: not the customer's first line, removed)
    revenue.set_month(
        db, org.mgr_a1, ids[0], 202605, {"letters": D(5), "express": D(7)}, today=TODAY
    )
    revenue.set_month(db, org.mgr_a1, ids[2], 202410, {"letters": D(9)}, today=TODAY)
    before = _counts(db)
    ctx = Context("S", tmp_path / "test.db", quick=True)

    assert cases_import._import(ctx) > 0  # raises unless every row was imported
    assert cases_import._floor(ctx) > 0

    table = read_table(cases_import._workbook(ctx))
    assert len(table.rows) == 12 * len(ids)
    assert {row[0] or row[1] for row in table.rows} == {*CODES, "个体户林某"}
    assert {row[2] for row in table.rows} == {
        *range(202511, 202513),
        *range(202601, 202611),
    }
    assert _counts(db) == before
    assert any(note.startswith("revenue_import phases") for note in ctx.notes)
