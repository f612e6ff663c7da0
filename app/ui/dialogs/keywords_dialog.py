"""Keyword bias lists: edit the project's list, and keep named lists (in QSettings) for reuse.

Names, places and acronyms an interview is likely to contain ("Osei, microplastics, EPA") help the
models spell them. The project's list is part of the document (SetKeywords, undoable); named lists
are a person's own library across projects ("City council", "Climate desk").
"""

from __future__ import annotations

import re

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

GROUP = "keyword_lists"


def parse_keywords(text: str) -> tuple[str, ...]:
    """One keyword per line (commas also separate); blanks and repeats dropped, order kept."""
    out: list[str] = []
    for part in re.split(r"[\n,]", text):
        k = part.strip()
        if k and k not in out:
            out.append(k)
    return tuple(out)


class KeywordLibrary:
    """Named keyword lists stored in QSettings under `keyword_lists/<name>`."""

    def __init__(self, settings: QSettings) -> None:
        self._s = settings

    def names(self) -> list[str]:
        self._s.beginGroup(GROUP)
        try:
            return sorted(self._s.childKeys(), key=str.lower)
        finally:
            self._s.endGroup()

    def get(self, name: str) -> tuple[str, ...]:
        value = self._s.value(f"{GROUP}/{name}", "")
        if isinstance(value, str):
            return parse_keywords(value)
        # QSettings may hand back a list (an INI value with unquoted commas, as written by hand)
        return parse_keywords("\n".join(map(str, value)) if isinstance(value, (list, tuple)) else "")

    def put(self, name: str, keywords: tuple[str, ...]) -> None:
        self._s.setValue(f"{GROUP}/{name}", "\n".join(keywords))

    def remove(self, name: str) -> None:
        self._s.remove(f"{GROUP}/{name}")


class KeywordsDialog(QDialog):
    """Edit a keyword list; load or save named lists. `keywords()` is the result."""

    def __init__(self, keywords: tuple[str, ...], settings: QSettings, parent: QWidget | None = None,
                 supported: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyword List")
        self.library = KeywordLibrary(settings)
        self.editor = QPlainTextEdit("\n".join(keywords))
        self.editor.setPlaceholderText("One name, place or term per line")
        self.lists = QComboBox()
        self.load_button = QPushButton("Load")
        self.save_button = QPushButton("Save List As...")
        self.delete_button = QPushButton("Delete")
        self._fill_lists()
        self.load_button.clicked.connect(self._on_load_clicked)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        row = QHBoxLayout()
        row.addWidget(QLabel("Saved lists:"))
        row.addWidget(self.lists, 1)
        for b in (self.load_button, self.delete_button, self.save_button):
            row.addWidget(b)
        hint = QLabel("Words the model should favour when it transcribes: names, places, acronyms.")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        if not supported:
            warn = QLabel("The selected model does not use keyword lists; they are kept with the project.")
            warn.setStyleSheet("color: #b26b00")
            warn.setWordWrap(True)
            layout.addWidget(warn)
        layout.addWidget(self.editor, 1)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(440, 380)

    def keywords(self) -> tuple[str, ...]:
        return parse_keywords(self.editor.toPlainText())

    def _fill_lists(self) -> None:
        self.lists.clear()
        self.lists.addItems(self.library.names())
        has = self.lists.count() > 0
        self.load_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    def load_list(self, name: str) -> None:
        """Replace the text with the named list."""
        self.editor.setPlainText("\n".join(self.library.get(name)))

    def save_list(self, name: str) -> None:
        """Store the current text as a named list."""
        name = name.strip().replace("/", "-")
        if name:
            self.library.put(name, self.keywords())
            self._fill_lists()
            self.lists.setCurrentText(name)

    def _on_load_clicked(self) -> None:
        if self.lists.currentText():
            self.load_list(self.lists.currentText())

    def _on_save_clicked(self) -> None:
        name, ok = QInputDialog.getText(self, "Save Keyword List", "Name of the list:")
        if ok:
            self.save_list(name)

    def _on_delete_clicked(self) -> None:
        if self.lists.currentText():
            self.library.remove(self.lists.currentText())
            self._fill_lists()
