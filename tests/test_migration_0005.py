"""Migration 0005 (issue #8): the month index of revenue holds each row's product line, on an
existing database with revenue in it, and the downgrade gives the old index back."""

from __future__ import annotations

from alembic import command

from kac_desktop.db import alembic_config, cipher, make_engine

OLD, NEW = "ix_revenues_month_customer_amount", "ix_revenues_month_customer_line_amount"
STORED = (
    "SELECT rowid, customer_id, month, product_line, amount FROM revenues "
    "WHERE month BETWEEN 202601 AND 202612"
)


def _indexes(engine) -> set[str]:
    with engine.connect() as connection:
        return set(
            connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_revenues%'"
            ).scalars()
        )


def _plan(engine) -> str:
    with engine.connect() as connection:
        return " ".join(
            str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + STORED)
        )


def test_upgrade_and_downgrade_keep_the_rows(tmp_path):
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0004")
    # rows of customers this test does not make: sqlite3 leaves the foreign keys unchecked
    raw = cipher.connect(path)
    with raw:
        raw.executemany(
            "INSERT INTO revenues (id, customer_id, month, product_line, amount, version, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, '2026-01-01 00:00:00.000000', "
            "'2026-01-01 00:00:00.000000')",
            [(f"r{i}", f"c{i % 7}", 202601 + i % 12, f"l{i % 3}", i) for i in range(30)],
        )
    raw.close()
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(STORED).all()
    assert OLD in _indexes(engine) and NEW not in _indexes(engine)

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0005")
    assert NEW in _indexes(engine) and OLD not in _indexes(engine)
    # the import's read of the stored months is answered from the index alone
    assert f"COVERING INDEX {NEW}" in _plan(engine)
    with engine.connect() as connection:
        assert sorted(connection.exec_driver_sql(STORED).all()) == sorted(rows)

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0004")
    assert OLD in _indexes(engine) and NEW not in _indexes(engine)
    engine.dispose()
