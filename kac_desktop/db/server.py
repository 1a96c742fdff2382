"""A database on a PostgreSQL server (the city center's, docs/POSTGRESQL.md): its address as
the messages name it (never with the password), the oldest server version the schema runs
on, and the options every connection gets.

Read without SQLAlchemy: the messages are made from the URL text alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

# the oldest PostgreSQL the migrations and queries are written for (pg_trgm as a trusted
# extension, which a database owner may create, arrived in 13)
MIN_VERSION = (13,)
CONNECT_TIMEOUT_S = 10  # an unreachable server is told within seconds, not minutes
APPLICATION_NAME = "kac_desktop"  # how the server's administrator sees our connections


@dataclass(frozen=True)
class ServerAddress:
    """Where a server database is: what a message names (``str()``: host:port/database)."""

    host: str
    port: int | None
    database: str
    user: str

    def __str__(self) -> str:
        host = self.host or "localhost"
        where = f"{host}:{self.port}" if self.port else host
        return f"{where}/{self.database}" if self.database else where

    @property
    def server(self) -> str:
        host = self.host or "localhost"
        return f"{host}:{self.port}" if self.port else host


def address_of(url: str) -> ServerAddress:
    """The server, database and user of ``url`` (its password left out)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number: the rest still names the server
        return ServerAddress(url.split("://", 1)[-1].rpartition("@")[2], None, "", "")
    query = parse_qs(parts.query)
    host = parts.hostname or (query.get("host") or [""])[0]
    database = unquote(parts.path.lstrip("/"))
    return ServerAddress(host, port, database, unquote(parts.username or ""))


def connect_args(url: str) -> dict[str, object]:
    """psycopg's connection options that the URL does not set itself."""
    query = parse_qs(urlsplit(url).query)
    args: dict[str, object] = {}
    if "connect_timeout" not in query:
        args["connect_timeout"] = CONNECT_TIMEOUT_S
    if "application_name" not in query:
        args["application_name"] = APPLICATION_NAME
    return args


def version_text(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)
