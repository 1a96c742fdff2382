"""Packages that are refused, each with its message, and nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kac_desktop.models import Base
from kac_desktop.services import sync as sync_service
from kac_desktop.services.sync import PackageError

from .conftest import set_up_branch, sign_in


def snapshot(db) -> dict[str, int]:
    """The number of rows of every table (an import that was refused leaves them all)."""
    with db.session() as session:
        return {
            name: session.scalar(select(func.count()).select_from(table))
            for name, table in Base.metadata.tables.items()
        }


@pytest.fixture
def two_sites(db, org, tmp_path):
    a = set_up_branch(db, org.admin, "鼓楼支局", tmp_path, "gulou")
    b = set_up_branch(db, org.admin, "仓山支局", tmp_path, "cangshan")
    return a, b


def test_a_package_for_another_branch_is_refused(db, org, two_sites, courier, english):
    a, b = two_sites
    package = courier.down(db, org.admin, "鼓楼支局")
    other = sign_in(b.db, "mgr_b1")
    before = snapshot(b.db)
    with pytest.raises(PackageError, match="is for 鼓楼支局, not for this PC"):
        sync_service.run_import(b.db, other, package)
    assert snapshot(b.db) == before
    # a branch's own package imported back into itself is not for it either
    manager = sign_in(a.db, "mgr_a1")
    mine = courier.up(a.db, manager)
    before = snapshot(a.db)
    with pytest.raises(PackageError, match="not for this PC"):
        sync_service.run_import(a.db, manager, mine)
    assert snapshot(a.db) == before


def test_an_altered_package_is_refused(db, org, two_sites, courier, english):
    a, _b = two_sites
    package = courier.up(a.db, sign_in(a.db, "mgr_a1"))
    data = bytearray(package.read_bytes())
    data[-100] ^= 0x20
    package.write_bytes(bytes(data))
    before = snapshot(db)
    with pytest.raises(PackageError, match="signature does not match"):
        sync_service.run_import(db, org.admin, package)
    assert snapshot(db) == before


def test_a_cut_package_is_refused(db, org, two_sites, courier, english):
    a, _b = two_sites
    package = courier.up(a.db, sign_in(a.db, "mgr_a1"))
    package.write_bytes(package.read_bytes()[:-10])
    before = snapshot(db)
    with pytest.raises(PackageError, match="incomplete"):
        sync_service.run_import(db, org.admin, package)
    assert snapshot(db) == before


def test_an_unknown_sender_is_refused(db, org, two_sites, courier, tmp_path, english, build_org):
    from kac_desktop.db import open_database

    a, _b = two_sites
    other_center = open_database(tmp_path / "other-center.db")
    other = build_org(other_center)
    (tmp_path / "elsewhere").mkdir()
    stranger = set_up_branch(other_center, other.admin, "鼓楼支局", tmp_path / "elsewhere", "x")
    package = courier.down(other_center, other.admin, "鼓楼支局")
    manager = sign_in(a.db, "mgr_a1")
    before = snapshot(a.db)
    with pytest.raises(PackageError, match="not for this PC|does not know"):
        sync_service.run_import(a.db, manager, package)
    assert snapshot(a.db) == before
    # a package of the other center's branch PC, to this center
    up = courier.up(stranger.db, sign_in(stranger.db, "mgr_a1"))
    before = snapshot(db)
    with pytest.raises(PackageError, match="not for this PC|does not know"):
        sync_service.run_import(db, org.admin, up)
    assert snapshot(db) == before


def test_a_revoked_branch_is_refused(db, org, two_sites, courier, english):
    a, _b = two_sites
    package = courier.up(a.db, sign_in(a.db, "mgr_a1"))
    assert sync_service.revoke(db, org.admin, "鼓楼支局") == "鼓楼支局"
    before = snapshot(db)
    with pytest.raises(PackageError, match="revoked"):
        sync_service.run_import(db, org.admin, package)
    assert snapshot(db) == before


def test_a_replay_is_already_had_and_writes_nothing(db, org, two_sites, courier):
    a, _b = two_sites
    package = courier.up(a.db, sign_in(a.db, "mgr_a1"))
    sync_service.run_import(db, org.admin, package)
    before = snapshot(db)
    assert sync_service.run_import(db, org.admin, package).already_had
    assert snapshot(db) == before


def test_a_starting_package_needs_its_code_and_an_empty_database(db, org, tmp_path, english):
    from kac_desktop.db import open_database

    package = tmp_path / "setup.kacsync"
    made = sync_service.export_for_branch(db, org.admin, "鼓楼支局", package)
    fresh = open_database(tmp_path / "fresh.db")
    before = snapshot(fresh)
    with pytest.raises(PackageError, match="set-up code does not open"):
        sync_service.run_import(fresh, None, package, code="AAAAA-BBBBB-CCCCC-DDDDD-EEEEE")
    assert snapshot(fresh) == before
    with pytest.raises(PackageError, match="already holds data"):
        sync_service.run_import(db, org.admin, package, code=made.setup_code)


def test_a_preview_writes_nothing(db, org, two_sites, courier):
    a, _b = two_sites
    from kac_desktop.services import customers as customer_service
    from tests.conftest import customer_data

    manager = sign_in(a.db, "mgr_a1")
    customer_service.save_customer(
        a.db, manager, customer_data("福建新大陆科技有限公司", manager=manager, nature="individual")
    )
    package = courier.up(a.db, manager)
    before = snapshot(db)
    seen = sync_service.run_import(db, org.admin, package, preview=True)
    assert seen.new == 2 and seen.preview
    assert snapshot(db) == before
    assert sync_service.run_import(db, org.admin, package).new == 2
