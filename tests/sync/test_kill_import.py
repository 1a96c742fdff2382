"""Proof: an import at the center killed with SIGKILL at random moments (20 runs at least)
leaves the database as it was before the import, or with all of it; the package applied
again afterwards gives the whole of it (docs/ROBUSTNESS.md)."""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kac_desktop.db import cipher, copy_database, open_database
from kac_desktop.models import Customer
from kac_desktop.rules.clock import now as utcnow
from kac_desktop.rules.visits import VisitData
from kac_desktop.services import audit, users
from kac_desktop.services import customers as customer_service
from kac_desktop.services import sync as sync_service
from kac_desktop.services import visits as visit_service
from kac_desktop.services.changes import Kind
from tests.conftest import customer_data

from .conftest import set_up_branch, sign_in

pytestmark = [
    pytest.mark.sqlite_only("kill -9 of a SQLite writer"),
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL"),
]

RUNS = max(20, int(os.environ.get("KILL_RUNS", "25")))
NEW_CUSTOMERS = 120


def _state(path) -> tuple[int, int, int]:
    raw = cipher.connect(str(path))
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return (
            raw.execute("SELECT count(*) FROM customers").fetchone()[0],
            raw.execute("SELECT count(*) FROM visits").fetchone()[0],
            raw.execute("SELECT count(*) FROM sync_log WHERE direction = 'in'").fetchone()[0],
        )
    finally:
        raw.close()


def _import(path, package) -> None:
    db = open_database(path)
    sync_service.run_import(db, users.actor_for(db, "admin"), package)
    db.dispose()


def _fork(path, package) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            _import(path, package)
        except BaseException:
            code = 1
        os._exit(code)
    return pid


def test_kill_9_during_an_import(db, org, tmp_path):
    site = set_up_branch(db, org.admin, "鼓楼支局", tmp_path, "gulou")
    manager = sign_in(site.db, "mgr_a1")
    for i in range(NEW_CUSTOMERS):
        made = customer_service.save_customer(
            site.db,
            manager,
            customer_data(f"杀进程同步{i:03d}号店", manager=manager, nature="individual"),
        )
        cid = made.first(Kind.CUSTOMER)
        visit_service.log_visit(
            site.db,
            manager,
            VisitData(customer_id=cid, visited_at=utcnow() - timedelta(hours=2), summary="离线"),
        )
    package = tmp_path / "up.kacsync"
    sync_service.export_to_center(site.db, manager, package)
    db.dispose()
    template = tmp_path / "center-template.db"
    copy_database(db.path, template)
    work = tmp_path / "work"
    work.mkdir()
    path = work / "center.db"

    copy_database(template, path)
    before = _state(path)
    start = time.perf_counter()
    _import(path, package)
    duration = time.perf_counter() - start
    after = _state(path)
    assert after[0] == before[0] + NEW_CUSTOMERS and after[1] == before[1] + NEW_CUSTOMERS

    rng = random.Random("kill-sync-import")
    outcomes: Counter[str] = Counter()
    for run in range(RUNS):
        for stale in work.glob("center*"):
            stale.unlink()
        copy_database(template, path)
        pid = _fork(path, package)
        time.sleep(rng.uniform(0, duration * 1.1))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        state = _state(path)
        assert state in (before, after), f"run {run}: half an import {state}"
        outcomes["nothing" if state == before else "all"] += 1
        center = open_database(path)
        try:
            with center.session() as session:
                assert audit.verify_chain(session) == [], f"run {run}: chain broken"
                session.scalar(select(func.count()).select_from(Customer))
            # the package carried again: the whole of it, or "already had"
            again = sync_service.run_import(center, users.actor_for(center, "admin"), package)
            assert again.already_had == (state == after)
        finally:
            center.dispose()
        assert _state(path) == after
    assert sum(outcomes.values()) == RUNS
    print(dict(outcomes))
