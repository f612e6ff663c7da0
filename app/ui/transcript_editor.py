"""The transcript editor: one paragraph per segment under a speaker/time header, edited in place.

Typing edits the text view directly; each change of a paragraph's text is pushed as one
`ReplaceText` over that paragraph's words (so unchanged words keep their times and consecutive
typing merges into one undo step). Enter splits a turn before the word at the cursor (a cursor in
the middle of a word moves the whole word to the new turn: words are never cut in two by Enter),
Backspace at a turn's start merges it into the previous one, Delete at a turn's end merges the next
one in. Changes from anywhere else (undo, redo, the speakers panel, a transcription run) re-render
only the paragraphs they touched.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QTextCursor
from PySide6.QtWidgets import QApplication, QInputDialog, QMenu, QTextEdit, QVBoxLayout, QWidget

from app.core.document import Change, ChangeKind, Transcript
from app.core.edits import AddSpeaker, AssignSpeaker, MergeSegment, ReplaceText, SplitSegment
from app.core.errors import VerbatimError
from app.core.word_units import UNIT_SEPARATOR, separator_tokens, split_units
from app.ui.find_replace import FindReplaceBar
from app.ui.speakers_panel import build_speaker_menu
from app.ui.transcript_render import (
    TranscriptLayout,
    changed_end,
    cursor_after_change,
    plan_edit,
    token_spans,
)
from app.ui.transcript_view import TranscriptTextView
from app.ui.undo import DocumentUndoStack
from app.ui.word_styles import SegmentHeaders, WordHighlighter, WordMarks


def _keys(*keys: object) -> list[QKeySequence]:
    """Shortcut lists without duplicates (Replace is Ctrl+H on some platforms already)."""
    out: list[QKeySequence] = []
    for key in keys:
        seq = QKeySequence(key)  # type: ignore[call-overload]
        if not seq.isEmpty() and seq not in out:
            out.append(seq)
    return out


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
        self._rendering = False  # we are changing the text view: ignore its signals
        self.renders = 0
        """How many document changes re-rendered text blocks (a timing change or our own typing do not)."""
        self._cursor_target: tuple[int, int] | None = None
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
        # connected before the highlighter's own slot, so it sees the document already updated
        self._view.document().contentsChange.connect(self._on_text_contents_change)
        self._highlighter = WordHighlighter(self._layout)
        self._marks = WordMarks(self._view)
        self._view.cursorPositionChanged.connect(self._on_view_cursor_moved)

        self.find_bar = FindReplaceBar(self)
        self.find_bar.hide()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self._view, 1)
        box.addWidget(self.find_bar)
        self._build_actions()
        self.set_document(None, None)

    def _build_actions(self) -> None:
        """Find / Replace (the window's Edit menu shows these very actions) and the two copies."""
        self.find_action = QAction("&Find...", self)
        self.find_action.setShortcuts(_keys(QKeySequence.StandardKey.Find, "Ctrl+F"))
        self.find_action.triggered.connect(lambda _c=False: self.show_find())
        self.replace_action = QAction("Find and &Replace...", self)
        self.replace_action.setShortcuts(_keys(QKeySequence.StandardKey.Replace, "Ctrl+H"))
        self.replace_action.triggered.connect(lambda _c=False: self.show_replace())
        for action, tip in ((self.find_action, "Find words in the transcript"),
                            (self.replace_action, "Find words and replace them (their timings are kept)")):
            action.setToolTip(tip)
            action.setStatusTip(tip)
            self.addAction(action)
        self.copy_action = QAction("&Copy with Speakers and Times", self)
        self.copy_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the text view's own copy
        self.copy_action.setStatusTip('Copy the selection as "[00:06] Name: words" (plain text and formatted)')
        self.copy_action.triggered.connect(lambda _c=False: self._view.copy())
        self._view.addAction(self.copy_action)
        self.copy_plain_action = QAction("Copy &Text Only", self)
        self.copy_plain_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.copy_plain_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_plain_action.setStatusTip("Copy the selected words without speaker names or times")
        self.copy_plain_action.triggered.connect(lambda _c=False: self.copy_plain())
        self.addAction(self.copy_plain_action)

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
        if self._doc is not None:
            self._doc.unsubscribe(self._on_document_changed)
        self._doc, self._stack = doc, undo_stack
        if doc is not None:
            doc.subscribe(self._on_document_changed)
        self._playing = -1
        self._rendering = True
        try:
            self._layout.render(doc)
            self._marks.clear()
            self._view.moveCursor(QTextCursor.MoveOperation.Start)
        finally:
            self._rendering = False
        self._view.setReadOnly(doc is None or undo_stack is None)
        self._last_cursor_word = -2
        self._on_view_cursor_moved()
        self.find_bar.refresh()

    def document(self) -> Transcript | None:
        """The transcript shown (None when none)."""
        return self._doc

    def undo_stack(self) -> DocumentUndoStack | None:
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
            self._view.setTextCursor(self._cursor(self._layout.position_of(index)))

    def word_rect(self, index: int) -> QRect:
        """Viewport rectangle of word `index` (empty when it is not shown)."""
        span = self._layout.word_span(index)
        if span is None:
            return QRect()
        a = self._view.cursorRect(self._cursor(span[0]))
        b = self._view.cursorRect(self._cursor(span[1]))
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
        self._cursor_target = (seg.start, 0)
        self._push(AssignSpeaker(seg.start, seg.end, speaker_id))

    def assign_new_speaker(self, segment_index: int, name: str) -> str | None:
        """Add a speaker called `name` and give it the segment (one undo step); returns its id."""
        seg = self._layout.segment_at_block(segment_index)
        if seg is None or self._stack is None or self._doc is None or not name.strip():
            return None
        add = AddSpeaker(name.strip())
        self._stack.beginMacro(f"Assign new speaker {name.strip()}")
        try:
            added = self._push(add)
            if added and add.speaker_id is not None:
                self.assign_speaker(segment_index, add.speaker_id)
        finally:
            self._stack.endMacro()
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
        self._view.setTextCursor(self._cursor(start, end))
        self._view.ensureCursorVisible()

    def layout_model(self) -> TranscriptLayout:
        """The word <-> text position map (for the find bar)."""
        return self._layout

    # -- helpers ----------------------------------------------------------------------------------

    def _cursor(self, start: int, end: int | None = None) -> QTextCursor:
        cursor = QTextCursor(self._view.document())
        cursor.setPosition(start)
        if end is not None:
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        return cursor

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
        rect = self._view.cursorRect(self._cursor(position))
        height = self._view.viewport().height()
        margin = rect.height()
        if rect.top() < margin or rect.bottom() > height - margin:
            bar = self._view.verticalScrollBar()
            bar.setValue(bar.value() + rect.center().y() - height // 3)

    def _push(self, command: object, origin: object | None = None) -> bool:
        """Push a core command with this editor as origin; a user error is shown, not raised.

        Typing passes the text view as origin: the view shows that edit already, so its echo is skipped.
        """
        assert self._stack is not None
        try:
            self._stack.push_command(command, origin=origin or self)
        except VerbatimError as error:
            self._cursor_target = None
            self.message.emit(str(error))
            return False
        return True

    # -- structural keys ----------------------------------------------------------------------------

    def _on_view_key(self, event: QKeyEvent) -> bool:
        """Handle keys that change structure or history; True when handled."""
        if self._stack is None or self._doc is None:
            return False
        if self._view.isReadOnly():  # a background job is writing the document: no history moves either
            return event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo)
        if event.matches(QKeySequence.StandardKey.Undo):
            self._stack.undo()
            return True
        if event.matches(QKeySequence.StandardKey.Redo):
            self._stack.redo()
            return True
        key, mods = event.key(), event.modifiers()
        plain = not mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                            | Qt.KeyboardModifier.MetaModifier)
        cursor = self._view.textCursor()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if plain:
                self.split_at_cursor()
                return True
            event.ignore()  # never a line break inside a paragraph; let the window have it
            return True
        if cursor.hasSelection() or not plain:
            return False
        block = cursor.block()
        if key == Qt.Key.Key_Backspace and cursor.positionInBlock() == 0:
            if block.blockNumber() > 0:
                self._merge_block(block.blockNumber())
            return True
        if key == Qt.Key.Key_Delete and cursor.positionInBlock() == block.length() - 1:
            if block.blockNumber() + 1 < len(self._layout.segments):
                self._merge_block(block.blockNumber() + 1, cursor_before=True)
            return True
        return False

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
        self._cursor_target = (index, 0)
        return self._push(SplitSegment(index))

    def _merge_block(self, block_number: int, cursor_before: bool = False) -> None:
        """Join block `block_number`'s turn to the previous one; the cursor stays at the join."""
        seg = self._layout.segment_at_block(block_number)
        if seg is None:
            return
        self._cursor_target = (seg.start - 1, 1 << 30) if cursor_before else (seg.start, 0)
        self._push(MergeSegment(seg.start))

    # -- typing -------------------------------------------------------------------------------------

    def _on_text_contents_change(self, position: int, removed: int, added: int) -> None:
        if self._rendering or self._doc is None or self._stack is None:
            return
        if removed == added and self._layout.consistent():
            qdoc = self._view.document()
            seg = self._layout.segment_at_block(qdoc.findBlock(position).blockNumber())
            if seg is not None and separator_tokens(qdoc.findBlock(position).text()) == [
                    w.text for w in self._doc.words[seg.start:seg.end]]:
                return  # a format-only change (e.g. the highlighter's relayout)
        self._on_user_edit(position)

    def _on_user_edit(self, position: int) -> None:
        """Push the text of the paragraph(s) an edit touched as one ReplaceText."""
        assert self._doc is not None
        default_speaker = self._doc.speakers[0].id if self._doc.speakers else None
        plan = plan_edit(self._layout, position, self._view.textCursor().position(), default_speaker)
        if not plan.blocks_changed and self._layout.segments and (
                separator_tokens(plan.text) == [w.text for w in self._doc.words[plan.start:plan.end]]):
            return  # only spacing changed (e.g. a space typed before the next word): no edit yet
        self._rendering = True  # the text view shows the edit already: nothing it hears meanwhile is typing
        try:
            ok = self._push(ReplaceText(plan.start, plan.end, plan.text, speaker=plan.speaker), origin=self._view)
        finally:
            self._rendering = False
        removed = plan.end - plan.start
        change = Change(ChangeKind.WORDS, plan.start, removed, len(split_units(plan.text)) if ok else removed)
        qdoc = self._view.document()
        self._rendering = True
        try:
            first, end, kept = self._layout.sync(change, plan.shown)
            for number in kept:
                self._highlighter.rehighlightBlock(qdoc.findBlockByNumber(number))
            if len(kept) < end - first or not self._layout.consistent():
                self._place_cursor(plan.cursor, keep_scroll=True)
        finally:
            self._rendering = False
        self._headers_changed()
        self._last_cursor_word = -2  # the word under the cursor may have new text or times: say it again
        self._on_view_cursor_moved()
        self.find_bar.refresh()

    # -- changes from the document ----------------------------------------------------------------------

    def _on_document_changed(self, change: Change) -> None:
        replaying = self._stack is not None and self._stack.replaying
        if change.origin is self._view and not replaying:
            return  # our own keystroke: the text view shows it already
        if change.kind == ChangeKind.TIMING:
            self._on_document_retimed(change)
            return
        if change.kind != ChangeKind.WORDS:
            if change.kind == ChangeKind.SPEAKERS:
                self._headers_changed()
            return
        replaying = self._stack is not None and self._stack.replaying
        target = self._cursor_target
        self._cursor_target = None
        if target is None and not replaying:
            target = cursor_after_change(self._layout, self._view.textCursor().position(), change)
        old_texts = self._layout.shown_texts(change.start, change.start + change.removed) if replaying else []
        self.renders += 1
        self._rendering = True
        try:
            _, _, kept = self._layout.sync(change)
            if target is None:  # undo/redo: the cursor goes where the change is
                assert self._doc is not None
                new_texts = [w.text for w in self._doc.words[change.start:change.start + change.inserted]]
                target = changed_end(change.start, old_texts, new_texts)
            qdoc = self._view.document()
            for number in kept:
                self._highlighter.rehighlightBlock(qdoc.findBlockByNumber(number))
            self._place_cursor(target, keep_scroll=not replaying)
        finally:
            self._rendering = False
        if self._playing >= 0:
            index, self._playing = self._playing, -1
            follow, self.follow_playback = self.follow_playback, False
            self.highlight_word(min(index, len(self._doc) - 1) if self._doc else -1)
            self.follow_playback = follow
        self._headers_changed()
        self._last_cursor_word = -2  # the word under the cursor may have new text or times: say it again
        self._on_view_cursor_moved()
        self.find_bar.refresh()

    def _on_document_retimed(self, change: Change) -> None:
        """Words got new times (a boundary drag, a re-alignment): their text, the cursor and the
        selection stay; only their styles (timing source, confidence) and the headers' times update."""
        if not self._layout.consistent():
            return
        qdoc = self._view.document()
        first = self._layout.segment_index_of(change.start)
        last = self._layout.segment_index_of(max(change.start, change.start + change.inserted - 1))
        self._rendering = True
        try:
            for number in range(first, last + 1):
                self._highlighter.rehighlightBlock(qdoc.findBlockByNumber(number))
        finally:
            self._rendering = False
        self._headers_changed()
        self._last_cursor_word = -2  # the word under the cursor may have new times: say it again
        self._on_view_cursor_moved()

    def _place_cursor(self, target: tuple[int, int], keep_scroll: bool) -> None:
        bar = self._view.verticalScrollBar()
        value = bar.value()
        index, inner = target
        position = self._layout.position_of(max(0, index), inner) if self._layout.segments else 0
        self._view.setTextCursor(self._cursor(position))
        if keep_scroll:
            bar.setValue(value)

    def _headers_changed(self) -> None:
        self._view.viewport().update()

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
        if self._rendering:
            return
        index = self.current_word()
        if index != self._last_cursor_word:
            self._last_cursor_word = index
            self.cursor_word_changed.emit(index)
