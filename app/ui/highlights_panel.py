"""The Highlights panel: every marked quote with its speaker, time, label, note and quote check.

A click on a row asks to jump there and play it (`play_requested`). Under the list, the selected
highlight's label and note can be changed (each change one undo step), and it can be played, copied as
a quote or removed. A quote with estimated or low-confidence words says so in the Check column.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.document import Change, ChangeKind, Transcript
from app.core.highlight_edits import AddLabel, RemoveHighlight, RenameLabel, SetHighlightLabel, SetHighlightNote
from app.core.highlights import Highlight, live_highlights
from app.core.quotes import check_quote
from app.core.timecode import format_clock
from app.core.word_units import join_words

COLUMNS = ("Time", "Speaker", "Label", "Quote", "Note", "Check")
CHECK_COLOR = QColor("#b3261e")
NOTE_WIDTH = 150


def _swatch(color: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(color)
    icon = QIcon(pixmap)
    icon.addPixmap(pixmap, QIcon.Mode.Selected)  # the label's own colour on a selected row too
    return icon


class HighlightsPanel(QWidget):
    """Lists the document's highlights; pushes label and note edits through the undo stack."""

    play_requested = Signal(int, int, int)  # start_ms, end_ms, first word index
    copy_requested = Signal(int, int)  # word range [start, end)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._doc: Transcript | None = None
        self._stack: Any = None
        self._rows: list[tuple[Highlight, int, int]] = []
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for col in range(len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Quote"), QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COLUMNS.index("Note"), QHeaderView.ResizeMode.Interactive)
        header.resizeSection(COLUMNS.index("Note"), NOTE_WIDTH)
        self.table.cellClicked.connect(self._on_table_cell_clicked)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)

        self.label_box = QComboBox(self)
        self.label_box.setToolTip("The label of the selected highlight")
        self.label_box.activated.connect(self._on_label_box_activated)
        self.note_edit = QLineEdit(self)
        self.note_edit.setPlaceholderText("Note: why this quote matters")
        self.note_edit.editingFinished.connect(self._on_note_edit_finished)
        self.play_button = QPushButton("Play It", self)
        self.play_button.clicked.connect(self._on_play_button_clicked)
        self.copy_button = QPushButton("Copy as Quote", self)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.new_label_button = QPushButton("New Label...", self)
        self.new_label_button.clicked.connect(self._on_new_label_button_clicked)
        self.rename_label_button = QPushButton("Rename Label...", self)
        self.rename_label_button.clicked.connect(self._on_rename_label_button_clicked)

        # two short rows rather than one long one, so the panel's column stays narrow beside the waveform
        edit_row = QHBoxLayout()
        edit_row.addWidget(self.label_box)
        edit_row.addWidget(self.new_label_button)
        edit_row.addWidget(self.rename_label_button)
        button_row = QHBoxLayout()
        for b in (self.play_button, self.copy_button, self.remove_button):
            button_row.addWidget(b)
        button_row.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.table, 1)
        box.addWidget(self.note_edit)
        box.addLayout(edit_row)
        box.addLayout(button_row)
        self._update_controls()

    # -- document -------------------------------------------------------------------------------------

    def set_document(self, doc: Transcript | None, undo_stack: Any) -> None:
        if self._doc is not None:
            self._doc.unsubscribe(self._on_doc_changed)
        self._doc, self._stack = doc, undo_stack
        if doc is not None:
            doc.subscribe(self._on_doc_changed)
        self.refresh()

    def _on_doc_changed(self, change: Change) -> None:
        if change.touches_words or change.kind in (ChangeKind.SPEAKERS, ChangeKind.HIGHLIGHTS):
            self.refresh()

    def refresh(self) -> None:
        """Rebuild the rows from the document, keeping the selected highlight selected."""
        current = self.current_highlight()
        doc = self._doc
        self._rows = live_highlights(doc) if doc is not None else []
        self.table.blockSignals(True)
        try:
            self.table.setRowCount(len(self._rows))
            for r, (h, i, j) in enumerate(self._rows):
                self._fill_row(r, h, i, j)
            ids = [h.id for h, _, _ in self._rows]
            if current is not None and current.id in ids:
                self.table.selectRow(ids.index(current.id))
        finally:
            self.table.blockSignals(False)
        self.table.resizeRowsToContents()
        self._update_controls()

    def _fill_row(self, r: int, h: Highlight, i: int, j: int) -> None:
        assert self._doc is not None
        doc, words = self._doc, self._doc.words[i:j]
        names = list(dict.fromkeys(doc.speaker_name(w.speaker) for w in words if w.speaker))
        check = check_quote(doc, i, j)
        color = QColor(doc.highlights.label_color(h.label))
        cells = (f"{format_clock(words[0].start_ms)}\u2013{format_clock(max(w.end_ms for w in words))}",
                 " / ".join(names), doc.highlights.label_name(h.label), join_words([w.text for w in words]), h.note,
                 "check against audio" if check.needs_check else "")
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(check.reasons() if c == len(cells) - 1 else text)
            if COLUMNS[c] == "Label":
                item.setBackground(color.lighter(110))
                item.setIcon(_swatch(color))  # still seen when the row is selected
            if COLUMNS[c] == "Check":
                item.setForeground(CHECK_COLOR)
            self.table.setItem(r, c, item)

    # -- reading ------------------------------------------------------------------------------------

    def row_count(self) -> int:
        return len(self._rows)

    def row_texts(self, row: int) -> dict[str, str]:
        """What row `row` shows, by column name."""
        items = [self.table.item(row, c) for c in range(len(COLUMNS))]
        return {name: item.text() if item is not None else "" for name, item in zip(COLUMNS, items, strict=True)}

    def current_highlight(self) -> Highlight | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self._rows):
            return None
        return self._rows[rows[0].row()][0]

    def _current_row(self) -> tuple[Highlight, int, int] | None:
        h = self.current_highlight()
        return next((row for row in self._rows if h is not None and row[0].id == h.id), None)

    # -- controls -------------------------------------------------------------------------------------

    def _update_controls(self) -> None:
        row = self._current_row()
        on = row is not None and self._stack is not None
        for w in (self.label_box, self.note_edit, self.play_button, self.copy_button, self.remove_button,
                  self.rename_label_button):
            w.setEnabled(on)
        self.new_label_button.setEnabled(self._stack is not None)
        self.label_box.blockSignals(True)
        self.label_box.clear()
        if self._doc is not None:
            for lab in self._doc.highlights.labels:
                self.label_box.addItem(lab.name, lab.id)
        if row is not None:
            self.label_box.setCurrentIndex(max(0, self.label_box.findData(row[0].label)))
            if not self.note_edit.hasFocus():
                self.note_edit.setText(row[0].note)
        else:
            self.note_edit.clear()
        self.label_box.blockSignals(False)

    def _push(self, command: object) -> bool:
        return self._stack is not None and self._stack.push_or_report(command, self, self.message.emit)

    def _on_table_cell_clicked(self, row: int, _column: int) -> None:
        if 0 <= row < len(self._rows):
            h, i, j = self._rows[row]
            self.play_requested.emit(h.start_ms, h.end_ms, i)

    def _on_table_selection_changed(self) -> None:
        self._update_controls()

    def _on_label_box_activated(self, index: int) -> None:
        h = self.current_highlight()
        label = self.label_box.itemData(index)
        if h is not None and label and label != h.label:
            self._push(SetHighlightLabel(h.id, str(label)))

    def _on_note_edit_finished(self) -> None:
        h = self.current_highlight()
        if h is not None and self.note_edit.text().strip() != h.note:
            self._push(SetHighlightNote(h.id, self.note_edit.text()))

    def _on_play_button_clicked(self) -> None:
        row = self._current_row()
        if row is not None:
            self.play_requested.emit(row[0].start_ms, row[0].end_ms, row[1])

    def _on_copy_button_clicked(self) -> None:
        row = self._current_row()
        if row is not None:
            self.copy_requested.emit(row[1], row[2])

    def _on_remove_button_clicked(self) -> None:
        h = self.current_highlight()
        if h is not None:
            self._push(RemoveHighlight(h.id))

    def _on_new_label_button_clicked(self) -> None:
        name, ok = QInputDialog.getText(self, "New Label", "Name of the new highlight label:")
        if ok and name.strip():
            add = AddLabel(name)
            if self._push(add) and self.current_highlight() is not None and add.label_id:
                self._push(SetHighlightLabel(self.current_highlight().id, add.label_id))  # type: ignore[union-attr]

    def _on_rename_label_button_clicked(self) -> None:
        label = self.label_box.currentData()
        if not label:
            return
        name, ok = QInputDialog.getText(self, "Rename Label", "New name:", text=self.label_box.currentText())
        if ok and name.strip():
            self._push(RenameLabel(str(label), name))

    def select_row(self, row: int) -> None:
        """Select a row (as a click on it would, without playing)."""
        self.table.selectRow(row)
        self._update_controls()
