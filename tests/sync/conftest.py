"""A city center with two branches' people, and the helpers of an exchange between PCs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from kac_desktop.db import Database, copy_database, open_database
from kac_desktop.io import sync_package
from kac_desktop.services import auth
from kac_desktop.services import sync as sync_service
from kac_desktop.services.context import Actor
from tests.conftest import TEST_PASSWORD


@pytest.fixture(autouse=True)
def _cheap_setup_codes(monkeypatch):
    # scrypt's cost is for an attacker with a stolen stick; the tests make many codes
    monkeypatch.setattr(sync_package, "SCRYPT_N", 2**10)


_TEMPLATE: dict[str, Path] = {}


def new_database(path: Path) -> Database:
    """A new, empty database at ``path``: a copy of one migrated once per session, with a
    chain id of its own (as the first start of a PC makes it)."""
    if "path" not in _TEMPLATE:
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="kac-sync-template-"))
        open_database(folder / "template.db").dispose()
        _TEMPLATE["path"] = folder / "template.db"
    copy_database(_TEMPLATE["path"], path)
    db = open_database(path)
    from sqlalchemy import update

    from kac_desktop.models import AuditHead, new_id

    with db.session() as session, session.begin():
        session.execute(update(AuditHead).values(database_id=new_id()))
    return db


def sign_in(db: Database, login: str) -> Actor:
    return auth.sign_in(db, login, TEST_PASSWORD)


@dataclass
class Site:
    db: Database
    path: Path


def set_up_branch(
    center: Database,
    admin: Actor,
    branch: str,
    folder: Path,
    name: str,
    *,
    first_package: bool = True,
) -> Site:
    """Write the branch's starting package at the center and set a new PC up from it."""
    package = folder / f"setup-{name}.kacsync"
    result = sync_service.export_for_branch(center, admin, branch, package)
    path = folder / f"{name}.db"
    db = new_database(path)
    sync_service.run_import(db, None, package, code=result.setup_code)
    if first_package:
        # the branch's first package registers its keys at the center
        first = folder / f"first-{name}.kacsync"
        manager = branch_manager(db, branch)
        sync_service.export_to_center(db, manager, first)
        sync_service.run_import(center, admin, first)
    return Site(db, path)


def branch_manager(db: Database, branch: str) -> Actor:
    logins = {"鼓楼支局": "mgr_a1", "仓山支局": "mgr_b1"}
    return sign_in(db, logins[branch])


class Courier:
    """Carries packages between PCs, numbering the files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def file(self, what: str) -> Path:
        self.count += 1
        return self.folder / f"{self.count:04d}-{what}.kacsync"

    def up(self, branch: Database, actor: Actor) -> Path:
        target = self.file("up")
        sync_service.export_to_center(branch, actor, target)
        return target

    def down(self, center: Database, actor: Actor, branch: str) -> Path:
        target = self.file("down")
        sync_service.export_for_branch(center, actor, branch, target)
        return target


@pytest.fixture
def courier(tmp_path) -> Courier:
    folder = tmp_path / "stick"
    folder.mkdir()
    return Courier(folder)
