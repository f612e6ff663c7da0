"""The transcript editor's keyboard: its Find / Replace / Copy actions and the keys that change structure.

Enter splits a turn before the word at the cursor (a cursor in the middle of a word moves the whole word
to the new turn: words are never cut in two by Enter), Backspace at a turn's start merges it into the
previous one, Delete at a turn's end merges the next one in. Undo and Redo go to the document's undo
stack: the text view keeps no history of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence

if TYPE_CHECKING:
    from app.ui.transcript_editor import TranscriptEditor


def _keys(*keys: object) -> list[QKeySequence]:
    """Shortcut lists without duplicates (Replace is Ctrl+H on some platforms already)."""
    out: list[QKeySequence] = []
    for key in keys:
        seq = QKeySequence(key)  # type: ignore[call-overload]
        if not seq.isEmpty() and seq not in out:
            out.append(seq)
    return out


@dataclass(frozen=True)
class EditorActions:
    """The editor's actions; the window's Edit menu shows these very objects."""

    find: QAction
    replace: QAction
    copy: QAction
    """Ctrl+C in the text: the selection with each paragraph's time and speaker."""
    copy_plain: QAction


def build_editor_actions(editor: TranscriptEditor) -> EditorActions:
    """Find / Replace (on the editor and its find bar) and the two copies (on the text view)."""
    view = editor.text_view()
    find = QAction("&Find...", editor)
    find.setShortcuts(_keys(QKeySequence.StandardKey.Find, "Ctrl+F"))
    find.triggered.connect(lambda _c=False: editor.show_find())
    replace = QAction("Find and &Replace...", editor)
    replace.setShortcuts(_keys(QKeySequence.StandardKey.Replace, "Ctrl+H"))
    replace.triggered.connect(lambda _c=False: editor.show_replace())
    for action, tip in ((find, "Find words in the transcript"),
                        (replace, "Find words and replace them (their timings are kept)")):
        action.setToolTip(tip)
        action.setStatusTip(tip)
        editor.addAction(action)
    copy = QAction("&Copy with Speakers and Times", editor)
    copy.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
    copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the text view's own copy
    copy.setStatusTip('Copy the selection as "[00:06] Name: words" (plain text and formatted)')
    copy.triggered.connect(lambda _c=False: view.copy())
    view.addAction(copy)
    copy_plain = QAction("Copy &Text Only", editor)
    copy_plain.setShortcut(QKeySequence("Ctrl+Shift+C"))
    copy_plain.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    copy_plain.setStatusTip("Copy the selected words without speaker names or times")
    copy_plain.triggered.connect(lambda _c=False: editor.copy_plain())
    editor.addAction(copy_plain)
    return EditorActions(find, replace, copy, copy_plain)


def structure_key(editor: TranscriptEditor, event: QKeyEvent) -> bool:
    """Handle a key that changes structure or history in the editor's text view; True when handled."""
    stack = editor.undo_stack()
    view = editor.text_view()
    if stack is None or editor.document() is None:
        return False
    if view.isReadOnly():  # a background job is writing the document: no history moves either
        return event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo)
    if event.matches(QKeySequence.StandardKey.Undo):
        stack.undo()
        return True
    if event.matches(QKeySequence.StandardKey.Redo):
        stack.redo()
        return True
    key, mods = event.key(), event.modifiers()
    plain = not mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                        | Qt.KeyboardModifier.MetaModifier)
    cursor = view.textCursor()
    if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        if plain:
            editor.split_at_cursor()
            return True
        event.ignore()  # never a line break inside a paragraph; let the window have it
        return True
    if cursor.hasSelection() or not plain:
        return False
    block = cursor.block()
    if key == Qt.Key.Key_Backspace and cursor.positionInBlock() == 0:
        if block.blockNumber() > 0:
            editor.merge_turn(block.blockNumber())
        return True
    if key == Qt.Key.Key_Delete and cursor.positionInBlock() == block.length() - 1:
        if block.blockNumber() + 1 < len(editor.layout_model().segments):
            editor.merge_turn(block.blockNumber() + 1, cursor_before=True)
        return True
    return False
