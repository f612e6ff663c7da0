"""The transcript editor: one paragraph per segment under a speaker/time header, edited in place.

The widget and what the window asks of it: the document shown, the word playing, clicks on words and
speaker names, the cursor's word, turn splits and merges, speaker assignment. Typing and document
changes are kept in step by `TranscriptSync` (`app.ui.transcript_sync`); the keys and actions are in
`app.ui.editor_keys`; the text surface is `TranscriptTextView`.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QRect, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QInputDialog, QMenu, QTextEdit, QVBoxLayout, QWidget

from app.core.document import Transcript
from app.core.edits import AddSpeaker, AssignSpeaker, MergeSegment, SplitSegment
from app.core.word_units import UNIT_SEPARATOR
from app.ui.editor_keys import build_editor_actions
from app.ui.find_replace import FindReplaceBar
from app.ui.speakers_panel import build_speaker_menu
from app.ui.transcript_render import TranscriptLayout, token_spans
from app.ui.transcript_sync import TranscriptSync
from app.ui.transcript_view import TranscriptTextView
from app.ui.undo import DocumentUndoStack
from app.ui.word_styles import SegmentHeaders, WordMarks


class TranscriptEditor(QWidget):
    """The transcript as editable paragraphs, one per segment, under speaker/time headers.

    Signals: `word_clicked(index, start_ms)` on a plain click on a word; `cursor_word_changed(index)`
    when the text cursor moves onto another word (-1: none); `message(text)` when an edit was refused.
    """

    word_clicked = Signal(int, int)
    cursor_word_changed = Signal(int)
    match_found = Signal(int, int)
    """A find match was selected: the index of its (first) word and that word's start in ms."""
    message = Signal(str)
    """One sentence for the status bar when an edit could not be made (optional to connect)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._doc: Transcript | None = None
        self._stack: DocumentUndoStack | None = None
        self._playing = -1
        self._last_cursor_word = -1
        self.follow_playback = True
        """Scroll to keep the playing word in view."""

        self._view = TranscriptTextView(self)
        font = self._view.font()
        font.setPointSizeF(font.pointSizeF() + 1.5)
        self._view.setFont(font)
        self._layout = TranscriptLayout(self._view.document())
        self._headers = SegmentHeaders(self._layout, self._view)
        self._layout.set_header_height(self._headers.height())
        self._sync = TranscriptSync(self, self._view, self._layout)
        self._marks = WordMarks(self._view)
        self._view.cursorPositionChanged.connect(self._on_view_cursor_moved)

        self.find_bar = FindReplaceBar(self)
        self.find_bar.hide()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self._view, 1)
        box.addWidget(self.find_bar)
        actions = build_editor_actions(self)
        self.find_action, self.replace_action = actions.find, actions.replace
        self.copy_action, self.copy_plain_action = actions.copy, actions.copy_plain
        self.set_document(None, None)

    @property
    def renders(self) -> int:
        """How many document changes re-rendered text blocks (a timing change or our own typing do not)."""
        return self._sync.renders

    def copy_plain(self) -> None:
        """Ctrl+Shift+C: the selected words only, paragraphs on their own lines."""
        cursor = self._view.textCursor()
        if cursor.hasSelection():
            QApplication.clipboard().setText(cursor.selectedText().replace("\u2029", "\n").replace(UNIT_SEPARATOR, ""))

    def selection_mime(self) -> QMimeData:
        """What Ctrl+C puts on the clipboard: each paragraph's time, speaker and selected words."""
        from app.ui.copy_attribution import attributed_mime

        return attributed_mime(self._doc, self._layout, self._view.textCursor())

    def on_match_shown(self, position: int) -> None:
        """The find bar selected a match at text `position`: say which word it is (the window seeks there)."""
        index = self._layout.word_at_position(position)
        if self._doc is not None and 0 <= index < len(self._doc):
            self.match_found.emit(index, self._doc.words[index].start_ms)

    # -- public API -------------------------------------------------------------------------------

    def set_document(self, doc: Transcript | None, undo_stack: DocumentUndoStack | None) -> None:
        """Show `doc` (None: nothing); every edit goes through `undo_stack`, which must be bound to it."""
        self._sync.bind(doc, undo_stack)
        self._doc, self._stack = doc, undo_stack
        self._playing = -1
        with self._sync.rendering_view():
            self._layout.render(doc)
            self._marks.clear()
            self._view.moveCursor(QTextCursor.MoveOperation.Start)
        self._view.setReadOnly(doc is None or undo_stack is None)
        self._last_cursor_word = -2
        self._on_view_cursor_moved()
        self.find_bar.refresh()

    def document(self) -> Transcript | None:
        """The transcript shown (None when none)."""
        return self._doc

    def undo_stack(self) -> DocumentUndoStack | None:
        """The undo stack every edit goes through (None when no document is shown)."""
        return self._stack

    def text_view(self) -> QTextEdit:
        """The QTextEdit that shows the text (for focus, tests and geometry)."""
        return self._view

    def highlight_word(self, index: int) -> None:
        """Mark word `index` as the one playing (-1: none) and scroll it into view if it left it.

        Only the old and the new word are repainted; the user's text cursor does not move.
        """
        if index == self._playing:
            return
        self._playing = index
        span = self._layout.word_span(index) if index >= 0 else None
        self._marks.set_playing(span)
        if span is not None and self.follow_playback:
            self._scroll_into_view(span[0])

    def current_word(self) -> int:
        """The word at the text cursor (-1: none)."""
        return self._layout.word_at_position(self._view.textCursor().position()) if self._doc else -1

    def move_cursor_to_word(self, index: int) -> None:
        """Put the text cursor at the start of word `index` and show it."""
        if self._doc is not None and self._layout.segments:
            self._view.setTextCursor(self._view.cursor_at(self._layout.position_of(index)))

    def word_rect(self, index: int) -> QRect:
        """Viewport rectangle of word `index` (empty when it is not shown)."""
        span = self._layout.word_span(index)
        if span is None:
            return QRect()
        a = self._view.cursorRect(self._view.cursor_at(span[0]))
        b = self._view.cursorRect(self._view.cursor_at(span[1]))
        return QRect(a.topLeft(), QPoint(max(b.left(), a.left() + 1), a.bottom()))

    def header_rect(self, segment_index: int) -> QRect:
        """Viewport rectangle of a segment's speaker name (click it for the speaker menu)."""
        return self._headers.name_rect(segment_index)

    def header_text(self, segment_index: int) -> str:
        """What a segment's header shows: "Name [mm:ss]" ('' for no such segment)."""
        return self._headers.text(segment_index)

    def speaker_menu(self, segment_index: int) -> QMenu:
        """The menu a click on a segment's speaker name opens: every speaker, then "New speaker..."."""
        seg = self._layout.segment_at_block(segment_index)
        return build_speaker_menu(self, self._doc, seg.speaker if seg else None,
                                  lambda sid: self.assign_speaker(segment_index, sid),
                                  lambda: self._ask_new_speaker(segment_index))

    def assign_speaker(self, segment_index: int, speaker_id: str) -> None:
        """Give every word of a segment to `speaker_id` (one undo step)."""
        seg = self._layout.segment_at_block(segment_index)
        if seg is None or self._stack is None or seg.speaker == speaker_id:
            return
        self._sync.cursor_target = (seg.start, 0)
        self._push(AssignSpeaker(seg.start, seg.end, speaker_id))

    def assign_new_speaker(self, segment_index: int, name: str) -> str | None:
        """Add a speaker called `name` and give it the segment (one undo step); returns its id."""
        seg = self._layout.segment_at_block(segment_index)
        if seg is None or self._stack is None or self._doc is None or not name.strip():
            return None
        add = AddSpeaker(name.strip())
        with self._stack.one_step(f"Assign new speaker {name.strip()}"):  # no step at all when refused
            added = self._push(add)
            if added and add.speaker_id is not None:
                self.assign_speaker(segment_index, add.speaker_id)
        return add.speaker_id if added else None

    def show_find(self) -> None:
        """Open the find bar (Ctrl+F) with the selected text as the search."""
        self.find_bar.open(replace=False)

    def show_replace(self) -> None:
        """Open the find bar with its replace row (Ctrl+H)."""
        self.find_bar.open(replace=True)

    def set_match_highlights(self, spans: list[tuple[int, int]], current: tuple[int, int] | None) -> None:
        """Highlight find matches (text positions); `current` gets a stronger colour."""
        self._marks.set_matches(spans, current)

    def set_highlight_spans(self, spans: list[tuple[int, int, object]]) -> None:
        """Paint highlighted quotes: (text start, text end, QColor) each."""
        self._marks.set_highlights(spans)  # type: ignore[arg-type]

    def select_span(self, start: int, end: int) -> None:
        """Select text positions [start, end) and scroll them into view."""
        self._view.setTextCursor(self._view.cursor_at(start, end))
        self._view.ensureCursorVisible()

    def layout_model(self) -> TranscriptLayout:
        """The word <-> text position map (for the find bar)."""
        return self._layout

    # -- helpers ----------------------------------------------------------------------------------

    def selected_words(self) -> tuple[int, int | None]:
        """[first, last) word indices the selection touches; (0, None) without a selection."""
        cursor = self._view.textCursor()
        if not cursor.hasSelection():
            return 0, None
        layout = self._layout
        a, b = cursor.selectionStart(), cursor.selectionEnd()
        first, last = layout.word_at_position(a), layout.word_at_position(b - 1)
        if first < 0 or last < 0:
            return 0, None
        span = layout.word_span(first)
        if span is not None and span[1] <= a:
            first += 1  # the selection starts in the space after this word
        return first, max(first, last) + 1

    def _scroll_into_view(self, position: int) -> None:
        rect = self._view.cursorRect(self._view.cursor_at(position))
        height = self._view.viewport().height()
        margin = rect.height()
        if rect.top() < margin or rect.bottom() > height - margin:
            bar = self._view.verticalScrollBar()
            bar.setValue(bar.value() + rect.center().y() - height // 3)

    def _push(self, command: object, origin: object | None = None) -> bool:
        """Push a core command with this editor as origin; a refused one is said in `message`, not raised.

        Typing passes the text view as origin: the view shows that edit already, so its echo is skipped.
        """
        assert self._stack is not None
        return self._stack.push_or_report(command, origin or self, self._on_push_refused)

    def _on_push_refused(self, sentence: str) -> None:
        self._sync.cursor_target = None
        self.message.emit(sentence)

    # -- turns ----------------------------------------------------------------------------------------

    def split_at_cursor(self) -> bool:
        """Start a new turn at the word after the cursor (the word under it if mid-word); True if split."""
        cursor = self._view.textCursor()
        block = cursor.block()
        seg = self._layout.segment_at_block(block.blockNumber())
        if seg is None:
            return False
        offset = cursor.positionInBlock()
        after = [k for k, (_, end) in enumerate(token_spans(block.text())) if end > offset]
        if not after or after[0] == 0:
            return False  # at a turn's end or start: nothing to split
        index = seg.start + after[0]
        self._sync.cursor_target = (index, 0)
        return self._push(SplitSegment(index))

    def merge_turn(self, block_number: int, cursor_before: bool = False) -> None:
        """Join block `block_number`'s turn to the previous one; the cursor stays at the join."""
        seg = self._layout.segment_at_block(block_number)
        if seg is None:
            return
        self._sync.cursor_target = (seg.start - 1, 1 << 30) if cursor_before else (seg.start, 0)
        self._push(MergeSegment(seg.start))

    def _on_sync_shown(self, words_changed: bool, reflowed: bool = False) -> None:
        """The sync showed a document change: the playing mark (after a re-render), the headers, the
        cursor's word and (when words changed) the find matches follow."""
        if reflowed and self._playing >= 0:
            index, self._playing = self._playing, -1
            follow, self.follow_playback = self.follow_playback, False
            self.highlight_word(min(index, len(self._doc) - 1) if self._doc else -1)
            self.follow_playback = follow
        self._view.viewport().update()
        self._last_cursor_word = -2  # the word under the cursor may have new text or times: say it again
        self._on_view_cursor_moved()
        if words_changed:
            self.find_bar.refresh()

    # -- clicks and cursor ----------------------------------------------------------------------------

    def _on_view_clicked(self, pos: QPoint) -> None:
        if self._doc is None:
            return
        index = self._layout.word_at_position(self._view.cursorForPosition(pos).position())
        if index < 0 or not self.word_rect(index).adjusted(-2, -1, 2, 1).contains(pos):
            return
        self.word_clicked.emit(index, self._doc.words[index].start_ms)

    def _on_header_clicked(self, segment_index: int, global_pos: QPoint) -> None:
        if self._stack is None:
            return
        self.speaker_menu(segment_index).exec(global_pos)

    def _ask_new_speaker(self, segment_index: int) -> None:
        name, ok = QInputDialog.getText(self, "New speaker", "Name of the new speaker:")
        if ok and name.strip():
            self.assign_new_speaker(segment_index, name)

    def _on_view_cursor_moved(self) -> None:
        if self._sync.rendering:
            return
        index = self.current_word()
        if index != self._last_cursor_word:
            self._last_cursor_word = index
            self.cursor_word_changed.emit(index)
