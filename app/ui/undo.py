"""The Qt undo stack over the document: every core edit command becomes one QUndoCommand.

`DocumentUndoStack.push_command` applies a core `Command` (from `app.core.edits`) to the bound
`Transcript` and puts it on the stack; undo reverts it, redo applies it again, and consecutive
commands of one kind are offered to the core's `merge` so typing and one transcription run each
become one undo step. Widgets push through `push_or_report`, which turns a refused edit into the
one sentence their status-bar `message` shows.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.core.document import Transcript
from app.core.errors import VerbatimError


def _kind_id(command: Any) -> int:
    """A stable, positive id per command class, so Qt only offers merges between the same kind."""
    return zlib.crc32(type(command).__name__.encode()) & 0x3FFFFFFF


class CoreUndoCommand(QUndoCommand):
    """One core edit command on the Qt stack: redo -> apply, undo -> revert, mergeWith -> merge."""

    def __init__(self, stack: DocumentUndoStack, command: Any, applied: bool) -> None:
        super().__init__(str(getattr(command, "description", "") or type(command).__name__))
        self._stack = stack
        self.command = command
        self._applied = applied

    def id(self) -> int:
        return _kind_id(self.command) if hasattr(self.command, "merge") else -1

    def redo(self) -> None:
        if self._applied:  # applied by push_command already (so that errors reach the caller)
            self._applied = False
            return
        with self._stack._replay():
            self.command.apply(self._stack.document)

    def undo(self) -> None:
        with self._stack._replay():
            self.command.revert(self._stack.document)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, CoreUndoCommand) or type(other.command) is not type(self.command):
            return False
        if not self.command.merge(other.command):
            return False
        self.setText(str(getattr(self.command, "description", "") or self.text()))
        return True


class _Replaying:
    def __init__(self, stack: DocumentUndoStack) -> None:
        self._stack = stack

    def __enter__(self) -> None:
        self._stack._depth += 1

    def __exit__(self, *exc: object) -> None:
        self._stack._depth -= 1


class DocumentUndoStack(QUndoStack):
    """A QUndoStack bound to one `Transcript`; all document changes go through `push_command`."""

    def __init__(self, document: Transcript, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._depth = 0
        self._step_text: str | None = None  # inside `one_step`: the name of the step
        self._step_open = False  # inside `one_step`: its macro was begun (a command was applied)

    @property
    def document(self) -> Transcript:
        """The transcript this stack edits."""
        return self._document

    @property
    def replaying(self) -> bool:
        """True while an undo or a redo (not the first apply of a push) is changing the document."""
        return self._depth > 0

    def _replay(self) -> _Replaying:
        return _Replaying(self)

    def push_command(self, command: Any, origin: object | None = None) -> None:
        """Apply `command` to the document and push it as one undo step (or merge it into the last).

        `origin` (e.g. the widget that made the edit) is stored on the command so the document's
        change events name it. An error from the command (a `VerbatimError`) propagates and leaves
        both the document and the stack unchanged.
        """
        if origin is not None:
            command.origin = origin
        command.apply(self._document)
        if self._step_text is not None and not self._step_open:
            self.beginMacro(self._step_text)
            self._step_open = True
        self.push(CoreUndoCommand(self, command, applied=True))

    @contextmanager
    def one_step(self, text: str) -> Iterator[None]:
        """The commands pushed inside become one undo step called `text`; when none of them applied there
        is no step at all (a plain Qt macro would leave an empty one on the stack)."""
        assert self._step_text is None and not self._step_open, "one_step does not nest"
        self._step_text = text
        try:
            yield
        finally:
            self._step_text = None
            if self._step_open:
                self._step_open = False
                self.endMacro()

    def push_or_report(self, command: Any, origin: object, report: Callable[[str], None]) -> bool:
        """Push `command` as `push_command` does; True when it was applied.

        A command the document refuses (a `VerbatimError`) is not raised: its one sentence goes to
        `report` (a widget's status-bar `message`), and the document and the stack stay as they were.
        """
        try:
            self.push_command(command, origin=origin)
        except VerbatimError as error:
            report(str(error))
            return False
        return True

    def undo_text(self) -> str:
        """The text of the step undo would revert ('' when none)."""
        return self.undoText()
