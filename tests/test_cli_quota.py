"""`kac-desktop quota --db PATH --month YYYY-MM [--manager LOGIN]` prints the compliance table
(customer, class, required, done, state) and the rate (docs/DOMAIN.md §3)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from kac_desktop.cli import main
from kac_desktop.models import Customer
from kac_desktop.rules.quota import LOCAL_TZ
from kac_desktop.rules.visits import VisitData
from kac_desktop.services import customers as cs
from kac_desktop.services import visits as vs
from kac_desktop.services.changes import Kind


@pytest.fixture(autouse=True)
def _signed_in(monkeypatch):
    monkeypatch.setenv("KAC_PASSWORD", "Test-Passw0rd")


@pytest.fixture
def month_of_visits(db, org, make_customer):
    gold = cs.save_customer(
        db,
        org.sup_a,
        make_customer("福州华闽贸易有限公司", manager=org.mgr_a1, nature="individual", tier="gold"),
    ).first(Kind.CUSTOMER)
    cs.save_customer(
        db,
        org.mgr_a2,
        make_customer("厦门海天科技有限公司", manager=org.mgr_a2, nature="individual"),
    )
    with db.session() as session, session.begin():
        session.execute(
            update(Customer).values(
                created_at=datetime(2020, 1, 1, tzinfo=UTC), registered_on=date(2020, 1, 1)
            )
        )
    for day in (3, 17):
        vs.log_visit(
            db,
            org.mgr_a1,
            VisitData(
                customer_id=gold,
                visited_at=datetime(2026, 3, day, 10, tzinfo=LOCAL_TZ),
                summary="上门拜访",
            ),
        )
    return gold


def run(db, *extra) -> list[str]:
    return ["quota", "--db", db.url, *extra]


def test_quota_table_for_a_manager(db, org, month_of_visits, tmp_path, capsys):
    assert main(run(db, "--month", "2026-03", "--manager", "mgr_a1", "--user", "sup_a")) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("福州华闽贸易有限公司"))
    assert line.split() == ["福州华闽贸易有限公司", "二类", "2", "2", "已达标"]
    assert "厦门海天科技有限公司" not in out
    assert "达标率 100.0%" in out


def test_quota_table_for_the_branch_shows_who_is_behind(db, org, month_of_visits, tmp_path, capsys):
    assert main(run(db, "--month", "2026-03", "--user", "sup_a")) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("厦门海天科技有限公司"))
    assert line.split()[1:] == ["王经理", "三类", "1", "0", "未达标"]
    assert "合计：应走访 2 户，达标 1 户，落后 1 户；达标率 50.0%" in out


def test_bad_month_and_unknown_manager_are_clear_errors(db, org, tmp_path, capsys):
    assert main(run(db, "--month", "2026-13", "--user", "sup_a")) == 2
    assert "2026-13" in capsys.readouterr().err
    assert main(run(db, "--month", "2026-03", "--manager", "mgr_b1", "--user", "sup_a")) == 2
    assert "mgr_b1" in capsys.readouterr().err
