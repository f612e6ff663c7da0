"""Undo history: the edit command base class and a plain-Python undo stack.

The GUI wraps the same commands in a QUndoStack (`app/ui/undo.py`); `History` is the headless
equivalent (the tests drive the commands through it; the CLI edits a project once and saves, so it needs no
undo), with the same semantics as Qt's stack: `push` applies the
command and then offers it to the top of the stack to merge into, and a clean index tracks the saved
state.
"""

from __future__ import annotations

from app.core.document import Transcript


class Command:
    """One undoable change. `apply` and `revert` are exact inverses and change the document only
    through `doc.splice`, `doc.set_speakers` and `doc.set_meta`, passing `origin` along (the GUI sets it
    to the widget that caused the change so that widget need not reload itself).

    `apply` may be called again after `revert` (redo) and must then produce exactly the same state as
    the first time. It raises `EditError` without changing the document when the edit does not fit the
    document.
    """

    description: str = ""
    origin: object | None = None

    def apply(self, doc: Transcript) -> None:
        raise NotImplementedError

    def revert(self, doc: Transcript) -> None:
        raise NotImplementedError

    def merge(self, other: Command) -> bool:
        """Absorb `other`, which has just been applied after this one; True if it merged.

        After a merge, `revert` of this command undoes both and `apply` redoes both.
        """
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description!r})"


class History:
    """An undo/redo stack over one document."""

    def __init__(self, doc: Transcript) -> None:
        self.doc = doc
        self._stack: list[Command] = []
        self._index = 0  # commands [0, index) are applied
        self._clean: int | None = 0

    def push(self, cmd: Command) -> None:
        """Apply `cmd` and record it (merged into the top command where that command accepts it).

        If `apply` raises, nothing is recorded and the exception propagates.
        """
        cmd.apply(self.doc)
        del self._stack[self._index :]
        if self._clean is not None and self._clean > self._index:
            self._clean = None  # the saved state was in the discarded redo branch
        top = self._stack[-1] if self._stack else None
        if top is not None and top.merge(cmd):
            if self._clean == self._index:
                self._clean = None  # the saved state was the top, which has now changed
            return
        self._stack.append(cmd)
        self._index += 1

    def can_undo(self) -> bool:
        return self._index > 0

    def can_redo(self) -> bool:
        return self._index < len(self._stack)

    def undo(self) -> None:
        """Revert the last applied command (nothing happens when there is none)."""
        if self.can_undo():
            self._stack[self._index - 1].revert(self.doc)
            self._index -= 1

    def redo(self) -> None:
        """Apply again the last reverted command (nothing happens when there is none)."""
        if self.can_redo():
            self._stack[self._index].apply(self.doc)
            self._index += 1

    def undo_description(self) -> str:
        return self._stack[self._index - 1].description if self.can_undo() else ""

    def redo_description(self) -> str:
        return self._stack[self._index].description if self.can_redo() else ""

    def mark_clean(self) -> None:
        """Record the current state as saved."""
        self._clean = self._index

    def is_clean(self) -> bool:
        """True when the document is in the state last marked clean (saved)."""
        return self._clean == self._index

    def clear(self) -> None:
        """Forget all commands (the current state becomes clean)."""
        self._stack.clear()
        self._index = 0
        self._clean = 0

    def __len__(self) -> int:
        return len(self._stack)
