"""Migration 0010 (issue 20 item 9): existing customers get the Beijing date of their
``created_at`` as registration date (登记日期); the downgrade takes the column away and
keeps the rows."""

from __future__ import annotations

from alembic import command

from kac_desktop.db import alembic_config, cipher, make_engine


def _columns(engine, table: str) -> set[str]:
    with engine.connect() as connection:
        return {row[1] for row in connection.exec_driver_sql(f"PRAGMA table_info({table})")}


def test_upgrade_dates_existing_files_in_beijing_time_and_downgrade_keeps_them(tmp_path):
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0009")
    raw = cipher.connect(path)  # rows without their branch and manager: keys unchecked here
    with raw:
        raw.executemany(
            "INSERT INTO customers (id, name, name_key, name_sort, kind, nature, industry, "
            "address, area, branch_id, manager_id, business_scope, product_lines, "
            "express_kinds, geo_scope, settlement, contract_no, tariff_discount, pickup_times, "
            "special_needs, credit_rating, payment_record, tier, notes, primary_contact, "
            "primary_phone, completeness, archived, version, created_at, updated_at) VALUES "
            "(?, ?, ?, ?, 'key', 'enterprise', '', '', 'city', 'b', 'm', '', '[]', '[]', '', "
            "'', '', '', '', '', '', '', 'ordinary', '', '', '', 0, 0, 1, ?, ?)",
            [
                # 23:30 UTC on 31 January is 07:30 on 1 February in Beijing
                (
                    "c1",
                    "甲",
                    "甲",
                    "jia",
                    "2026-01-31 23:30:00.000000",
                    "2026-01-31 23:30:00.000000",
                ),
                # 15:59 UTC is 23:59 the same day in Beijing
                (
                    "c2",
                    "乙",
                    "乙",
                    "yi",
                    "2025-06-30 15:59:00.000000",
                    "2025-06-30 15:59:00.000000",
                ),
            ],
        )
    raw.close()

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0010")
    with engine.connect() as connection:
        dates = dict(connection.exec_driver_sql("SELECT id, registered_on FROM customers").all())
        quota = [
            row[2] for row in connection.exec_driver_sql("PRAGMA index_info(ix_customers_quota)")
        ]
    assert dates == {"c1": "2026-02-01", "c2": "2025-06-30"}
    assert "registered_on" in quota and "created_at" not in quota  # the quota's filter

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0009")
    assert "registered_on" not in _columns(engine, "customers")
    with engine.connect() as connection:
        quota = [
            row[2] for row in connection.exec_driver_sql("PRAGMA index_info(ix_customers_quota)")
        ]
    assert "created_at" in quota
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM customers").scalar() == 2
    engine.dispose()
