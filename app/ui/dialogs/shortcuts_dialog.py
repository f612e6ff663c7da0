"""Help > Keyboard Shortcuts: every action with a shortcut, listed from the window's own actions."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def shortcut_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """(action text, shortcuts) for each action that has a shortcut, in the given order, no duplicates."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for a in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts() if not k.isEmpty()]
        text = a.text().replace("&", "").rstrip(".").strip()
        if keys and text and text not in seen:
            seen.add(text)
            rows.append((text, ", ".join(keys)))
    return rows


class ShortcutsDialog(QDialog):
    """A read-only table of shortcuts."""

    def __init__(self, actions: Iterable[QAction], parent: QWidget | None = None,
                 extra: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.rows = shortcut_rows(actions) + list(extra)
        table = QTableWidget(len(self.rows), 2, self)
        table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        for r, (text, keys) in enumerate(self.rows):
            table.setItem(r, 0, QTableWidgetItem(text))
            table.setItem(r, 1, QTableWidgetItem(keys))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(460, 520)
