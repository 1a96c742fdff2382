"""数据交换: the exchange of packages between a branch PC and the city center (docs/SYNC.md).

What is waiting to go and the last exchange each way, a package written to a file, a
package imported after a preview of what it brings (nothing is written before the user
agrees), the conflicts with a button for each of the two values, and the log of packages.
Export and import run on the job runner (progress, Cancel); refusals go through the
operation runner.  The lists are small (a center has a few dozen branches, the conflicts
wait for a supervisor, the log shows the newest fifty): they are kept in memory.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kac_desktop.i18n import _
from kac_desktop.rules.clock import LOCAL_TZ
from kac_desktop.services import sync as sync_service
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database

from . import operations
from .table_models import TextTableModel

PACKAGE_FILTER = "kac_desktop (*.kacsync);;*"
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def when(at) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if at is not None else _("never")


def _table(model: TextTableModel) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    # the page fits 1366×768 without scrolling: the tables shrink, their rows scroll
    table.setMinimumHeight(64)
    return table


class SyncPage(QWidget):
    """``summaryChanged(text)``: what the status bar shows (changes not sent, last exchange)."""

    summaryChanged = Signal(str)

    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.state: sync_service.SyncStatus | None = None
        self.conflicts: list[sync_service.ConflictRow] = []
        title = QLabel(_("Data exchange"))
        title.setStyleSheet("font-size: 16px; font-weight: bold;")
        self.role_label = QLabel()
        self.role_label.setWordWrap(True)
        self.branch_box = QComboBox()
        self.branch_box.setObjectName("syncBranch")
        self.export_button = QPushButton(_("Write a package…"))
        self.export_button.setObjectName("syncExport")
        self.import_button = QPushButton(_("Import a package…"))
        self.import_button.setObjectName("syncImport")
        self.export_button.clicked.connect(self.export_package)
        self.import_button.clicked.connect(self.import_package)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch()
        top.addWidget(self.branch_box)
        top.addWidget(self.export_button)
        top.addWidget(self.import_button)

        self.peer_model = TextTableModel()
        self.peer_table = _table(self.peer_model)
        peers = QGroupBox(_("Waiting to go and the last exchange each way"))
        QVBoxLayout(peers).addWidget(self.peer_table)

        self.conflict_model = TextTableModel()
        self.conflict_table = _table(self.conflict_model)
        self.conflict_table.setObjectName("syncConflicts")
        self.keep_mine = QPushButton(_("Keep this database's value"))
        self.keep_mine.setObjectName("keepMine")
        self.keep_theirs = QPushButton(_("Keep the other side's value"))
        self.keep_theirs.setObjectName("keepTheirs")
        self.keep_mine.clicked.connect(lambda: self.settle("mine"))
        self.keep_theirs.clicked.connect(lambda: self.settle("theirs"))
        self.conflict_note = QLabel()
        self.conflict_note.setWordWrap(True)
        self.conflict_note.setStyleSheet("color: #666;")
        conflicts = QGroupBox(_("Conflicts: fields changed on both sides"))
        box = QVBoxLayout(conflicts)
        box.addWidget(self.conflict_table, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.conflict_note, 1)
        buttons.addWidget(self.keep_mine)
        buttons.addWidget(self.keep_theirs)
        box.addLayout(buttons)

        self.log_model = TextTableModel()
        self.log_table = _table(self.log_model)
        log = QGroupBox(_("Packages written and applied"))
        QVBoxLayout(log).addWidget(self.log_table)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.role_label)
        layout.addWidget(peers, 2)
        layout.addWidget(conflicts, 3)
        layout.addWidget(log, 2)
        self.reload()

    # ------------------------------------------------------------------ showing

    def reload(self) -> None:
        state = sync_service.status(self.db, self.actor)
        self.state = state
        center = state.role == "center"
        if state.role is None:
            self.role_label.setText(
                _(
                    "This database does not take part in the data exchange yet. At the city "
                    "center, choose a branch and write its starting package; a branch PC is "
                    "set up from it with kac-desktop sync import FILE --db NEW.db --code …"
                )
            )
        elif center:
            self.role_label.setText(
                _("This database is the city center's: it exchanges packages with the branches.")
            )
        else:
            self.role_label.setText(
                _("This database is a branch PC's: it exchanges packages with the city center.")
            )
        may_center = state.role != "branch" and self.actor.is_supervisor
        self.branch_box.setVisible(may_center)
        if may_center and self.branch_box.count() == 0:
            self.branch_box.addItems(sync_service.branch_choices(self.db))
            if state.peers:  # the branch exchanged with last
                self.branch_box.setCurrentText(state.peers[0].name)
        self.export_button.setEnabled(state.role == "branch" or may_center)
        self.import_button.setEnabled(state.role is not None)
        statuses = {
            "pending": _("waiting for its first package"),
            "active": _("exchanging"),
            "revoked": _("keys revoked"),
        }
        self.peer_model.set_rows(
            [
                _("With"),
                _("State"),
                _("Waiting to go"),
                _("Last package sent"),
                _("Acknowledged"),
                _("Last heard from them"),
                _("Conflicts"),
            ],
            [
                [
                    p.name,
                    statuses.get(p.status, p.status),
                    _("{n} records").format(n=p.waiting),
                    f"{p.sent_seq} · {when(p.last_sent_at)}",
                    str(p.acked_seq),
                    f"{p.received_seq} · {when(p.last_heard_at)}",
                    str(p.open_conflicts),
                ]
                for p in state.peers
            ],
        )
        # the open ones first, then those settled lately with the value kept
        self.conflicts = (
            sync_service.list_conflicts(self.db, self.actor, settled=True)
            if self.actor.is_supervisor
            else []
        )
        self.conflicts.sort(
            key=lambda c: (c.settled, -(c.mine_at or c.theirs_at or _EPOCH).timestamp())
        )
        self.conflicts = [c for c in self.conflicts if not c.settled] + [
            c for c in self.conflicts if c.settled
        ][:20]
        kept = {
            "mine": _("settled: this database's value kept"),
            "theirs": _("settled: the other side's value kept"),
            "center": _("sent to the center"),
        }
        self.conflict_model.set_rows(
            [
                _("Customer"),
                _("Field"),
                _("This database"),
                _("Other side"),
                _("Sent by"),
                _("State"),
            ],
            [
                [
                    c.record,
                    c.field_label,
                    _("{value}\n{who}, {when}").format(
                        value=_shown(c.mine), who=c.mine_by, when=when(c.mine_at)
                    ),
                    _("{value}\n{who}, {when}").format(
                        value=_shown(c.theirs), who=c.theirs_by, when=when(c.theirs_at)
                    ),
                    c.peer,
                    kept.get(c.kept, c.kept) if c.settled else _("to be settled"),
                ]
                for c in self.conflicts
            ],
        )
        self.conflict_table.resizeRowsToContents()
        may_settle = center and self.actor.is_supervisor
        open_ones = [c for c in self.conflicts if not c.settled]
        self.keep_mine.setEnabled(may_settle and bool(open_ones))
        self.keep_theirs.setEnabled(may_settle and bool(open_ones))
        if open_ones:
            self.conflict_table.selectRow(0)
        self.conflict_note.setText(
            _(
                "Until a conflict is settled this database keeps its value and the other "
                "side's waits here; the kept value travels with the next package."
            )
            if center
            else _("Conflicts found here go to the city center, where a supervisor settles them.")
        )
        directions = {"out": _("written"), "in": _("applied")}
        self.log_model.set_rows(
            [_("Time"), _("Package"), _("With"), _("Number"), _("By"), _("Records")],
            [
                [
                    when(at),
                    directions.get(direction, direction),
                    peer,
                    str(seq),
                    by,
                    sync_service.describe_counts(counts),
                ]
                for at, direction, peer, seq, by, counts in state.log
            ],
        )
        self.summaryChanged.emit(self.summary())

    def summary(self) -> str:
        state = self.state
        if state is None or state.role is None:
            return ""
        waiting = sum(p.waiting for p in state.peers)
        heard = [p.last_heard_at for p in state.peers if p.last_heard_at is not None]
        last = max(heard) if heard else None
        return _("Not yet sent: {n} · last exchange: {when}").format(n=waiting, when=when(last))

    def apply_changes(self, changes) -> None:
        if changes:
            self.reload()

    # ------------------------------------------------------------------ acting

    def export_package(self) -> None:
        center = self.state is not None and self.state.role != "branch"
        branch = self.branch_box.currentText() if center else ""
        suggested = f"{branch or 'center'}.kacsync"
        path, _filter = QFileDialog.getSaveFileName(
            self, _("Write a package"), suggested, PACKAGE_FILTER
        )
        if not path:
            return
        target = Path(path)
        if center:
            result = operations.run_long(
                self,
                _("Writing the package…"),
                lambda progress: sync_service.export_for_branch(
                    self.db, self.actor, branch, target, progress
                ),
                title=_("Data exchange"),
            )
        else:
            result = operations.run_long(
                self,
                _("Writing the package…"),
                lambda progress: sync_service.export_to_center(
                    self.db, self.actor, target, progress
                ),
                title=_("Data exchange"),
            )
        if result is None:
            return
        self.reload()
        text = _("Package {seq} for {recipient} written to {path}: {count} records.").format(
            seq=result.seq, recipient=result.recipient, path=result.path, count=result.records
        )
        if result.setup_code:
            text += "\n\n" + _(
                "This is the starting package of {branch}. Its set-up code (give it by phone "
                "or on paper, never with the file):\n\n{code}"
            ).format(branch=result.recipient, code=result.setup_code)
        QMessageBox.information(self, _("Data exchange"), text)

    def import_package(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Import a package"), "", PACKAGE_FILTER)
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path, *, confirm=None) -> sync_service.ImportResult | None:
        """Preview, ask, apply.  ``confirm(text) -> bool`` replaces the question (tests)."""
        preview = operations.run_long(
            self,
            _("Checking the package…"),
            lambda progress: sync_service.run_import(
                self.db, self.actor, path, preview=True, progress=progress
            ),
            title=_("Data exchange"),
        )
        if preview is None:
            return None
        if preview.already_had:
            QMessageBox.information(self, _("Data exchange"), preview.summary())
            return preview
        question = preview.summary() + "\n\n" + _("Apply the package?")
        if confirm is not None:
            agreed = confirm(question)
        else:
            agreed = (
                QMessageBox.question(self, _("Import a package"), question)
                == QMessageBox.StandardButton.Yes
            )
        if not agreed:
            return None
        result = operations.run_long(
            self,
            _("Applying the package…"),
            lambda progress: sync_service.run_import(self.db, self.actor, path, progress=progress),
            title=_("Data exchange"),
        )
        if result is not None:
            self.reload()
        return result

    def selected_conflict(self) -> sync_service.ConflictRow | None:
        rows = self.conflict_table.selectionModel().selectedRows()
        chosen = self.conflicts[rows[0].row()] if rows and self.conflicts else None
        return chosen if chosen is not None and not chosen.settled else None

    def settle(self, keep: str) -> None:
        conflict = self.selected_conflict()
        if conflict is None:
            return
        done = operations.run(
            self,
            lambda: sync_service.settle(self.db, self.actor, conflict.id, keep),
            title=_("Data exchange"),
        )
        if done is not None:
            self.reload()


def _shown(value) -> str:
    return "" if value is None else str(value)
