"""Alembic environment: run on the connection handed over by kac_desktop.db."""

from __future__ import annotations

from alembic import context

from kac_desktop.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from kac_desktop.db.engine import make_engine

        url = config.get_main_option("sqlalchemy.url")
        if url is None:
            raise RuntimeError("give Alembic a connection or a sqlalchemy.url")
        connection = make_engine(url).connect()  # keyed, as the application's own
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "postgresql":
            # the columns a revision after 0011 adds get code point order too
            # (migrations/postgresql.py); nothing to do when every column has it
            from kac_desktop.migrations.postgresql import use_code_point_order

            use_code_point_order(connection)


run()
