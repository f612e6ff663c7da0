"""Find and replace in the transcript: a bar under the editor (Ctrl+F, Ctrl+H).

Matches are searched paragraph by paragraph in the text the editor shows (never across paragraphs,
never in speaker names). Replacing one match is one `ReplaceText` over the words the match touches,
so every other word keeps its timing; replace all is one undo step (a macro of one `ReplaceText` per
changed paragraph, pushed from the last paragraph to the first so word indices stay valid).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

from app.core.edits import ReplaceText
from app.core.errors import VerbatimError
from app.core.word_units import UNIT_SEPARATOR, has_cjk
from app.ui.transcript_render import token_spans

if TYPE_CHECKING:
    from app.ui.transcript_editor import TranscriptEditor


@dataclass(frozen=True, slots=True)
class Match:
    """One match: in paragraph (block) `block`, characters [start, end) of its text."""

    block: int
    start: int
    end: int
    position: int  # text position of `start` in the editor's document


def _unit_gaps(query: str) -> str:
    """The query as a pattern that also matches across the zero-width spaces the editor shows between
    Chinese and Japanese word units ("東京" finds "東\u200b京")."""
    chars = [ch for ch in query if ch != UNIT_SEPARATOR]
    if not has_cjk(query):
        return re.escape("".join(chars))
    return f"{re.escape(UNIT_SEPARATOR)}?".join(re.escape(ch) for ch in chars)


class _FindEdit(QLineEdit):
    """The search field: Enter finds the next match, Shift+Enter the previous, Escape closes the bar."""

    def __init__(self, bar: FindReplaceBar) -> None:
        super().__init__(bar)
        self._bar = bar

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self._bar.find_previous()
            else:
                self._bar.find_next()
            return
        if event.key() == Qt.Key.Key_Escape:
            self._bar.close_bar()
            return
        super().keyPressEvent(event)


class FindReplaceBar(QWidget):
    """Search field, match case / whole words options, "3 of 12", next/previous, replace, replace all."""

    def __init__(self, editor: TranscriptEditor) -> None:
        super().__init__(editor)
        self._editor = editor
        self._matches: list[Match] = []
        self._current = -1
        self.find_edit = _FindEdit(self)
        self.find_edit.setPlaceholderText("Find")
        self.replace_edit = QLineEdit(self)
        self.replace_edit.setPlaceholderText("Replace with")
        self.case_box = QCheckBox("Match case", self)
        self.words_box = QCheckBox("Whole words", self)
        self.count_label = QLabel("", self)
        self.count_label.setMinimumWidth(90)
        previous = QToolButton(self)
        previous.setText("▲")
        previous.setToolTip("Previous match (Shift+Enter)")
        following = QToolButton(self)
        following.setText("▼")
        following.setToolTip("Next match (Enter)")
        close = QToolButton(self)
        close.setText("✕")
        close.setToolTip("Close (Esc)")
        self.replace_button = QPushButton("Replace", self)
        self.replace_all_button = QPushButton("Replace all", self)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 3, 6, 3)
        grid.addWidget(self.find_edit, 0, 0)
        grid.addWidget(self.count_label, 0, 1)
        grid.addWidget(previous, 0, 2)
        grid.addWidget(following, 0, 3)
        grid.addWidget(self.case_box, 0, 4)
        grid.addWidget(self.words_box, 0, 5)
        grid.addWidget(close, 0, 6)
        grid.addWidget(self.replace_edit, 1, 0)
        grid.addWidget(self.replace_button, 1, 2, 1, 2)
        grid.addWidget(self.replace_all_button, 1, 4, 1, 2)
        grid.setColumnStretch(0, 1)
        self._replace_row = (self.replace_edit, self.replace_button, self.replace_all_button)
        self.find_edit.textChanged.connect(self._on_options_changed)
        self.case_box.toggled.connect(self._on_options_changed)
        self.words_box.toggled.connect(self._on_options_changed)
        previous.clicked.connect(self.find_previous)
        following.clicked.connect(self.find_next)
        close.clicked.connect(self.close_bar)
        self.replace_button.clicked.connect(self.replace_current)
        self.replace_all_button.clicked.connect(self.replace_all)
        self.replace_edit.returnPressed.connect(self.replace_current)

    # -- opening ------------------------------------------------------------------------------

    def open(self, replace: bool = False) -> None:
        """Show the bar (with the replace row when `replace`), seeded with the editor's selection."""
        selected = self._editor.text_view().textCursor().selectedText()
        if selected and "\u2029" not in selected:
            self.find_edit.setText(selected)
        for widget in self._replace_row:
            widget.setVisible(replace)
        self.show()
        self.find_edit.setFocus()
        self.find_edit.selectAll()
        self.refresh()

    def close_bar(self) -> None:
        """Hide the bar, drop the match highlights and give the focus back to the text."""
        self.hide()
        self._editor.set_match_highlights([], None)
        self._editor.text_view().setFocus()

    # -- searching ---------------------------------------------------------------------------------

    def pattern(self) -> re.Pattern[str] | None:
        """The search as a regular expression (None when the field is empty)."""
        query = self.find_edit.text()
        if not query.strip():
            return None
        body = _unit_gaps(query)
        if self.words_box.isChecked():
            body = rf"(?<!\w){body}(?!\w)"
        return re.compile(body, 0 if self.case_box.isChecked() else re.IGNORECASE)

    def matches(self) -> list[Match]:
        """Every match in the transcript, in text order."""
        return list(self._matches)

    def current_index(self) -> int:
        """Index of the current match in `matches()` (-1: none)."""
        return self._current

    def count_text(self) -> str:
        """What the count label says: "3 of 12", "12 matches" or "No matches"."""
        return self.count_label.text()

    def refresh(self) -> None:
        """Search again (after the text or the options changed); does nothing while the bar is hidden."""
        if self.isHidden():
            return
        pattern = self.pattern()
        qdoc = self._editor.text_view().document()
        found: list[Match] = []
        if pattern is not None and self._editor.document() is not None:
            block = qdoc.begin()
            while block.isValid():
                text, base, number = block.text(), block.position(), block.blockNumber()
                found.extend(Match(number, m.start(), m.end(), base + m.start())
                             for m in pattern.finditer(text) if m.end() > m.start())
                block = block.next()
        self._matches = found
        self._current = self._index_at_cursor(exact=True)
        self._show()

    def _index_at_cursor(self, exact: bool = True) -> int:
        """The match the editor's selection covers exactly (-1: none)."""
        cursor = self._editor.text_view().textCursor()
        if not cursor.hasSelection():
            return -1
        span = (cursor.selectionStart(), cursor.selectionEnd())
        for i, m in enumerate(self._matches):
            if (m.position, m.position + m.end - m.start) == span:
                return i
        return -1

    def _show(self) -> None:
        n = len(self._matches)
        if not self.find_edit.text().strip():
            self.count_label.setText("")
        elif n == 0:
            self.count_label.setText("No matches")
        elif self._current >= 0:
            self.count_label.setText(f"{self._current + 1} of {n}")
        else:
            self.count_label.setText(f"{n} match{'es' if n != 1 else ''}")
        spans = [(m.position, m.position + m.end - m.start) for m in self._matches]
        current = spans[self._current] if self._current >= 0 else None
        self._editor.set_match_highlights(spans, current)

    def _go(self, index: int) -> None:
        self._current = index
        m = self._matches[index]
        self._editor.select_span(m.position, m.position + m.end - m.start)
        self._editor.on_match_shown(m.position)  # the playhead follows the match
        self._show()

    def find_next(self) -> None:
        """Select the next match after the cursor (wrapping round)."""
        if not self._matches:
            return
        selected = self._index_at_cursor(exact=True)
        if selected >= 0:
            self._go((selected + 1) % len(self._matches))
            return
        pos = self._editor.text_view().textCursor().selectionStart()
        after = [i for i, m in enumerate(self._matches) if m.position >= pos]
        self._go(after[0] if after else 0)

    def find_previous(self) -> None:
        """Select the match before the cursor (wrapping round)."""
        if not self._matches:
            return
        selected = self._index_at_cursor(exact=True)
        if selected >= 0:
            self._go((selected - 1) % len(self._matches))
            return
        pos = self._editor.text_view().textCursor().selectionStart()
        before = [i for i, m in enumerate(self._matches) if m.position < pos]
        self._go(before[-1] if before else len(self._matches) - 1)

    def _on_options_changed(self, *_: object) -> None:
        self.refresh()
        if self._matches and self._current < 0:
            pos = self._editor.text_view().textCursor().selectionStart()
            after = [i for i, m in enumerate(self._matches) if m.position >= pos]
            self._go(after[0] if after else 0)

    # -- replacing ----------------------------------------------------------------------------------

    def _word_edit(self, match: Match, replacement: str) -> tuple[int, int, str] | None:
        """(start, end, text) of the ReplaceText that puts `replacement` in place of `match`."""
        layout = self._editor.layout_model()
        seg = layout.segment_at_block(match.block)
        if seg is None:
            return None
        text = self._editor.text_view().document().findBlockByNumber(match.block).text()
        touched = [k for k, (a, b) in enumerate(token_spans(text)) if a < match.end and b > match.start]
        if not touched:
            return None
        spans = token_spans(text)
        first, last = touched[0], touched[-1]
        new_text = text[spans[first][0]:match.start] + replacement + text[match.end:spans[last][1]]
        return seg.start + first, seg.start + last + 1, new_text

    def replace_current(self) -> bool:
        """Replace the selected match and go to the next one; without a selected match, find it first."""
        stack = self._editor.undo_stack()
        if stack is None or not self._matches:
            return False
        index = self._index_at_cursor(exact=True)
        if index < 0:
            self.find_next()
            return False
        edit = self._word_edit(self._matches[index], self.replace_edit.text())
        if edit is None:
            return False
        position = self._matches[index].position
        if not stack.push_or_report(ReplaceText(*edit, description="Replace"), self, self._editor.message.emit):
            return False
        self._editor.select_span(position, position)
        self.refresh()
        after = [i for i, m in enumerate(self._matches) if m.position >= position + len(self.replace_edit.text())]
        if after:
            self._go(after[0])
        return True

    def replace_all(self) -> int:
        """Replace every match as one undo step; returns how many were replaced."""
        stack = self._editor.undo_stack()
        pattern = self.pattern()
        layout = self._editor.layout_model()
        if stack is None or pattern is None or not self._matches:
            return 0
        replacement = self.replace_edit.text()
        qdoc = self._editor.text_view().document()
        blocks = sorted({m.block for m in self._matches}, reverse=True)
        count = len(self._matches)
        with stack.one_step(f"Replace all '{self.find_edit.text()}'"):  # no step at all when the first is refused
            try:
                for number in blocks:
                    seg = layout.segment_at_block(number)
                    if seg is None:
                        continue
                    new_text = pattern.sub(lambda _m: replacement, qdoc.findBlockByNumber(number).text())
                    stack.push_command(ReplaceText(seg.start, seg.end, new_text, description="Replace"), origin=self)
            except VerbatimError as error:
                self._editor.message.emit(str(error))
        self.refresh()
        self.count_label.setText(f"Replaced {count}")
        return count
