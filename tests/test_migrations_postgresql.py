"""One Alembic history for both engines (issue #14): a new PostgreSQL database migrates to the
head, down to nothing and up again; its schema is the models' (with the engine-specific
indexes named); every text column compares by code point; two PCs upgrading one server at
once do not collide.  And revision 0011, PostgreSQL's, leaves a SQLite file exactly as it
was.  The server's half needs ``KAC_TEST_PG_URL`` (tests/postgres.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command

from kac_desktop.db import alembic_config, cipher, head_revision, make_engine, open_database
from kac_desktop.migrations.postgresql import columns_not_in_code_point_order
from kac_desktop.models import Base
from tests.helpers import database_at

SQLITE_ONLY = {"ix_visits_month_customer"}  # on SQLite's date functions (migration 0004)
POSTGRESQL_ONLY = {"ix_customer_search_text_trgm"}  # pg_trgm's GIN index (migration 0011)


def test_0011_leaves_a_sqlite_file_as_it_was(tmp_path):
    path = database_at(tmp_path / "old.db", "0010")

    def schema() -> list[tuple]:
        connection = cipher.connect(path)
        try:
            return connection.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
            ).fetchall()
        finally:
            connection.close()

    before = schema()
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0011")
    engine.dispose()
    assert schema() == before


@pytest.fixture
def empty_database(pg_server):
    url = pg_server.empty_database()
    yield url
    pg_server.drop_database(url)


def _indexes(connection) -> set[str]:
    return {
        name
        for (name,) in connection.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND starts_with(indexname, 'ix_')"
        )
    }


def _tables(connection) -> set[str]:
    return {
        name
        for (name,) in connection.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
    }


def test_a_new_server_database_is_the_models_schema_at_the_head(empty_database):
    db = open_database(empty_database)
    try:
        with db.engine.connect() as connection:
            made = _indexes(connection)
            tables = _tables(connection) - {"alembic_version"}
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            assert columns_not_in_code_point_order(connection) == []
            tier = connection.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_customers_list_tier'"
            ).scalar()
    finally:
        db.dispose()
    declared = {index.name for table in Base.metadata.tables.values() for index in table.indexes}
    assert made == (declared - SQLITE_ONLY) | POSTGRESQL_ONLY
    assert tables == set(Base.metadata.tables)
    assert version == head_revision()
    assert "CASE" in tier  # the tier's rank, in parentheses as PostgreSQL wants it


def test_down_to_nothing_and_up_again(empty_database):
    engine = make_engine(empty_database)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0009")
            assert "ix_customer_search_text_trgm" not in _indexes(connection)
            command.downgrade(alembic_config(connection), "base")
        with engine.connect() as connection:
            assert _tables(connection) <= {"alembic_version"}
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
            assert _tables(connection) - {"alembic_version"} == set(Base.metadata.tables)
            assert POSTGRESQL_ONLY <= _indexes(connection)
    finally:
        engine.dispose()


UPGRADER = """
import sys
from kac_desktop.db import open_database
sys.stdin.readline()  # both start together
open_database(sys.argv[1]).dispose()
print("done", flush=True)
"""


@pytest.mark.slow
def test_two_pcs_upgrading_one_server_at_once(empty_database):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    children = [
        subprocess.Popen(
            [sys.executable, "-c", UPGRADER, empty_database],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0 and out.strip() == "done", err
    engine = make_engine(empty_database)
    try:
        with engine.connect() as connection:
            versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
            heads = connection.exec_driver_sql("SELECT count(*) FROM audit_head").scalar()
    finally:
        engine.dispose()
    assert versions == [(head_revision(),)] and heads == 1
