"""Where things live: the default database in the platform's user-data folder."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "kac_desktop"


def data_dir() -> Path:
    override = os.environ.get("KAC_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir  # a few ms of every start otherwise

    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_database_path() -> Path:
    return data_dir() / "kac.db"


# a plain postgresql:// address means psycopg 3 (SQLAlchemy 2.0 would take psycopg2)
SERVER_DRIVER = "postgresql+psycopg"
_SERVER_SCHEMES = ("postgresql", "postgres", SERVER_DRIVER)


def database_url(target: str | os.PathLike[str] | None = None) -> str:
    """A SQLAlchemy URL from ``--db``: a URL is taken as it is (a PostgreSQL one with the
    psycopg driver named), anything else is a file path."""
    if target is None:
        target = default_database_path()
    text = str(target)
    if "://" in text:
        scheme, rest = text.split("://", 1)
        if scheme.lower() in _SERVER_SCHEMES:
            return f"{SERVER_DRIVER}://{rest}"
        return text
    return "sqlite:///" + str(Path(text).expanduser().resolve())


def is_server_url(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL server's database (through psycopg)."""
    return url.split("://", 1)[0].lower() in _SERVER_SCHEMES


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for another database or an in-memory one."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != "sqlite://" and ":memory:" not in url:
        return Path(url[len(prefix) :])
    return None
