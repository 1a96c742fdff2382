"""The import dialog as a user drives it: choose a workbook, see the rejected rows, import
only the valid ones; nothing is written before that choice (docs/DOMAIN.md §2, issue: import)."""

from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import func, select

from kac_desktop.models import Customer
from kac_desktop.rules.credit_code import make_credit_code
from kac_desktop.views import customer_import as dialog_module
from kac_desktop.views.customer_import import CustomerImportDialog


def _workbook(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位名称", "统一社会信用代码", "客户类型", "性质", "区域", "联系人", "手机"])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return str(path)


def _count(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Customer))


@pytest.fixture
def mixed(tmp_path):
    return _workbook(
        tmp_path / "mixed.xlsx",
        [
            [
                "福州闽江电子商务有限公司",
                make_credit_code("91350100MA000010"),
                "大客户",
                "企业",
                "城区",
                "王强",
                "13906001234",
            ],
            [
                "福建海峡物流有限公司",
                make_credit_code("91350100MA000020"),
                "大客户",
                "企业",
                "城区",
                "刘芳",
                "1380000",
            ],
        ],
    )


@pytest.fixture
def messages(monkeypatch):
    shown = []
    for kind in ("information", "warning"):
        monkeypatch.setattr(
            dialog_module.QMessageBox,
            kind,
            lambda parent, title, text, *a, _k=kind, **kw: shown.append((_k, text)),
        )
    return shown


def test_preview_lists_rejected_rows_and_writes_nothing(qtbot, db, org, mixed, messages):
    dialog = CustomerImportDialog(db, org.mgr_a1)
    qtbot.addWidget(dialog)
    dialog.open_file(mixed)
    assert dialog.combos["name"].currentText() == "单位名称"  # recognised by itself
    assert dialog.rows_model.rowCount() == 1
    assert dialog.rejections_model.rowCount() == 1
    rejected = [dialog.rejections_model.index(0, c).data() for c in range(3)]
    assert rejected[0] == "3" and rejected[1] == "手机" and "11" in rejected[2]
    assert not dialog.import_all.isEnabled()
    assert dialog.import_valid.isEnabled()
    assert _count(db) == 0


def test_import_valid_rows_only(qtbot, db, org, mixed, messages):
    dialog = CustomerImportDialog(db, org.mgr_a1)
    qtbot.addWidget(dialog)
    changes = []
    dialog.imported.connect(changes.append)
    dialog.open_file(mixed)
    dialog.run_import(skip_invalid=True)
    assert _count(db) == 1
    assert changes and changes[0].kind == "customer"
    assert messages and messages[-1][0] == "information"


def test_a_text_file_named_xlsx_gets_a_clear_message(qtbot, db, org, tmp_path, messages):
    bogus = tmp_path / "not-a-workbook.xlsx"
    bogus.write_text("客户名称,电话\n", encoding="utf-8")
    dialog = CustomerImportDialog(db, org.mgr_a1)
    qtbot.addWidget(dialog)
    dialog.open_file(str(bogus))
    assert messages and messages[-1][0] == "warning"
    assert "not-a-workbook.xlsx" in messages[-1][1]
    assert not dialog.import_all.isEnabled() and not dialog.import_valid.isEnabled()
    assert _count(db) == 0


def test_the_mapping_is_remembered(qtbot, db, org, tmp_path, messages):
    path = _workbook(
        tmp_path / "odd.xlsx",
        [
            [
                "福州闽江电子商务有限公司",
                make_credit_code("91350100MA000010"),
                "大客户",
                "企业",
                "城区",
                "王强",
                "13906001234",
            ]
        ],
    )
    # a header nobody recognises: the user maps it by hand once
    wb = openpyxl.load_workbook(path)
    wb.active["A1"] = "甲方单位"
    wb.save(path)
    first = CustomerImportDialog(db, org.mgr_a1)
    qtbot.addWidget(first)
    first.open_file(path)
    combo = first.combos["name"]
    combo.setCurrentIndex(combo.findText("甲方单位"))
    first.run_preview()
    assert first.rows_model.rowCount() == 1
    second = CustomerImportDialog(db, org.mgr_a1)
    qtbot.addWidget(second)
    second.open_file(path)
    assert second.combos["name"].currentText() == "甲方单位"


@pytest.mark.parametrize("which", ["customers", "revenue"])
def test_the_window_reads_the_workbook_once_per_preview(
    qtbot, db, org, mixed, messages, monkeypatch, which
):
    """The columns for the mapping and the rows for the preview come from one reading of
    the workbook (at 120,000 rows a reading is most of a second)."""
    from kac_desktop.io import workbook
    from kac_desktop.services import customer_import, revenue_import
    from kac_desktop.views import import_dialog
    from kac_desktop.views.revenue_import import RevenueImportDialog

    reads = []

    def counting(path, *, tidy=True):
        reads.append(tidy)
        return workbook.read_table(path, tidy=tidy)

    for module in (import_dialog, customer_import, revenue_import):
        monkeypatch.setattr(module, "read_table", counting)
    cls = CustomerImportDialog if which == "customers" else RevenueImportDialog
    dialog = cls(db, org.mgr_a1)
    qtbot.addWidget(dialog)
    dialog.open_file(mixed)
    assert dialog.headers and len(reads) == 1
    service = customer_import if which == "customers" else revenue_import
    assert reads == [service.READ_TIDY]  # as the service itself would read it
    dialog.run_preview()  # the user changed the mapping: read again, once
    assert len(reads) == 2
