"""Keeping the transcript editor's text view and its document in step, both ways.

Typing edits the text view directly; each change of a paragraph's text is pushed as one `ReplaceText`
over that paragraph's words (so unchanged words keep their times and consecutive typing merges into
one undo step), and the view, which shows the edit already, is only re-laid out where it must be.
Changes from anywhere else (undo, redo, the speakers panel, a transcription run) re-render only the
paragraphs they touched and put the cursor where the change is; new times only restyle their words.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from app.core.document import Change, ChangeKind, Transcript
from app.core.edits import ReplaceText
from app.core.word_units import separator_tokens, split_units
from app.ui.transcript_render import TranscriptLayout, changed_end, cursor_after_change, plan_edit
from app.ui.transcript_view import TranscriptTextView
from app.ui.undo import DocumentUndoStack
from app.ui.word_styles import WordHighlighter

if TYPE_CHECKING:
    from app.ui.transcript_editor import TranscriptEditor


class TranscriptSync:
    """One editor's link between its text view and its document: typing in, document changes out."""

    def __init__(self, editor: TranscriptEditor, view: TranscriptTextView, layout: TranscriptLayout) -> None:
        self._editor = editor
        self._view = view
        self._layout = layout
        self._doc: Transcript | None = None
        self._stack: DocumentUndoStack | None = None
        self.rendering = False
        """True while the text view is changed from here: nothing it reports meanwhile is typing."""
        self.renders = 0
        """How many document changes re-rendered text blocks (a timing change or our own typing do not)."""
        self.cursor_target: tuple[int, int] | None = None
        """Where the cursor goes after the change the editor pushes next: (word, offset); None: near the change."""
        # connected before the highlighter's own slot, so it sees the document already updated
        view.document().contentsChange.connect(self._on_text_contents_change)
        self._highlighter = WordHighlighter(layout)

    def bind(self, doc: Transcript | None, stack: DocumentUndoStack | None) -> None:
        """Follow `doc` (None: nothing); typing is pushed to `stack`."""
        if self._doc is not None:
            self._doc.unsubscribe(self._on_document_changed)
        self._doc, self._stack = doc, stack
        if doc is not None:
            doc.subscribe(self._on_document_changed)

    @contextmanager
    def rendering_view(self) -> Iterator[None]:
        """Change the text view without its signals counting as typing."""
        self.rendering = True
        try:
            yield
        finally:
            self.rendering = False

    # -- typing -------------------------------------------------------------------------------------

    def _on_text_contents_change(self, position: int, removed: int, added: int) -> None:
        if self.rendering or self._doc is None or self._stack is None:
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
        with self.rendering_view():  # the text view shows the edit already: nothing it hears meanwhile is typing
            ok = self._editor._push(ReplaceText(plan.start, plan.end, plan.text, speaker=plan.speaker),
                                    origin=self._view)
        removed = plan.end - plan.start
        change = Change(ChangeKind.WORDS, plan.start, removed, len(split_units(plan.text)) if ok else removed)
        with self.rendering_view():
            first, end, kept = self._layout.sync(change, plan.shown)
            self._restyle(kept)
            if len(kept) < end - first or not self._layout.consistent():
                self._place_cursor(plan.cursor, keep_scroll=True)
        self._editor._on_sync_shown(words_changed=True)

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
                self._view.viewport().update()  # the headers show the names
            return
        target = self.cursor_target
        self.cursor_target = None
        if target is None and not replaying:
            target = cursor_after_change(self._layout, self._view.textCursor().position(), change)
        old_texts = self._layout.shown_texts(change.start, change.start + change.removed) if replaying else []
        self.renders += 1
        with self.rendering_view():
            _, _, kept = self._layout.sync(change)
            if target is None:  # undo/redo: the cursor goes where the change is
                assert self._doc is not None
                new_texts = [w.text for w in self._doc.words[change.start:change.start + change.inserted]]
                target = changed_end(change.start, old_texts, new_texts)
            self._restyle(kept)
            self._place_cursor(target, keep_scroll=not replaying)
        self._editor._on_sync_shown(words_changed=True, reflowed=True)

    def _on_document_retimed(self, change: Change) -> None:
        """Words got new times (a boundary drag, a re-alignment): their text, the cursor and the
        selection stay; only their styles (timing source, confidence) and the headers' times update."""
        if not self._layout.consistent():
            return
        first = self._layout.segment_index_of(change.start)
        last = self._layout.segment_index_of(max(change.start, change.start + change.inserted - 1))
        with self.rendering_view():
            self._restyle(range(first, last + 1))
        self._editor._on_sync_shown(words_changed=False)

    def _restyle(self, block_numbers: list[int] | range) -> None:
        qdoc = self._view.document()
        for number in block_numbers:
            self._highlighter.rehighlightBlock(qdoc.findBlockByNumber(number))

    def _place_cursor(self, target: tuple[int, int], keep_scroll: bool) -> None:
        bar = self._view.verticalScrollBar()
        value = bar.value()
        index, inner = target
        position = self._layout.position_of(max(0, index), inner) if self._layout.segments else 0
        self._view.setTextCursor(self._view.cursor_at(position))
        if keep_scroll:
            bar.setValue(value)
