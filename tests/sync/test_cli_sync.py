"""`kac-desktop sync …`: the flow on the command line, signed in; refusals in Chinese with
nothing written."""

from __future__ import annotations

import re

import pytest

from kac_desktop.cli import main
from kac_desktop.services import customers as customer_service
from tests.conftest import customer_data

from .conftest import sign_in


@pytest.fixture(autouse=True)
def _signed_in(monkeypatch):
    monkeypatch.setenv("KAC_PASSWORD", "Test-Passw0rd")


def run(capsys, *args):
    code = main(["--lang", "zh_CN", "sync", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.sqlite_only("the command line is given the center's file with --db")
def test_center_to_branch_and_back(capsys, db, org, tmp_path):
    center = str(db.path)
    branch = str(tmp_path / "branch.db")
    setup = str(tmp_path / "setup.kacsync")
    code, out, err = run(
        capsys, "export", "--db", center, "--for", "鼓楼支局", "--to", setup, "--user", "admin"
    )
    assert code == 0, err
    assert "设置码" in out
    found = re.search(r"([A-Z2-9]{5}(?:-[A-Z2-9]{5}){4})", out)
    assert found, out
    # a wrong code: refused in words, and no database is left half set up
    code, out, err = run(
        capsys, "import", setup, "--db", branch, "--code", "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA"
    )
    assert code == 2 and "设置码打不开" in err
    code, out, err = run(capsys, "import", setup, "--db", branch, "--code", found.group(1))
    assert code == 0, err
    assert "新增" in out
    # a week offline at the branch
    from kac_desktop.db import open_database

    site = open_database(branch)
    manager = sign_in(site, "mgr_a1")
    customer_service.save_customer(
        site, manager, customer_data("闽侯县青口镇农资站", manager=manager, nature="individual")
    )
    site.dispose()
    code, out, err = run(capsys, "status", "--db", branch, "--user", "mgr_a1")
    assert code == 0, err
    assert "待发送：" in out
    up = str(tmp_path / "up.kacsync")
    code, out, err = run(capsys, "export", "--db", branch, "--to", up, "--user", "mgr_a1")
    assert code == 0, err
    code, out, err = run(capsys, "import", up, "--db", center, "--user", "admin", "--preview")
    assert code == 0 and "将带来" in out, err
    code, out, err = run(capsys, "import", up, "--db", center, "--user", "admin")
    assert code == 0 and "新增：2" in out, out
    code, out, err = run(capsys, "import", up, "--db", center, "--user", "admin")
    assert code == 0 and "已有" in out
    # a manager of the branch may not import at the center
    code, out, err = run(capsys, "conflicts", "list", "--db", center, "--user", "admin")
    assert code == 0 and "没有冲突" in out
    code, out, err = run(capsys, "revoke", "鼓楼支局", "--db", center, "--user", "admin")
    assert code == 0, err
    up2 = str(tmp_path / "up2.kacsync")
    run(capsys, "export", "--db", branch, "--to", up2, "--user", "mgr_a1")
    code, out, err = run(capsys, "import", up2, "--db", center, "--user", "admin")
    assert code == 2 and "吊销" in err


@pytest.mark.sqlite_only("the command line is given the center's file with --db")
def test_a_file_that_is_no_package(capsys, db, org, tmp_path):
    junk = tmp_path / "junk.kacsync"
    junk.write_bytes(b"not a package")
    code, out, err = run(capsys, "import", str(junk), "--db", str(db.path), "--user", "admin")
    assert code == 2
    assert "不是 kac_desktop 的数据交换包" in err
