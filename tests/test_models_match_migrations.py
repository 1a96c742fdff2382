"""The models declare the indexes the migrations make, so that a reader of models/ sees
the schema the application runs on (the migrations are what build it)."""

from __future__ import annotations

from kac_desktop.db import cipher, open_database
from kac_desktop.models import Base

# made by a migration on SQLite only, on an expression of SQLite's date functions
SQLITE_ONLY = {"ix_visits_month_customer"}


def test_every_index_the_migrations_make_is_declared(tmp_path):
    db = open_database(tmp_path / "schema.db")
    db.dispose()
    connection = cipher.connect(tmp_path / "schema.db")
    try:
        made = {
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_%'"
            )
        }
    finally:
        connection.close()
    declared = {index.name for table in Base.metadata.tables.values() for index in table.indexes}
    assert made - SQLITE_ONLY == declared
