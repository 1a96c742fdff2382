"""Migration 0004 (issue #8): the quota's and the deadline board's indexes are made on an
existing database and taken away again by the downgrade; the month key the quota queries by
is the indexed expression."""

from __future__ import annotations

from alembic import command

from kac_desktop.db import alembic_config, make_engine
from kac_desktop.services.visit_quota import MONTH_KEY_SQL

NEW = {"ix_visits_month_customer", "ix_customers_quota", "ix_requests_board"}


def _indexes(engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(
            connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            ).all()
        )


def test_upgrade_and_downgrade(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0003")
    before = _indexes(engine)
    assert "ix_requests_open" in before and not NEW & set(before)

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0004")
    after = _indexes(engine)
    assert NEW <= set(after) and "ix_requests_open" not in after
    # SQLite uses an index on an expression only for the same expression
    assert MONTH_KEY_SQL.replace("visits.", "") in after["ix_visits_month_customer"]

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0003")
    assert _indexes(engine) == before
    engine.dispose()
