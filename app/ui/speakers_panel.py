"""The speakers panel: the speaker table with colour, editable name, word count and talk time.

Renaming edits the table (`RenameSpeaker`), so the new name shows everywhere at once and the text
never changes; merging moves every word of one speaker to another (`MergeSpeakers`). Every action is
one undo step on the document's stack.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetrics, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.document import Change, ChangeKind, Transcript
from app.core.edits import AddSpeaker, MergeSpeakers, RenameSpeaker, SetSpeakerColor
from app.core.timecode import format_clock
from app.ui.undo import DocumentUndoStack

STATS_DELAY_MS = 250
"""Word counts are recomputed this long after the last text change (typing stays cheap)."""


def speaker_stats(doc: Transcript) -> dict[str | None, tuple[int, int]]:
    """Per speaker id: (word count, talk time in ms), talk time being the spans of their segments."""
    stats: dict[str | None, list[int]] = {}
    words = doc.words
    for seg in doc.segments():
        entry = stats.setdefault(seg.speaker, [0, 0])
        entry[0] += seg.end - seg.start
        entry[1] += max(0, words[seg.end - 1].end_ms - words[seg.start].start_ms)
    return {k: (v[0], v[1]) for k, v in stats.items()}


def build_speaker_menu(parent: QWidget, doc: Transcript | None, current: str | None,
                       on_pick: Callable[[str], None], on_new: Callable[[], None]) -> QMenu:
    """A menu of the document's speakers (the current one checked), then "New speaker…"."""
    menu = QMenu(parent)
    menu.setToolTipsVisible(True)
    for speaker in doc.speakers if doc is not None else ():
        action = menu.addAction(_swatch(speaker.color), menu_name(menu, speaker.name))
        action.setToolTip(speaker.name)
        action.setCheckable(True)
        action.setChecked(speaker.id == current)
        action.triggered.connect(lambda _=False, sid=speaker.id: on_pick(sid))
    menu.addSeparator()
    menu.addAction("New speaker…").triggered.connect(lambda _=False: on_new())
    return menu


MENU_NAME_PX = 260  # a long name is cut in the middle so a menu never outgrows the screen


def menu_name(widget: QWidget, name: str) -> str:
    """`name` elided in the middle to fit a menu ("Dr. Amal Osei, Head of\u2026 University of Ghana")."""
    return QFontMetrics(widget.font()).elidedText(name, Qt.TextElideMode.ElideMiddle, MENU_NAME_PX)


def _swatch(color: str) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class SpeakersPanel(QWidget):
    """Lists the document's speakers; rename in place, add, merge one into another, change colour.

    Signal `speaker_selected(speaker_id)` when a row is selected ("" when none).
    """

    speaker_selected = Signal(str)
    message = Signal(str)
    """One sentence for the status bar when an action was refused (optional to connect)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._doc: Transcript | None = None
        self._stack: DocumentUndoStack | None = None
        self._filling = False
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Speaker", "Words", "Talk time"])
        self.tree.setRootIsDecorated(False)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # long names keep their start and end
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.SelectedClicked)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.add_button = QPushButton("Add", self)
        self.merge_button = QToolButton(self)
        self.merge_button.setText("Merge into…")
        self.merge_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.merge_button.setMenu(QMenu(self.merge_button))
        self.color_button = QPushButton("Colour…", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.merge_button)
        buttons.addWidget(self.color_button)
        buttons.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.tree, 1)
        box.addLayout(buttons)
        self._stats_timer = QTimer(self)
        self._stats_timer.setSingleShot(True)
        self._stats_timer.setInterval(STATS_DELAY_MS)
        self._stats_timer.timeout.connect(self.update_stats)
        self.tree.itemChanged.connect(self._on_tree_item_changed)
        self.tree.itemSelectionChanged.connect(self._on_tree_selection_changed)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.merge_button.menu().aboutToShow.connect(self._on_merge_menu_about_to_show)
        self.color_button.clicked.connect(self._on_color_clicked)
        self.set_document(None, None)

    # -- public API ------------------------------------------------------------------------------

    def set_document(self, doc: Transcript | None, undo_stack: DocumentUndoStack | None) -> None:
        """Show the speakers of `doc`; actions go through `undo_stack` (bound to the same document)."""
        if self._doc is not None:
            self._doc.unsubscribe(self._on_document_changed)
        self._doc, self._stack = doc, undo_stack
        if doc is not None:
            doc.subscribe(self._on_document_changed)
        self.refresh()

    def refresh(self) -> None:
        """Show the document's speaker table (rows are updated in place when the ids did not change)."""
        self._stats_timer.stop()
        doc = self._doc
        speakers = doc.speakers if doc is not None else ()
        stats = speaker_stats(doc) if doc is not None else {}
        self._filling = True
        try:
            if [s.id for s in speakers] != self.speaker_ids():
                selected = self.selected_speaker()
                self.tree.clear()
                for speaker in speakers:
                    item = QTreeWidgetItem(["", "", ""])
                    item.setData(0, Qt.ItemDataRole.UserRole, speaker.id)
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                    for column in (1, 2):
                        item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    self.tree.addTopLevelItem(item)
                    item.setSelected(speaker.id == selected)
            for row, speaker in enumerate(speakers):
                # in place: a rename arrives while the tree is still inside the edited item's signal
                shown = self.tree.topLevelItem(row)
                assert shown is not None  # the rows were laid out for these speakers above
                count, talk = stats.get(speaker.id, (0, 0))
                if shown.text(0) != speaker.name:
                    shown.setText(0, speaker.name)
                shown.setToolTip(0, speaker.name)
                shown.setIcon(0, _swatch(speaker.color))
                shown.setText(1, str(count))
                shown.setText(2, format_clock(talk))
        finally:
            self._filling = False
        enabled = self._stack is not None
        self.add_button.setEnabled(enabled)
        self.merge_button.setEnabled(enabled and len(speakers) > 1)
        self.color_button.setEnabled(enabled)

    def update_stats(self) -> None:
        """Recompute word counts and talk times (names and rows stay)."""
        self._stats_timer.stop()
        if self._doc is None:
            return
        stats = speaker_stats(self._doc)
        self._filling = True
        try:
            for row in range(self.tree.topLevelItemCount()):
                item = self.tree.topLevelItem(row)
                assert item is not None  # row < topLevelItemCount()
                count, talk = stats.get(item.data(0, Qt.ItemDataRole.UserRole), (0, 0))
                item.setText(1, str(count))
                item.setText(2, format_clock(talk))
        finally:
            self._filling = False

    def speaker_ids(self) -> list[str]:
        """The ids in the order shown."""
        items = (self.tree.topLevelItem(r) for r in range(self.tree.topLevelItemCount()))
        return [item.data(0, Qt.ItemDataRole.UserRole) for item in items if item is not None]

    def item_for(self, speaker_id: str) -> QTreeWidgetItem | None:
        """The row of a speaker (None when not listed)."""
        for row in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(row)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == speaker_id:
                return item
        return None

    def selected_speaker(self) -> str:
        """The id of the selected speaker ("" when none)."""
        items = self.tree.selectedItems()
        return str(items[0].data(0, Qt.ItemDataRole.UserRole)) if items else ""

    def select_speaker(self, speaker_id: str) -> None:
        item = self.item_for(speaker_id)
        if item is not None:
            self.tree.setCurrentItem(item)

    def rename_speaker(self, speaker_id: str, name: str) -> bool:
        """Rename a speaker (one undo step); False when refused (e.g. an empty name)."""
        return self._push(RenameSpeaker(speaker_id, name))

    def merge_speakers(self, source_id: str, target_id: str) -> bool:
        """Give all words of `source_id` to `target_id` and remove the source (one undo step)."""
        return self._push(MergeSpeakers(source_id, target_id))

    def add_speaker(self, name: str = "") -> str | None:
        """Add a speaker (named "Speaker N" when `name` is empty); returns its id."""
        command = AddSpeaker(name)
        return command.speaker_id if self._push(command) else None

    def set_speaker_color(self, speaker_id: str, color: str) -> bool:
        return self._push(SetSpeakerColor(speaker_id, color))

    # -- internals -----------------------------------------------------------------------------------

    def _push(self, command: object) -> bool:
        return self._stack is not None and self._stack.push_or_report(command, self, self._on_push_refused)

    def _on_push_refused(self, sentence: str) -> None:
        self.message.emit(sentence)
        self.refresh()  # an inline rename the document refused shows the old name again

    def _on_document_changed(self, change: Change) -> None:
        if change.kind == ChangeKind.SPEAKERS:
            self.refresh()
        elif change.touches_words:
            self._stats_timer.start()

    def _on_tree_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or column != 0 or self._doc is None:
            return
        speaker_id = item.data(0, Qt.ItemDataRole.UserRole)
        if item.text(0).strip() != self._doc.speaker_name(speaker_id):
            self.rename_speaker(speaker_id, item.text(0))

    def _on_tree_selection_changed(self) -> None:
        if not self._filling:
            self.speaker_selected.emit(self.selected_speaker())

    def _on_add_clicked(self) -> None:
        speaker_id = self.add_speaker()
        item = self.item_for(speaker_id) if speaker_id else None
        if item is not None:
            self.tree.setCurrentItem(item)
            self.tree.editItem(item, 0)

    def _on_merge_menu_about_to_show(self) -> None:
        menu = self.merge_button.menu()
        menu.clear()
        source = self.selected_speaker()
        if not source or self._doc is None:
            menu.addAction("Select the speaker to merge first").setEnabled(False)
            return
        menu.setToolTipsVisible(True)
        for speaker in self._doc.speakers:
            if speaker.id != source:
                action = menu.addAction(_swatch(speaker.color), menu_name(menu, speaker.name))
                action.setToolTip(speaker.name)
                action.triggered.connect(lambda _=False, t=speaker.id: self.merge_speakers(source, t))

    def _on_color_clicked(self) -> None:
        speaker_id = self.selected_speaker()
        speaker = self._doc.speaker(speaker_id) if self._doc is not None and speaker_id else None
        if speaker is None:
            return
        color = QColorDialog.getColor(QColor(speaker.color), self, f"Colour of {speaker.name}")
        if color.isValid():
            self.set_speaker_color(speaker_id, color.name())
