"""`kac-desktop settings holidays list|import|add`: the working-day calendar on the command
line, signed in, administrators only; a bad schedule says why and writes nothing."""

from __future__ import annotations

import pytest

from kac_desktop.cli import main
from kac_desktop.services import calendar as calendar_service
from tests.rules.test_calendar import NOTICE_2027
from tests.services.test_calendar_service import LibraryTo2026


@pytest.fixture(autouse=True)
def _signed_in(monkeypatch):
    monkeypatch.setenv("KAC_PASSWORD", "Test-Passw0rd")
    library = LibraryTo2026()
    monkeypatch.setattr(calendar_service, "_library", lambda: library)


@pytest.fixture
def path(db, org, tmp_path):
    return db.url


def run(capsys, *args):
    code = main(["--lang", "zh_CN", "settings", "holidays", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_import_the_notice_then_list(capsys, path, tmp_path):
    notice = tmp_path / "通知.txt"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    code, out, err = run(capsys, "import", str(notice), "--db", path, "--user", "admin")
    assert code == 0, err
    assert "已保存2027年的节假日安排" in out
    code, out, _err = run(capsys, "list", "--db", path, "--user", "admin")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "期限按自然日计算。"
    assert lines[1].startswith("2027\t本中心录入\t放假 2")
    assert any(line.startswith("2026\t库数据 chinesecalendar") for line in lines)
    code, out, _err = run(capsys, "list", "--year", "2027", "--db", path, "--user", "admin")
    assert "2027-02-14\t周日\t调休上班\t春节" in out.splitlines()


def test_add_a_holiday_block_and_a_bad_one(capsys, path, tmp_path):
    notice = tmp_path / "2027.txt"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    run(capsys, "import", str(notice), "--db", path, "--user", "admin")
    code, out, err = run(
        capsys,
        "add",
        "--name",
        "植树节",
        "--holiday",
        "2027-03-12",
        "--db",
        path,
        "--user",
        "admin",
    )
    assert code == 0, err
    code, out, err = run(
        capsys, "add", "--name", "春节", "--workday", "2027-03-03", "--db", path, "--user", "admin"
    )
    assert code == 2 and "本来就是工作日" in err and "Traceback" not in err
    code, out, err = run(
        capsys, "add", "--name", "春节", "--holiday", "2027-02-30", "--db", path, "--user", "admin"
    )
    assert code == 2 and "不是日期" in err


def test_refused_to_anyone_but_an_administrator(capsys, path, tmp_path):
    notice = tmp_path / "2027.txt"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    for login in ("sup_a", "mgr_a1"):
        for args in (("list",), ("import", str(notice))):
            code, out, err = run(capsys, *args, "--db", path, "--user", login)
            assert code == 2 and "管理员" in err and out == ""


def test_a_year_without_spring_festival_writes_nothing(capsys, path, tmp_path):
    notice = tmp_path / "partial.txt"
    notice.write_text("2027年部分节假日安排\n一、元旦：1月1日（周五）放假，与周末连休。\n", "utf-8")
    code, _out, err = run(capsys, "import", str(notice), "--db", path, "--user", "admin")
    assert code == 2 and "春节" in err
    code, out, _err = run(capsys, "list", "--db", path, "--user", "admin")
    assert "本中心录入" not in out
