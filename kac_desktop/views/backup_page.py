"""Backup and restore (备份与恢复): the backups with time and size, a backup now, and a
restore that checks the backup before it replaces anything."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
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
from kac_desktop.services import backup as backup_service
from kac_desktop.services import settings as settings_service
from kac_desktop.services.backup import BackupInfo
from kac_desktop.services.context import Actor
from kac_desktop.services.database import Database

from . import operations
from .table_models import TextTableModel


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, size // 1024):,} KB"


def kind_text(info: BackupInfo) -> str:
    return _("Before an upgrade") if info.kind == "before-migration" else _("Backup")


class BackupPage(QWidget):
    """``restoreRequested(path)``: the main window closes the database, restores and
    starts again."""

    restoreRequested = Signal(str)

    def __init__(self, db: Database, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.backups: list[BackupInfo] = []
        title = QLabel(_("Backup and restore"))
        title.setStyleSheet("font-size: 16px; font-weight: bold;")
        self.folder = QLabel()
        self.folder.setWordWrap(True)
        self.folder.setStyleSheet("color: #666;")
        self.model = TextTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.backup_button = QPushButton(_("Back up now"))
        self.backup_button.setObjectName("backupNow")
        self.restore_button = QPushButton(_("Restore from the selected backup…"))
        self.restore_button.setObjectName("restoreSelected")
        self.restore_file_button = QPushButton(_("Restore from a file…"))
        self.backup_button.clicked.connect(self.back_up)
        self.restore_button.clicked.connect(self.restore_selected)
        self.restore_file_button.clicked.connect(self.restore_from_file)
        may_restore = backup_service.may_restore(actor)
        self.restore_button.setVisible(may_restore)
        self.restore_file_button.setVisible(may_restore)
        buttons = QHBoxLayout()
        buttons.addWidget(title)
        buttons.addStretch()
        buttons.addWidget(self.backup_button)
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.restore_file_button)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #666;")
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.folder)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        if db.path is None:
            self.backup_button.setEnabled(False)
            self.restore_button.setEnabled(False)
            self.restore_file_button.setEnabled(False)
        self.reload()

    def reload(self) -> None:
        path = self.db.path
        if path is None:
            self.folder.setText(
                _(
                    "This database is on a database server; its backups are made on the "
                    "server, not by kac_desktop."
                )
            )
            self.backups = []
        else:
            folder = backup_service.backups_dir(path)
            lines = [_("Backups are kept in {folder}").format(folder=folder)]
            lines.append(backup_service.key_store_note(path))
            note = backup_service.whole_file_note(self.actor)
            if note:
                lines.append(note)
            self.folder.setText("\n".join(lines))
            self.backups = backup_service.list_backups(folder, path.stem)
        keep = settings_service.get(self.db).get("backup.keep_days", 14)
        self.note.setText(
            _(
                "A backup is made automatically at the first start of each day and before "
                "every upgrade of the database; backups older than {days} days are removed "
                "(the newest always stays). Before a restore the backup is checked, and the "
                "replaced database is kept beside it."
            ).format(days=keep)
        )
        self.model.set_rows(
            [_("Time"), _("Backup kind"), _("Size"), _("File")],
            [
                [
                    b.at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
                    kind_text(b),
                    size_text(b.size),
                    b.name,
                ]
                for b in self.backups
            ],
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        if self.backups:
            self.table.selectRow(0)

    def back_up(self) -> None:
        info = operations.run_long(
            self,
            _("Backing up the database…"),
            lambda progress: backup_service.backup_now(self.db, self.actor, progress=progress),
            title=_("Backup and restore"),
        )
        if info is None:
            return
        self.reload()
        QMessageBox.information(
            self,
            _("Backup and restore"),
            _("Backup written: {path} ({size})").format(path=info.path, size=size_text(info.size)),
        )

    def selected(self) -> BackupInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.backups[rows[0].row()] if rows else None

    def restore_selected(self) -> None:
        info = self.selected()
        if info is None:
            QMessageBox.information(self, _("Backup and restore"), _("Select a backup first."))
            return
        self.confirm_restore(info.path)

    def restore_from_file(self) -> None:
        start = str(backup_service.backups_dir(self.db.path)) if self.db.path else ""
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Restore from a file"), start, _("Databases (*.db);;All files (*)")
        )
        if path:
            self.confirm_restore(Path(path))

    def confirm_restore(self, path: Path) -> bool:
        """Check the backup first; only a sound one is offered for the restore."""
        result = operations.run_long(
            self,
            _("Checking the backup…"),
            lambda progress: backup_service.check_file(path, progress=progress),
            title=_("Backup and restore"),
        )
        if result is None:
            return False
        if not result.ok:
            QMessageBox.warning(
                self,
                _("Backup and restore"),
                _("The backup {file} cannot be used; nothing was changed:").format(file=path.name)
                + "\n"
                + "\n".join(result.problems),
            )
            return False
        answer = QMessageBox.question(
            self,
            _("Restore from a backup"),
            _(
                "Replace the database with the backup {file}?\n\nEverything entered after "
                "the backup was made is replaced; the current database is kept as a file "
                "beside it. The application signs you out and starts again."
            ).format(file=path.name),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.restoreRequested.emit(str(path))
        return True
