"""Quotes in the window: one selection shared by transcript and waveform, highlights, quote copy,
markers, clips and the Highlights panel, with their actions in a Quotes menu.

Selecting words in the transcript selects their time on the waveform; Shift+drag on the waveform
selects the words whose middle lies in the dragged time (snapped to them unless Alt is held). Every
action works on that one selection: Highlight, Copy as Quote, Play / Loop Selection, Export Clip.

The controller gets its collaborators (the editor, the waveform's marks, playback, the widget its dialogs
open over) in its constructor; the window places its `actions`, `menu` and `dock`, tells it what is
open (`set_project`) and whether a job writes the document (`set_blocked`), and shows its `message`s.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

from app.core.document import Change, ChangeKind, Transcript
from app.core.highlight_edits import AddHighlight
from app.core.highlights import words_in_span
from app.core.markers import TAGS, InsertMarker, timestamp_text
from app.core.project import Project
from app.core.quotes import QuoteStyle, check_quote, format_quote
from app.ui import quote_files
from app.ui.highlights_panel import HighlightsPanel
from app.ui.transcript_highlights import TranscriptHighlights

if TYPE_CHECKING:
    from app.ui.playback_controller import PlaybackController
    from app.ui.transcript_editor import TranscriptEditor
    from app.ui.waveform_marks import WaveformMarks


class QuotesController(QObject):
    """The quote workflow over one editor, the waveform's marks and playback (the window places its parts)."""

    message = Signal(str)

    def __init__(self, editor: TranscriptEditor, marks: WaveformMarks, playback: PlaybackController,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parent = parent
        self._editor = editor
        self._marks = marks
        self._playback = playback
        self._project: Project | None = None
        self._blocked = False  # a transcription or re-alignment writes the document
        self._doc: Transcript | None = None
        self._stack: Any = None
        self._words: tuple[int, int] | None = None  # the selected words [i, j)
        self._span: tuple[int, int] | None = None  # the selected time (ms)
        self._syncing = False
        self.transcript_marks = TranscriptHighlights(editor, self)
        self.panel = HighlightsPanel()
        dock = QDockWidget("Highlights", parent)
        dock.setObjectName("highlights_dock")
        dock.setWidget(self.panel)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.dock = dock
        self.actions = self._make_actions()
        self.menu = self._build_menu()
        editor.text_view().selectionChanged.connect(self._on_editor_selection_changed)
        marks.selection_changed.connect(self._on_waveform_selection_changed)
        self.panel.play_requested.connect(self._on_panel_play_requested)
        self.panel.copy_requested.connect(self.copy_words_as_quote)
        self.panel.message.connect(self.message)
        self._update_enabled()

    # -- actions and menu -----------------------------------------------------------------------------

    def _make_actions(self) -> dict[str, QAction]:
        spec: list[tuple[str, str, str | None, Callable[[], object], str]] = [
            ("quote_highlight", "&Highlight Selection", "Ctrl+Shift+H", self.highlight_selection,
             "Mark the selected words as a quote"),
            ("quote_copy", "&Copy as Quote", "Ctrl+Alt+C", self.copy_as_quote,
             "Copy the selection as a newsroom quote with attribution and time"),
            ("quote_play", "&Play Selection", "Ctrl+Shift+P", lambda: self.play_selection(False),
             "Play the selected stretch once"),
            ("quote_loop", "&Loop Selection", "Ctrl+L", lambda: self.play_selection(True),
             "Play the selected stretch over and over (any jump elsewhere ends it)"),
            ("quote_timestamp", "Insert &Timestamp", "Ctrl+J", self.insert_timestamp,
             "Insert the playhead's time as [mm:ss] into the transcript"),
        ]
        for n, tag in enumerate(TAGS, start=1):
            spec.append((f"quote_tag_{n}", f"Insert {tag}", f"Ctrl+Alt+{n}", self._marker_slot(tag),
                         f"Insert {tag} at the playhead"))
        spec += [
            ("quote_clip", "Export &Clip...", "Ctrl+Shift+E", self.export_clip,
             "Save the selected stretch of the original recording as WAV, FLAC, MP3 or M4A"),
            ("quote_subtitles", "Export Selection as &Subtitles...", None, self.export_subtitles,
             "Save the selected words as SRT or WebVTT, timed from the selection's start"),
            ("quote_export", "Export &Highlights...", None, self.export_highlights,
             "Save the highlights alone as DOCX, text or CSV"),
            ("quote_style", "Quote &Style...", None, self.edit_style, "How Copy as Quote writes a quote"),
        ]
        acts: dict[str, QAction] = {}
        for name, text, keys, slot, tip in spec:
            a = QAction(text, self._parent)
            if keys:
                a.setShortcut(QKeySequence(keys))
            a.setStatusTip(tip)
            a.setToolTip(tip)
            a.triggered.connect(lambda _checked=False, s=slot: s())
            acts[name] = a
        return acts

    def _marker_slot(self, tag: str) -> Callable[[], object]:
        return lambda: self.insert_marker(tag)

    def _build_menu(self) -> QMenu:
        """The Quotes menu (the window puts it in its menu bar)."""
        menu = QMenu("&Quotes", self._parent)
        groups = (("quote_highlight", "quote_copy"), ("quote_play", "quote_loop"),
                  ("quote_timestamp", "quote_tag_1", "quote_tag_2", "quote_tag_3"),
                  ("quote_clip", "quote_subtitles", "quote_export", "quote_style"))
        for group in groups:
            for name in group:
                menu.addAction(self.actions[name])
            menu.addSeparator()
        menu.addAction(self.dock.toggleViewAction())
        return menu

    def set_blocked(self, blocked: bool) -> None:
        """A transcription or re-alignment writes the document: nothing else may change it meanwhile."""
        self._blocked = blocked
        self._update_enabled()

    def _update_enabled(self) -> None:
        # while a transcription or re-alignment writes the document, nothing else may change it
        running = self._blocked
        self.panel.setEnabled(not running)
        has_doc = self._doc is not None and self._stack is not None and not running
        has_words = self._words is not None
        self.actions["quote_highlight"].setEnabled(has_doc and has_words)
        self.actions["quote_copy"].setEnabled(has_doc and has_words)
        self.actions["quote_subtitles"].setEnabled(has_doc and has_words)
        for name in ("quote_play", "quote_loop", "quote_clip"):
            self.actions[name].setEnabled(has_doc and self._span is not None)
        for name in ("quote_timestamp", "quote_tag_1", "quote_tag_2", "quote_tag_3", "quote_export"):
            self.actions[name].setEnabled(has_doc)

    # -- the document --------------------------------------------------------------------------------

    def set_project(self, project: Project, stack: Any) -> None:
        """A project was opened with its undo stack: the selection is cleared, the marks follow it."""
        self._project = project
        if self._doc is not None:
            self._doc.unsubscribe(self._on_doc_changed)
        self._doc, self._stack = project.transcript, stack
        self._doc.subscribe(self._on_doc_changed)
        self._words, self._span = None, None
        self.panel.set_document(self._doc, stack)
        self._marks.set_document(self._doc)
        self.transcript_marks.set_document(self._doc)
        self._update_enabled()

    def _on_doc_changed(self, change: Change) -> None:
        if change.touches_words or change.kind == ChangeKind.HIGHLIGHTS:
            self._marks.refresh()
            self.transcript_marks.schedule()
        if self._words is not None and self._doc is not None and self._words[1] > len(self._doc):
            self._set_words(None)  # the selected words are gone

    # -- the shared selection ------------------------------------------------------------------------------

    def selection(self) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
        """(selected words [i, j) or None, selected time span in ms or None)."""
        return self._words, self._span

    def _on_editor_selection_changed(self) -> None:
        if self._syncing or self._doc is None:
            return
        cursor = self._editor.text_view().textCursor()
        words: tuple[int, int] | None = None
        if cursor.hasSelection():
            layout = self._editor.layout_model()
            a, b = cursor.selectionStart(), cursor.selectionEnd()
            i = layout.word_at_position(a)
            span = layout.word_span(i) if i >= 0 else None
            if span is not None and a >= span[1]:
                i += 1  # the selection starts in the space after word i
            j = layout.word_at_position(max(a, b - 1)) + 1
            if 0 <= i < j:
                words = (i, j)
        self._set_words(words)
        self._marks.set_selection(*(self._span or (None, None)))

    def _set_words(self, words: tuple[int, int] | None) -> None:
        self._words = words
        if words is not None and self._doc is not None:
            ws = self._doc.words
            self._span = (ws[words[0]].start_ms, max(w.end_ms for w in ws[words[0]:words[1]]))
        else:
            self._span = None
        self._update_enabled()

    def _on_waveform_selection_changed(self, start_ms: int, end_ms: int) -> None:
        if self._doc is None:
            return
        i, j = words_in_span(self._doc, start_ms, end_ms)
        self._words = (i, j) if j > i else None
        self._span = (start_ms, end_ms)
        if self._words is not None:
            self.select_words(i, j, keep_span=True)
        self._update_enabled()

    def select_words(self, i: int, j: int, keep_span: bool = False) -> None:
        """Select words [i, j) in the transcript (and their time on the waveform)."""
        layout = self._editor.layout_model()
        a, b = layout.word_span(i), layout.word_span(j - 1)
        if a is None or b is None:
            return
        self._syncing = True
        try:
            self._editor.select_span(a[0], b[1])
        finally:
            self._syncing = False
        span = self._span
        self._set_words((i, j))
        if keep_span and span is not None:
            self._span = span
        self._marks.set_selection(*(self._span or (None, None)))

    # -- what the actions do -------------------------------------------------------------------------------

    def _push(self, command: object) -> bool:
        return self._stack is not None and self._stack.push_or_report(command, self, self.message.emit)

    def highlight_selection(self, label: str = "quote", note: str = "") -> str | None:
        """Mark the selected words as a highlight; returns its id (None when nothing was marked)."""
        if self._words is None:
            self.message.emit("Select the words to highlight first.")
            return None
        cmd = AddHighlight(self._words[0], self._words[1], label, note)
        if not self._push(cmd):
            return None
        self.dock.show()
        return cmd.highlight_id

    def copy_as_quote(self) -> None:
        if self._words is None:
            self.message.emit("Select the words to quote first.")
            return
        self.copy_words_as_quote(*self._words)

    def copy_words_as_quote(self, i: int, j: int) -> None:
        """Put words [i, j) on the clipboard as house-style quotes."""
        if self._doc is None:
            return
        text = format_quote(self._doc, i, j, self.style())
        QGuiApplication.clipboard().setText(text)
        check = check_quote(self._doc, i, j)
        note = f" Check it against the audio: {check.reasons()}." if check.needs_check else ""
        self.message.emit("Quote copied." + note)

    def play_selection(self, loop: bool) -> None:
        if self._span is None:
            self.message.emit("Select words or a stretch of the waveform (Shift+drag) first.")
            return
        self._playback.play_range(self._span[0], self._span[1], loop)

    def insert_timestamp(self) -> None:
        ms = self._playback.position_ms
        self.insert_marker(timestamp_text(ms))

    def insert_marker(self, text: str) -> None:
        """Insert a marker word at the playhead (one undo step)."""
        cmd = InsertMarker(self._playback.position_ms, text)
        if self._push(cmd) and cmd.index is not None:
            self._editor.move_cursor_to_word(cmd.index)

    def _on_panel_play_requested(self, start_ms: int, end_ms: int, first_word: int) -> None:
        self._editor.move_cursor_to_word(first_word)
        self._playback.seek(start_ms)
        self._playback.play_range(start_ms, end_ms, False)

    # -- files: clips, highlights, the house style (app.ui.quote_files) ------------------------------------

    def style(self) -> QuoteStyle:
        """The saved house style (the default, with a status-bar sentence, when it cannot be read)."""
        return quote_files.load_style(self.message.emit)

    def export_clip(self, path: Path | None = None) -> Path | None:
        """Save the selected stretch of the original recording (asks where when `path` is None)."""
        return quote_files.export_clip(self._files(), self._span, self._words, self.style(), path)

    def export_subtitles(self, path: Path | None = None) -> Path | None:
        """Save the selected words as SRT or WebVTT (by the file's extension), timed from the selection."""
        return quote_files.export_selection_subtitles(self._files(), self._span, self._words, path)

    def export_highlights(self, path: Path | None = None) -> Path | None:
        """Save the highlights alone as DOCX, TXT or CSV (by the file's extension)."""
        return quote_files.export_highlights(self._files(), self.style(), path)

    def edit_style(self) -> None:
        """Ask for the house quote style and save it for every project (and `verbatim quote`)."""
        quote_files.edit_style(self._files(), self.style())

    def _files(self) -> quote_files.FileContext:
        return quote_files.FileContext(self._parent, self._project, self.message.emit)
