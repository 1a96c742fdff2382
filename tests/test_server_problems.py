"""A server database that cannot be used is told in the user's words, naming the server and
never its password nor "the file is damaged", and nothing is created or changed: a wrong
password, an unknown database, an unreachable server, an address that is no database, a
server too old, a database of another program, one never set up (issue #14).

The server's half needs the PostgreSQL test server (``KAC_TEST_PG_URL``, tests/postgres.py);
the unreachable server and the bad addresses need none."""

from __future__ import annotations

import socket

import pytest

from kac_desktop.cli import main
from kac_desktop.db import open_database, server
from kac_desktop.db.problems import (
    EmptyDatabase,
    ForeignDatabase,
    NotADatabaseAddress,
    ServerRefused,
    ServerUnavailable,
    UnknownDatabase,
    UnsupportedServer,
)
from tests import postgres

SECRET = "S3cret-Pw"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _told(capsys, code: int, *fragments: str) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    for fragment in fragments:
        assert fragment in err, err
    assert "损坏" not in err and "Traceback" not in err and SECRET not in err, err
    return err


@pytest.fixture
def cli_env(monkeypatch):
    monkeypatch.setenv("KAC_PASSWORD", "Test-Passw0rd")


# ---------------------------------------------------------------- without a server


def test_an_unreachable_server_is_named(capsys, cli_env):
    port = _free_port()
    url = f"postgresql://kac:{SECRET}@127.0.0.1:{port}/kac"
    with pytest.raises(ServerUnavailable) as raised:
        open_database(url)
    assert f"127.0.0.1:{port}" in raised.value.message
    code = main(["users", "list", "--db", url, "--user", "admin"])
    _told(capsys, code, f"127.0.0.1:{port}", "无法连接数据库服务器")


@pytest.mark.parametrize(
    "address",
    [
        f"http://kac:{SECRET}@example.com/kac",
        f"mysql://kac:{SECRET}@localhost/kac",
        f"postgresql://kac:{SECRET}@localhost:port/kac",
    ],
)
def test_an_address_that_is_no_database_is_refused(address, capsys, cli_env, tmp_path):
    with pytest.raises(NotADatabaseAddress) as raised:
        open_database(address)
    assert SECRET not in raised.value.message and "***" in raised.value.message
    code = main(["users", "list", "--db", address, "--user", "admin"])
    _told(capsys, code, "不是 kac_desktop 能打开的数据库", "postgresql://")


def test_a_plain_postgresql_address_means_psycopg_3():
    from kac_desktop.config import database_url

    assert database_url("postgresql://u:p@h/d") == "postgresql+psycopg://u:p@h/d"
    assert database_url("postgres://u:p@h/d") == "postgresql+psycopg://u:p@h/d"
    assert database_url("postgresql+psycopg://u:p@h/d") == "postgresql+psycopg://u:p@h/d"
    assert str(server.address_of("postgresql+psycopg://u:p@h:5433/d")) == "h:5433/d"


# ---------------------------------------------------------------- on the test server


@pytest.fixture
def empty_database(pg_server):
    url = pg_server.empty_database()
    yield url
    pg_server.drop_database(url)


def _tables(pg_server, url) -> set[str]:
    with pg_server.connect(postgres.database_name(url)) as connection:
        return {
            name
            for (name,) in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        }


def _with_password(url: str, password: str) -> str:
    scheme, rest = url.split("://", 1)
    credentials, at, place = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:{password}@{place}"


def test_a_wrong_password_is_told_as_such(pg_server, capsys, cli_env):
    url = _with_password(pg_server.url, SECRET)
    address = server.address_of(url)
    with pytest.raises(ServerRefused) as raised:
        open_database(url)
    assert address.server in raised.value.message and address.user in raised.value.message
    code = main(["users", "list", "--db", url, "--user", "admin"])
    _told(capsys, code, address.server, "拒绝了数据库地址中的用户名", "密码")


def test_an_unknown_database_is_named(pg_server, capsys, cli_env):
    url = postgres.with_database(pg_server.url, "kac_no_such_database")
    with pytest.raises(UnknownDatabase) as raised:
        open_database(url)
    assert "kac_no_such_database" in raised.value.message
    code = main(["users", "list", "--db", url, "--user", "admin"])
    _told(capsys, code, "kac_no_such_database", "没有名为")


def test_a_database_of_another_program_is_left_as_it_is(pg_server, empty_database, capsys, cli_env):
    with pg_server.connect(postgres.database_name(empty_database)) as connection:
        connection.execute("CREATE TABLE orders (id integer PRIMARY KEY, total numeric)")
        connection.execute("INSERT INTO orders VALUES (1, 9.5)")
    with pytest.raises(ForeignDatabase) as raised:
        open_database(empty_database)
    assert "orders" in raised.value.message
    for command in (["users", "list"], ["demo", "--customers", "5"]):
        code = main(
            [
                *command,
                "--db",
                empty_database,
                *(["--user", "admin"] if command[0] == "users" else []),
            ]
        )
        _told(capsys, code, "其他程序", "orders")
    assert _tables(pg_server, empty_database) == {"orders"}


def test_a_server_too_old_is_refused_before_anything_is_made(
    pg_server, empty_database, monkeypatch, capsys, cli_env
):
    monkeypatch.setattr(server, "MIN_VERSION", (99,))
    with pytest.raises(UnsupportedServer) as raised:
        open_database(empty_database)
    assert "PostgreSQL 99" in raised.value.message
    code = main(["demo", "--customers", "5", "--db", empty_database])
    _told(capsys, code, "PostgreSQL 99", "没有打开或更改任何内容")
    assert _tables(pg_server, empty_database) == set()


def test_a_database_never_set_up_is_refused_by_every_command_but_init(
    pg_server, empty_database, capsys, cli_env, monkeypatch
):
    with pytest.raises(EmptyDatabase):
        open_database(empty_database, create=False)
    code = main(["users", "list", "--db", empty_database, "--user", "admin"])
    _told(capsys, code, "server init")
    assert _tables(pg_server, empty_database) == set()

    code = main(["server", "init", "--db", empty_database])  # no administrator named
    _told(capsys, code, "--unit")
    monkeypatch.setenv("KAC_NEW_PASSWORD", "Center-Passw0rd")
    code = main(
        [
            "server",
            "init",
            "--db",
            empty_database,
            "--unit",
            "福州市大客户中心",
            "--name",
            "系统管理员",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "已就绪" in capsys.readouterr().out
    monkeypatch.setenv("KAC_PASSWORD", "Center-Passw0rd")
    assert main(["users", "list", "--db", empty_database, "--user", "admin"]) == 0
    assert "福州市大客户中心" in capsys.readouterr().out
    # a second init changes nothing and says the database is ready
    assert main(["server", "init", "--db", empty_database]) == 0
    assert "已就绪" in capsys.readouterr().out


def test_server_init_refuses_a_file(tmp_path, capsys):
    code = main(["server", "init", "--db", str(tmp_path / "kac.db")])
    _told(capsys, code, "PostgreSQL")
    assert not (tmp_path / "kac.db").exists()
