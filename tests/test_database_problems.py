"""Every database error a user can meet is told in his language, with what to do, and
never as a traceback: a write lock held beyond the busy timeout, a file locked by another
program, a lost race, a read-only file, a full disk and a file that vanished — each on the
command line and in the window.  ``check`` does not call a locked database damaged, and the
start does not offer a restore for a lock."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from kac_desktop import cli
from kac_desktop.db import cipher, make_engine, open_database
from kac_desktop.db import engine as db_module
from kac_desktop.db import problems as db_errors
from kac_desktop.models import Customer, User
from kac_desktop.services import customers
from kac_desktop.services.changes import Kind
from tests.conftest import TEST_PASSWORD

SHORT_TIMEOUT_MS = 300

# fragments of the Chinese messages, one per kind
BUSY = "正忙"
LOCKED = "被另一个程序锁定"
RACE = "同一时刻修改"
READ_ONLY = "只能读取"
FULL = "磁盘已满"
GONE = "已不在原处"


@pytest.fixture(autouse=True)
def short_busy_timeout(monkeypatch):
    monkeypatch.setattr(db_errors, "BUSY_TIMEOUT_MS", SHORT_TIMEOUT_MS)


@contextlib.contextmanager
def write_lock(path: Path):
    """Another user's long write: the write lock held (reading stays possible in WAL)."""
    holder = cipher.connect(str(path), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextlib.contextmanager
def exclusive_lock(path: Path):
    """Another program that keeps the file in exclusive locking mode: not even a read
    gets through."""
    holder = cipher.connect(str(path), isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE settings SET key = key WHERE 0")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def extra_pragma(monkeypatch, *statements: str) -> None:
    """Connections of engines made from now on run ``statements`` after the usual
    pragmas (a read-only or a size-limited file, as SQLite reports them)."""
    original = db_module._sqlite_pragmas

    def pragmas(connection, record):
        original(connection, record)
        cursor = connection.cursor()
        for statement in statements:
            if "{pages}" in statement:
                pages = cursor.execute("PRAGMA page_count").fetchone()[0]
                statement = statement.format(pages=pages)
            cursor.execute(statement)
        cursor.close()

    monkeypatch.setattr(db_module, "_sqlite_pragmas", pragmas)


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def active(db, login: str) -> bool:
    with db.session() as session:
        return session.scalar(select(User.active).where(User.login == login))


def assert_told(code: int, output: str, fragment: str) -> None:
    assert code == 2, output
    assert fragment in output, output
    assert "Traceback" not in output and "sqlalchemy" not in output.lower(), output


@pytest.fixture
def cli_env(monkeypatch):
    monkeypatch.setenv("KAC_PASSWORD", TEST_PASSWORD)


def disable(db, capsys):
    return run_cli(capsys, "users", "disable", "mgr_a2", "--db", db.url, "--user", "admin")


# ---------------------------------------------------------------- command line


@pytest.mark.sqlite_only("a SQLite file's locks, modes, space and place")
def test_cli_busy_beyond_the_timeout(db, org, cli_env, capsys):
    with write_lock(db.path):
        code, output = disable(db, capsys)
    assert_told(code, output, BUSY)
    assert active(db, "mgr_a2")


@pytest.mark.sqlite_only("a SQLite file's locks, modes, space and place")
def test_cli_locked_by_another_program_and_check_does_not_call_it_damaged(db, org, cli_env, capsys):
    db.dispose()
    with exclusive_lock(db.path):
        code, output = disable(db, capsys)
        assert_told(code, output, LOCKED)
        code, output = run_cli(capsys, "check", "--db", db.url, "--user", "admin")
        assert_told(code, output, LOCKED)
        assert "损坏" not in output
    code, output = run_cli(capsys, "check", "--db", db.url, "--user", "admin")
    assert code == 0, output


def test_cli_lost_race(db, org, cli_env, capsys, monkeypatch):
    """Another process changes the user between this command's reading and its write."""
    from kac_desktop.services import users

    read = users._managed_user

    def other_process_first(session, *args, **kwargs):
        user = read(session, *args, **kwargs)
        other = make_engine(db.url)
        with other.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE users SET version = version + 1 WHERE login = 'mgr_a2'"
            )
        other.dispose()
        return user

    monkeypatch.setattr(users, "_managed_user", other_process_first)
    code, output = disable(db, capsys)
    assert_told(code, output, RACE)
    assert active(db, "mgr_a2")


@pytest.mark.sqlite_only("a SQLite file's locks, modes, space and place")
def test_cli_read_only_file(db, org, cli_env, capsys, monkeypatch):
    extra_pragma(monkeypatch, "PRAGMA query_only=1")
    code, output = disable(db, capsys)
    assert_told(code, output, READ_ONLY)
    assert active(db, "mgr_a2")


@pytest.mark.sqlite_only("a SQLite file's locks, modes, space and place")
def test_cli_full_disk(db, org, cli_env, capsys, monkeypatch, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["客户名称", "客户性质", "所属行业", "区域", "联系人", "手机", "地址", "备注"])
    for i in range(300):
        sheet.append(
            [
                f"福州磁盘满测试{i}号店",
                "个人",
                "批发零售",
                "城区",
                "李明",
                "13805912345",
                "福州市鼓楼区五四路1号",
                "满" * 400,
            ]
        )
    book.save(tmp_path / "full.xlsx")
    extra_pragma(monkeypatch, "PRAGMA max_page_count={pages}")
    code, output = run_cli(
        capsys,
        "import",
        "customers",
        str(tmp_path / "full.xlsx"),
        "--db",
        str(db.path),
        "--user",
        "mgr_a1",
    )
    assert_told(code, output, FULL)
    with db.session() as session:
        assert session.scalar(select(Customer.id).limit(1)) is None


@pytest.mark.sqlite_only("a SQLite file's locks, modes, space and place")
def test_cli_vanished_file(db, org, cli_env, capsys, monkeypatch, tmp_path):
    from kac_desktop.cli import common

    sign_in = common.actor_from_args

    def then_the_file_goes(database, args):
        actor = sign_in(database, args)
        db.path.rename(tmp_path / "moved.db")
        return actor

    monkeypatch.setattr(common, "actor_from_args", then_the_file_goes)
    from kac_desktop.cli import admin

    monkeypatch.setattr(admin, "actor_from_args", then_the_file_goes)
    code, output = disable(db, capsys)
    assert_told(code, output, GONE)


# ---------------------------------------------------------------- the window


@pytest.fixture
def shown(monkeypatch):
    """Every message box of the window as (kind, title, text), instead of modal boxes."""
    from kac_desktop.views import customer_editor

    calls: list[tuple[str, str, str]] = []
    for kind in ("information", "warning", "critical"):

        def box(_parent, title, text, *args, _kind=kind, **kwargs):
            calls.append((_kind, title, text))
            return QMessageBox.StandardButton.Ok

        monkeypatch.setattr(customer_editor.QMessageBox, kind, box)
    return calls


@pytest.fixture
def file_of(db, org, make_customer) -> str:
    data = make_customer("福州窗口锁测试公司", manager=org.mgr_a1, nature="individual")
    return customers.save_customer(db, org.mgr_a1, data).first(Kind.CUSTOMER)


def fresh(db):
    """The window's own database connection, made after the problem was staged."""
    return open_database(db.path)


def stored_address(db, customer_id):
    with db.session() as session:
        return session.get(Customer, customer_id).address


@pytest.mark.parametrize(
    "kind, fragment", [("busy", BUSY), ("read_only", READ_ONLY), ("vanished", GONE)]
)
@pytest.mark.sqlite_only("a SQLite file's locks, modes, space and place")
def test_window_save_meets_a_database_problem(
    qtbot, db, org, file_of, shown, monkeypatch, tmp_path, kind, fragment
):
    before = stored_address(db, file_of)
    if kind == "read_only":
        extra_pragma(monkeypatch, "PRAGMA query_only=1")
    window_db = fresh(db)
    try:
        from kac_desktop.views.customer_editor import CustomerEditor

        editor = CustomerEditor(window_db, org.mgr_a1, file_of)
        qtbot.addWidget(editor)
        editor.address.setText("福州市鼓楼区新地址1号")
        if kind == "busy":
            with write_lock(db.path):
                saved = editor.save()
        elif kind == "vanished":
            db.path.rename(tmp_path / "moved.db")
            saved = editor.save()
        else:
            saved = editor.save()
        editor._dirty = False
    finally:
        window_db.dispose()
    assert saved is False
    assert shown and fragment in shown[-1][2], shown
    assert "Traceback" not in shown[-1][2]
    if kind != "vanished":
        assert stored_address(db, file_of) == before


@pytest.mark.sqlite_only("a SQLite file's locks, modes, space and place")
def test_window_full_disk(qtbot, db, org, file_of, shown, monkeypatch):
    extra_pragma(monkeypatch, "PRAGMA max_page_count={pages}")
    window_db = fresh(db)
    try:
        from kac_desktop.views.customer_editor import CustomerEditor

        editor = CustomerEditor(window_db, org.mgr_a1, file_of)
        qtbot.addWidget(editor)
        editor.notes.setPlainText("满" * 200_000)
        saved = editor.save()
        editor._dirty = False
    finally:
        window_db.dispose()
    assert saved is False
    assert shown and FULL in shown[-1][2], shown


def test_window_lost_race_offers_reload_naming_who_saved_first(
    qtbot, db, org, file_of, monkeypatch, shown
):
    """Two saves of one file at the same moment: both read version 1 and pass the version
    check; the other commits first.  The loser is refused like a later save, naming who
    saved first, with 重新载入."""
    from kac_desktop.views import customer_editor
    from kac_desktop.views.customer_editor import CustomerEditor

    editor = CustomerEditor(db, org.mgr_a1, file_of)
    qtbot.addWidget(editor)
    editor.address.setText("福州市鼓楼区经理改的地址")
    lock = customers.raw_sql.lock_for_writing

    def the_other_save_commits_first(connection):
        # the editor's save has read the file's version 1; the other save, which read the
        # same version, commits just before this one takes the write lock (the writers
        # take turns from there: customers.save_in_session)
        monkeypatch.setattr(customers.raw_sql, "lock_for_writing", lock)
        other = customers.get_customer(db, org.sup_a, file_of)
        other.data.address = "福州市鼓楼区支局长改的地址"
        customers.save_customer(db, org.sup_a, other.data, file_of, other.version)
        return lock(connection)

    monkeypatch.setattr(customers.raw_sql, "lock_for_writing", the_other_save_commits_first)
    seen = {}

    def exec_(box):
        seen["text"] = box.text()
        seen["buttons"] = [b.text() for b in box.buttons()]
        reload = box.findChild(type(box.buttons()[0]), "reload")
        box.setProperty("clicked", True)
        seen["reload"] = reload
        monkeypatch.setattr(box, "clickedButton", lambda: reload)
        return 0

    monkeypatch.setattr(customer_editor.QMessageBox, "exec", exec_)
    assert editor.save() is False, shown
    assert not shown, shown
    assert "林支局长" in seen["text"] and "重新载入" in seen["buttons"], seen
    # 重新载入 shows the winner's change
    assert editor.address.text() == "福州市鼓楼区支局长改的地址"
    editor._dirty = False


@pytest.mark.sqlite_only("a SQLite file's locks, modes, space and place")
def test_window_start_on_a_locked_file_offers_no_restore(qtbot, db, org, monkeypatch):
    from kac_desktop.services import backup
    from kac_desktop.views import app as app_module
    from kac_desktop.views.recovery_dialog import RecoveryDialog

    backup.backup_now(db, org.admin)
    db.dispose()
    seen = {}

    def exec_(dialog):
        seen["text"] = dialog.layout().itemAt(0).widget().text()
        seen["restore"] = dialog.restore_button.isEnabled()
        dialog._finish("quit")
        return 0

    monkeypatch.setattr(RecoveryDialog, "exec", exec_)
    with exclusive_lock(db.path):
        assert app_module.open_checked(db.path) is None
    assert LOCKED in seen["text"] and seen["restore"] is False


@pytest.mark.sqlite_only("a SQLite file's locks, modes, space and place")
def test_start_up_check_of_a_locked_file_offers_no_restore(qtbot, db, org):
    from kac_desktop.views.startup_checks import StartupChecks

    checks = StartupChecks(db)
    damaged = []
    checks.damaged.connect(damaged.append)
    db.dispose()
    with exclusive_lock(db.path):
        checks.start()
        assert checks.wait(20)
    qtbot.wait(50)
    assert damaged == [] and checks.problems is None


def test_last_resort_speaks_of_the_lock_not_of_an_unexpected_error(qtbot, db, monkeypatch):
    from kac_desktop.views import app as app_module

    shown_boxes = []
    for name in ("warning", "critical"):
        monkeypatch.setattr(
            QMessageBox, name, lambda *a, _n=name: shown_boxes.append((_n, a[1], a[2]))
        )
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorname = "SQLITE_BUSY"
    app_module.excepthook(type(error), error, None)
    kind, title, text = shown_boxes[-1]
    assert kind == "warning" and title == "数据库正忙" and BUSY in text
