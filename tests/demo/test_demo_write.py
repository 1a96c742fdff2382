"""The demo's bulk writer stores exactly what SQLAlchemy Core would store, byte for byte, so
that the services read demo rows as they read their own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from kac_desktop.db import cipher, open_database
from kac_desktop.demo.write import Writer, insert_dicts
from kac_desktop.models import Customer, Revenue, Visit

CST = timezone(timedelta(hours=8))
AT = datetime(2026, 11, 23, 9, 30, tzinfo=CST)  # not UTC: the writer converts, as Core does

CUSTOMER = {
    "id": "c-1",
    "created_at": AT,
    "updated_at": datetime(2026, 11, 23, 1, 30, 0, 123456, tzinfo=UTC),
    "updated_by": None,
    "version": 1,
    "name": "福州华闽物流有限公司",
    "name_key": "华闽物流",
    "name_sort": "huamin",
    "credit_code": None,
    "kind": "key",
    "nature": "enterprise",
    "industry": "logistics",
    "address": "福州市鼓楼区五四路1号",
    "area": "city",
    "branch_id": "b-1",
    "manager_id": "u-1",
    "business_scope": "",
    "cooperation_start": date(2020, 3, 1),
    "registered_on": date(2026, 11, 23),
    "product_lines": ["express", "letters"],
    "express_kinds": ["同城"],
    "geo_scope": "regional",
    "settlement": "account",
    "contract_no": "",
    "contract_start": None,
    "contract_end": None,
    "tariff_discount": "",
    "pickup_times": "",
    "special_needs": "",
    "credit_rating": "AA",
    "payment_record": "",
    "arrears": Decimal("1234.50"),
    "tier": "gold",
    "tier_confirmed_by": None,
    "tier_confirmed_at": None,
    "visit_class_override": None,
    "notes": "",
    "primary_contact": "",
    "primary_phone": "",
    "completeness": 80,
    "archived": True,
    "archived_at": AT + timedelta(days=3),
}
VISIT = {
    "id": "v-1",
    "created_at": AT,
    "updated_at": AT,
    "updated_by": "u-1",
    "version": 1,
    "customer_id": "c-1",
    "branch_id": "b-1",
    "manager_id": "u-1",
    "contact_id": None,
    "visited_at": AT - timedelta(hours=2),
    "mode": "onsite",
    "purpose": "keep",
    "summary": "上门拜访",
    "needs": "",
    "next_step": "跟进合同续签",
    "next_step_date": date(2026, 12, 1),
    "next_step_done": False,
    "satisfaction": None,
}
REVENUE = {
    "id": "r-1",
    "customer_id": "c-1",
    "month": 202610,
    "product_line": "express",
    "amount": Decimal("12.30"),
    "created_at": AT,
    "updated_at": AT,
    "updated_by": None,
    "version": 1,
}


def _stored(path, table):
    connection = cipher.connect(path)
    try:
        return connection.execute(f"SELECT * FROM {table}").fetchall()
    finally:
        connection.close()


def _write(path, rows_by_table, fast):
    db = open_database(path)
    try:
        with db.engine.connect() as connection:
            # the rows' parents (branch, manager) are not what this test is about
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
            with connection.begin():
                for table, row in rows_by_table:
                    if fast == "tuples":
                        Writer(connection, table, list(row)).tuples([tuple(row.values())])
                    elif fast == "dicts":
                        insert_dicts(connection, table, [row])
                    else:
                        connection.execute(table.insert(), [row])
    finally:
        db.dispose()


def test_bulk_rows_are_stored_as_core_stores_them(tmp_path):
    rows = [
        (Customer.__table__, CUSTOMER),
        (Visit.__table__, VISIT),
        (Revenue.__table__, REVENUE),
        # the demo passes amounts as floats of whole fen: the same stored value
        (Revenue.__table__, {**REVENUE, "id": "r-2", "month": 202609, "amount": 1230 / 100}),
    ]
    for way in ("core", "tuples", "dicts"):
        _write(tmp_path / f"{way}.db", rows, way)
    for table in ("customers", "visits", "revenues"):
        core = _stored(tmp_path / "core.db", table)
        assert core, table
        assert _stored(tmp_path / "tuples.db", table) == core, table
        assert _stored(tmp_path / "dicts.db", table) == core, table
    stored = _stored(tmp_path / "core.db", "visits")[0]
    assert "2026-11-23 01:30:00.000000" in stored  # UTC, as the services compare it


def test_a_naive_timestamp_is_refused(tmp_path):
    db = open_database(tmp_path / "naive.db")
    try:
        with db.engine.connect() as connection, connection.begin():
            writer = Writer(connection, Visit.__table__, ["id", "visited_at"])
            try:
                writer.tuples([("v-9", datetime(2026, 11, 23, 9, 30))])
            except ValueError as error:
                assert "naive" in str(error)
            else:
                raise AssertionError("a naive datetime was stored")
    finally:
        db.dispose()
