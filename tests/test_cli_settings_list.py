"""`kac-desktop settings list`: every business setting with its value in force, its default
and who changed it, for anyone signed in."""

from __future__ import annotations

import pytest

from kac_desktop.cli import main
from kac_desktop.rules.defaults import DEFAULTS
from kac_desktop.services import settings as settings_service


@pytest.fixture(autouse=True)
def _signed_in(monkeypatch):
    monkeypatch.setenv("KAC_PASSWORD", "Test-Passw0rd")


def run(capsys, *args):
    code = main(["--lang", "zh_CN", "settings", "list", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_every_setting_is_listed_with_its_default(capsys, db, org):
    code, out, err = run(capsys, "--db", db.url, "--user", "mgr_a1")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split("\t") == ["键", "含义", "当前值", "默认值", "单位", "修改"]
    rows = {line.split("\t")[0]: line.split("\t") for line in lines[1:]}
    assert set(rows) >= set(DEFAULTS)
    assert rows["club.thresholds"][2] == "钻石 1500000 · 白金 300000 · 黄金 150000 · 贵宾 50000"
    assert rows["product_line.letters"][1:5] == [
        "函件：积分折算系数 · 维护增长率",
        "1 · 14.65",
        "1 · 14.65",
        "倍 · %",
    ]
    assert rows["quota.per_class"][2] == "1类 3 · 2类 2 · 3类 1"
    assert rows["visit_class.by_tier"][2] == "钻石 1 · 白金 1 · 黄金 2 · 贵宾 3 · 普通 3"
    assert rows["quota.counting_modes"][2] == "上门走访"
    assert rows["deadline.working_days"][2:4] == ["否", "否"]
    assert rows["inactivity.days"][1:] == [
        "客户多少天未拜访即提醒",
        "30",
        "30",
        "天",
        "默认",
    ]


def test_a_stored_value_shows_beside_its_default_with_who_changed_it(capsys, db, org):
    settings_service.set_value(db, org.admin, "inactivity.days", 45)
    code, out, err = run(capsys, "--db", db.url, "--user", "admin")
    assert code == 0, err
    row = next(line.split("\t") for line in out.splitlines() if line.startswith("inactivity."))
    assert row[2:4] == ["45", "30"]
    assert row[5].endswith(" admin 修改")


def test_a_changed_product_line_shows_beside_its_default(capsys, db, org):
    from decimal import Decimal

    from kac_desktop.services import product_lines

    product_lines.update_product_line(
        db,
        org.admin,
        "express",
        factor=Decimal("1.5"),
        earns_points=True,
        growth_rate=Decimal("0.25"),
    )
    code, out, err = run(capsys, "--db", db.url, "--user", "admin")
    assert code == 0, err
    row = next(line.split("\t") for line in out.splitlines() if "product_line.express" in line)
    assert row[2:4] == ["1.5 · 25.00", "1 · 21.00"]
