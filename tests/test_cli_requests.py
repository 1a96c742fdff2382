"""`kac-desktop requests --db PATH [--at ISO_TIME] [--state STATE]`: the open requests with
deadline, warning state and time left, computed at --at."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kac_desktop.cli import main
from kac_desktop.rules.deadlines import LOCAL_TZ
from kac_desktop.services import customers as cs
from kac_desktop.services import requests as rs
from kac_desktop.services.changes import Kind
from kac_desktop.services.requests import RequestInput

RECEIVED = datetime(2026, 11, 23, 9, 0, tzinfo=LOCAL_TZ)


@pytest.fixture(autouse=True)
def _signed_in(monkeypatch):
    monkeypatch.setenv("KAC_PASSWORD", "Test-Passw0rd")


@pytest.fixture
def requests_db(db, org, make_customer, tmp_path):
    customer = cs.save_customer(
        db,
        org.mgr_a1,
        make_customer("福州华闽贸易有限公司", code="91350100M000100Y43", manager=org.mgr_a1),
    ).first(Kind.CUSTOMER)
    for received, text in ((RECEIVED, "今日揽收"), (RECEIVED - timedelta(days=1), "昨日揽收")):
        rs.register_request(
            db,
            org.mgr_a1,
            RequestInput(customer_id=customer, description=text, received_at=received),
            now=received,
        )
    return db.url


def run(capsys, *args):
    code = main(["--lang", "zh_CN", "requests", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_lists_open_requests_at_a_given_time(capsys, requests_db):
    code, out, _err = run(
        capsys, "--db", requests_db, "--user", "mgr_a1", "--at", "2026-11-23T14:40"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "截至 2026-11-23 14:40 未办结的服务工单：2 件"
    assert lines[1].split("\t")[:4] == ["超时", "超时 20小时40分", "2026-11-22 18:00", "城区当日"]
    assert lines[2].split("\t")[:4] == ["注意", "剩余 3小时20分", "2026-11-23 18:00", "城区当日"]
    assert "福州华闽贸易有限公司" in lines[2]


def test_filters_by_state_and_moves_with_the_time(capsys, requests_db):
    code, out, _err = run(
        capsys,
        "--db",
        requests_db,
        "--user",
        "mgr_a1",
        "--at",
        "2026-11-23T18:00:01+08:00",
        "--state",
        "overdue",
    )
    assert code == 0 and "：2 件" in out.splitlines()[0]
    code, out, _err = run(
        capsys,
        "--db",
        requests_db,
        "--user",
        "mgr_a1",
        "--at",
        "2026-11-23T09:30",
        "--state",
        "on_track",
    )
    assert "：1 件" in out.splitlines()[0]


def test_a_bad_time_is_refused_clearly(capsys, requests_db):
    code, _out, err = run(capsys, "--db", requests_db, "--user", "mgr_a1", "--at", "tomorrow")
    assert code == 2 and "2026-11-23T17:30" in err


def test_a_bad_state_is_refused(capsys, requests_db):
    with pytest.raises(SystemExit):
        run(capsys, "--db", requests_db, "--state", "late")
