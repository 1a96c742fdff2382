"""Migration 0009 (issue #23): the working-day calendar's tables and the provisional mark of
a deadline, on an existing database with requests in it; the downgrade takes them away."""

from __future__ import annotations

from alembic import command

from kac_desktop.db import alembic_config, cipher, make_engine


def _tables(engine) -> set[str]:
    with engine.connect() as connection:
        return set(
            connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            ).scalars()
        )


def _columns(engine, table: str) -> set[str]:
    with engine.connect() as connection:
        return {row[1] for row in connection.exec_driver_sql(f"PRAGMA table_info({table})")}


def test_upgrade_marks_stored_deadlines_as_not_provisional_and_downgrade_keeps_them(tmp_path):
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0005")
    raw = cipher.connect(path)  # rows without their customers: foreign keys unchecked here
    with raw:
        raw.executemany(
            "INSERT INTO service_requests (id, customer_id, manager_id, type, channel, "
            "received_at, description, special_case, deadline_at, deadline_rule, status, "
            "resolution, version, created_at, updated_at) VALUES (?, 'c', 'm', 'pickup', "
            "'phone', '2026-11-23 02:00:00.000000', '', 0, '2026-11-23 10:00:00.000000', "
            "'city', 'received', '', 1, '2026-11-23 02:00:00.000000', "
            "'2026-11-23 02:00:00.000000')",
            [(f"r{i}",) for i in range(5)],
        )
    raw.close()

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0009")
    assert {"holiday_years", "holiday_entries"} <= _tables(engine)
    assert "deadline_provisional" in _columns(engine, "service_requests")
    with engine.connect() as connection:
        marks = (
            connection.exec_driver_sql("SELECT deadline_provisional FROM service_requests")
            .scalars()
            .all()
        )
    assert marks == [0] * 5

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0005")
    assert not {"holiday_years", "holiday_entries"} & _tables(engine)
    assert "deadline_provisional" not in _columns(engine, "service_requests")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM service_requests").scalar() == 5
    engine.dispose()
