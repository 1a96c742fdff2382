"""The 数据交换 page: where things stand, an import previewed before anything is written,
a conflict settled with a button."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kac_desktop.io import sync_package
from kac_desktop.models import Customer, SyncLog
from kac_desktop.services import customers as customer_service
from kac_desktop.services import sync as sync_service
from kac_desktop.services.changes import Kind
from tests.sync.conftest import Courier, set_up_branch, sign_in


@pytest.fixture(autouse=True)
def _cheap_codes(monkeypatch):
    monkeypatch.setattr(sync_package, "SCRYPT_N", 2**10)


@pytest.fixture
def exchange(db, org, make_customer, tmp_path):
    """A center and 鼓楼支局's PC, the same customer's address changed on both sides, and
    the branch's package waiting on the stick."""
    cid = customer_service.save_customer(
        db,
        org.mgr_a1,
        make_customer("福州华闽贸易有限公司", manager=org.mgr_a1, nature="individual"),
    ).first(Kind.CUSTOMER)
    site = set_up_branch(db, org.admin, "鼓楼支局", tmp_path, "gulou")
    manager = sign_in(site.db, "mgr_a1")
    for where, actor, address in ((site.db, manager, "鼓楼区一号"), (db, org.admin, "仓山区二号")):
        record = customer_service.get_customer(where, actor, cid)
        data = record.data
        data.address = address
        customer_service.save_customer(
            where, actor, data, customer_id=cid, expected_version=record.version
        )
    stick = tmp_path / "stick"
    stick.mkdir()
    package = Courier(stick).up(site.db, manager)
    return cid, package


def _logged(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(SyncLog))


def test_an_import_is_previewed_and_a_conflict_settled(qtbot, db, org, exchange):
    from kac_desktop.views.sync_page import SyncPage

    cid, package = exchange
    page = SyncPage(db, org.admin)
    qtbot.addWidget(page)
    assert page.peer_model.rowCount() == 1
    before = _logged(db)
    # declined after the preview: nothing written
    shown = []
    assert page.import_file(package, confirm=lambda text: shown.append(text) or False) is None
    assert "冲突：1" in shown[0]
    assert _logged(db) == before
    result = page.import_file(package, confirm=lambda text: True)
    assert result is not None and result.conflicts == 1
    assert page.conflict_model.rowCount() == 1
    assert page.keep_theirs.isEnabled()
    page.keep_theirs.click()
    # the settled conflict stays in the list with the value kept; nothing is left to settle
    assert page.conflict_model.rowCount() == 1
    assert page.conflict_model.index(0, 5).data() == "已处理：保留对方的值"
    assert not page.keep_theirs.isEnabled() and page.selected_conflict() is None
    with db.session() as session:
        assert session.get(Customer, cid).address == "鼓楼区一号"
    assert "未发送：1" in page.summary()  # the settled record goes with the next package


def test_a_refused_package_is_told_and_writes_nothing(qtbot, db, org, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from kac_desktop.views.sync_page import SyncPage

    page = SyncPage(db, org.admin)
    qtbot.addWidget(page)
    told = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: told.append(args[2]))
    junk = tmp_path / "junk.kacsync"
    junk.write_bytes(b"KACSYNC")
    assert page.import_file(junk, confirm=lambda text: True) is None
    assert told and "不完整" in told[0]
    assert sync_service.status(db, org.admin).role is None
