"""A new file's tier is only suggested (issue #22 §6): saving or importing a new file records
no confirmation, a supervisor's change of an existing file's tier does; migration 0007
clears the confirmations recorded on create and leaves the real ones, and goes down."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from alembic import command
from sqlalchemy import select

from kac_desktop.db import alembic_config, make_engine, open_database
from kac_desktop.models import Customer
from kac_desktop.services import customer_import, customers
from kac_desktop.services.changes import Kind


def confirmation(db, customer_id):
    with db.session() as session:
        customer = session.get(Customer, customer_id)
        return customer.tier_confirmed_by, customer.tier_confirmed_at


def test_a_new_file_records_no_confirmation(db, org, make_customer):
    made = customers.save_customer(
        db,
        org.sup_a,
        make_customer("福州建档等级测试公司", manager=org.mgr_a1, tier="gold", nature="individual"),
    )
    assert confirmation(db, made.first(Kind.CUSTOMER)) == (None, None)
    record = customers.get_customer(db, org.sup_a, made.first(Kind.CUSTOMER))
    record.data.tier = "platinum"
    customers.save_customer(db, org.sup_a, record.data, made.first(Kind.CUSTOMER), record.version)
    by, at = confirmation(db, made.first(Kind.CUSTOMER))
    assert by == org.sup_a.user_id and at is not None


def test_an_imported_file_records_no_confirmation(db, org, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["客户名称", "客户性质", "所属行业", "区域", "客户等级", "联系人", "手机"])
    book.active.append(
        ["福州导入等级测试店", "个人", "批发零售", "城区", "黄金", "李明", "13805912345"]
    )
    book.save(tmp_path / "tier.xlsx")
    preview = customer_import.preview_import(db, org.sup_a, tmp_path / "tier.xlsx")
    result = customer_import.run_import(db, org.sup_a, preview, skip_invalid=False)
    assert result.ok and result.imported == 1, result.describe()
    assert confirmation(db, result.ids[0]) == (None, None)


def _insert(engine, rows):
    with engine.begin() as connection:
        for row in rows:
            connection.exec_driver_sql(
                "UPDATE customers SET tier_confirmed_by = ?, tier_confirmed_at = ?, "
                "created_at = ?, updated_by = ? WHERE id = ?",
                row,
            )


@pytest.mark.sqlite_only('downgrades a SQLite file (tests/test_migrations_postgresql.py goes up and down on PostgreSQL)')
def test_migration_0007_clears_confirmations_made_on_create(tmp_path, org, make_customer, db):
    ids = {}
    for name in ("on_create", "imported", "real", "other_creator"):
        ids[name] = customers.save_customer(
            db,
            org.sup_a,
            make_customer(f"福州迁移{name}公司", manager=org.mgr_a1, nature="individual"),
        ).first(Kind.CUSTOMER)
    db.dispose()
    path = Path(db.path)
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0005")
    with engine.connect() as connection:
        created = {
            cid: at
            for cid, at in connection.exec_driver_sql("SELECT id, created_at FROM customers")
        }
    from datetime import datetime

    def at(cid, delta):
        stamp = datetime.fromisoformat(str(created[cid])) + delta
        return stamp.strftime("%Y-%m-%d %H:%M:%S.%f")

    sup, mgr = org.sup_a.user_id, org.mgr_a1.user_id
    with engine.begin() as connection:

        def set_(cid, by, when, updated_by=None):
            connection.exec_driver_sql(
                "UPDATE customers SET tier_confirmed_by = ?, tier_confirmed_at = ?"
                + (", updated_by = ?" if updated_by else "")
                + " WHERE id = ?",
                (by, when, updated_by, cid) if updated_by else (by, when, cid),
            )

        # the editor's create: the creator (sup_a, its customer.create record), a moment
        # before the insert's created_at
        set_(ids["on_create"], sup, at(ids["on_create"], -timedelta(microseconds=300)))
        # an import's row: no customer.create record; its importer last saved it
        connection.exec_driver_sql(
            "DELETE FROM audit_records WHERE entity_id = ?", (ids["imported"],)
        )
        set_(ids["imported"], mgr, at(ids["imported"], -timedelta(seconds=2)), updated_by=mgr)
        # a supervisor's confirmation a day after the file was made
        set_(ids["real"], sup, at(ids["real"], timedelta(days=1)))
        # confirmed at create time by someone who is not the creator: left alone
        set_(ids["other_creator"], mgr, at(ids["other_creator"], -timedelta(microseconds=5)))
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0007")
    with engine.connect() as connection:
        after = dict(
            connection.exec_driver_sql("SELECT id, tier_confirmed_by FROM customers").all()
        )
    assert after[ids["on_create"]] is None and after[ids["imported"]] is None
    assert after[ids["real"]] == sup and after[ids["other_creator"]] == mgr
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0005")
        command.upgrade(alembic_config(connection), "head")
    engine.dispose()
    reopened = open_database(path)
    with reopened.session() as session:
        assert (
            session.scalar(select(Customer.tier_confirmed_by).where(Customer.id == ids["real"]))
            == sup
        )
    reopened.dispose()
