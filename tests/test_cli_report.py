"""`kac-desktop report --db PATH --month YYYY-MM [--branch NAME] --xlsx FILE --pdf FILE`
(docs/DOMAIN.md §6): the command signs in, writes both files and leaves an audit record."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from kac_desktop.cli import main
from kac_desktop.models import AuditRecord
from tests.report_data import build_sample


@pytest.fixture(autouse=True)
def _signed_in(monkeypatch):
    monkeypatch.setenv("KAC_PASSWORD", "Test-Passw0rd")


def _args(db, tmp_path, user, *more):
    return [
        "report",
        "--db",
        db.url,
        "--user",
        user,
        "--month",
        "2026-03",
        "--xlsx",
        str(tmp_path / "r.xlsx"),
        "--pdf",
        str(tmp_path / "r.pdf"),
        *more,
    ]


def test_supervisor_makes_both_files(db, org, tmp_path, capsys):
    build_sample(db, org)
    assert main(_args(db, tmp_path, "sup_a")) == 0
    out = capsys.readouterr().out
    assert "鼓楼支局" in out and "r.xlsx" in out and "r.pdf" in out
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    sheet = load_workbook(tmp_path / "r.xlsx")["客户用邮明细"]
    assert "鼓楼支局" in sheet["A2"].value
    with db.session() as session:
        made = session.query(AuditRecord).filter_by(action="report.make").one()
    assert made.user_login == "sup_a" and made.details["month"] == "2026-03"


def test_city_center_names_one_branch(db, org, tmp_path, capsys):
    build_sample(db, org)
    assert main(_args(db, tmp_path, "admin", "--branch", "仓山支局")) == 0
    sheet = load_workbook(tmp_path / "r.xlsx")["客户用邮明细"]
    assert "仓山支局" in sheet["A2"].value
    assert sheet["A4"].value == "仓山物流有限公司"


def test_errors_are_clear_and_write_nothing(db, org, tmp_path, capsys):
    build_sample(db, org)
    assert main(_args(db, tmp_path, "sup_a", "--branch", "仓山支局")) == 2
    assert "仓山支局" in capsys.readouterr().err
    bad = _args(db, tmp_path, "sup_a")
    bad[bad.index("2026-03")] = "2026-3x"
    assert main(bad) == 2
    assert "YYYY-MM" in capsys.readouterr().err
    assert not (tmp_path / "r.xlsx").exists() and not (tmp_path / "r.pdf").exists()
