"""Models the way a person meets them: the first-run guide, the installed marks, the missing-models dialog.

- On a first start with nothing to open (no file, no `--demo`) and no model on this computer, the
  first-run guide opens; the demo opens with nothing over it.
- Transcribe checks the chosen choice first: with every model it needs installed it runs; with no
  model at all (and the guide never dismissed) the guide opens; otherwise one dialog lists everything
  missing, with sizes, and "Get models…" opens the Models dialog on the first one.
- Whatever the guide makes ready becomes the transcription choice in the toolbar.

`enabled` is False for windows whose engines do not load models from this computer (tests with a
scripted engine); then Transcribe is never held back and the model list carries no marks.

The flow gets its collaborators (the transcribe panel, the settings, the widget its dialogs open over)
in its constructor and answers through signals: `message` for the status bar, `marks_changed` when the
model list's marks were re-read (the window's model line follows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QWidget

from app.asr.models.model_store import ModelStore
from app.ui.model_readiness import ChoiceState, choice_states

if TYPE_CHECKING:
    from app.ui.transcribe_panel import TranscribePanel


class ModelFlow(QObject):
    """The window's link between its transcription choice and the models on this computer."""

    message = Signal(str)
    marks_changed = Signal()
    """The model list's marks were re-read from this computer."""

    def __init__(self, panel: TranscribePanel, settings: QSettings, store: ModelStore | None, enabled: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parent = parent
        self._panel = panel
        self._settings = settings
        self._store = store
        self.enabled = enabled
        self.first_run: Any = None
        self.missing_dialog: Any = None
        self.models_dialog: Any = None

    @property
    def store(self) -> ModelStore:
        if self._store is None:
            self._store = ModelStore()
        return self._store

    def states(self) -> dict[str, ChoiceState]:
        """The state of every choice in the toolbar's model list."""
        return choice_states(self._panel.choices(), self.store)

    def refresh(self) -> None:
        """Re-read what is installed and mark the model list."""
        if self.enabled:
            self._panel.set_model_states(self.states())
            self.marks_changed.emit()

    # -- the checks ------------------------------------------------------------------------------

    def first_start(self) -> None:
        """At start-up with nothing opened: the guide, when no model is on this computer."""
        if self.enabled:
            self.show_first_run(force=False)

    def ready_to_transcribe(self, choice: str) -> bool:
        """True when `choice` can run now; otherwise show what is missing (non-blocking) and say False."""
        if not self.enabled:
            return True
        state = choice_states([choice], self.store)[choice]
        if state.ready:
            return True
        from app.ui.dialogs.first_run_dialog import DISMISSED_KEY

        dismissed = self._settings.value(DISMISSED_KEY, False, type=bool)
        if not dismissed and not self.store.any_ready() and self.show_first_run(force=True) is not None:
            return False
        self.show_missing(state)
        return False

    # -- the dialogs -------------------------------------------------------------------------------

    def show_first_run(self, force: bool) -> Any:
        """Open the first-run guide (non-blocking); `force` shows it even when "Not now" was said before."""
        from app.ui.dialogs.first_run_dialog import maybe_show_first_run

        dialog = maybe_show_first_run(self._parent, self._settings, self.store, force=force)
        if dialog is not None:
            self.first_run = dialog
            dialog.model_chosen.connect(self._on_first_run_model_chosen)
            dialog.finished.connect(lambda *_: self.refresh())
        return dialog

    def show_missing(self, state: ChoiceState) -> Any:
        """The one dialog that lists everything `state`'s choice still needs."""
        from app.ui.dialogs.missing_models_dialog import MissingModelsDialog

        label = self._panel.choice_label(state.choice)
        dialog = MissingModelsDialog(label, [state], self._parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.get_models.connect(self.show_models)
        self.missing_dialog = dialog
        dialog.open()
        self.message.emit(f"{label} needs models that are not on this computer yet.")
        return dialog

    def offer_model(self, key: str, purpose: str) -> Any:
        """A command needs model `key` (Re-align needs one that aligns): the missing-models dialog for it."""
        state = choice_states([key], self.store)[key]
        if state.ready:
            return None
        from app.ui.dialogs.missing_models_dialog import MissingModelsDialog

        dialog = MissingModelsDialog(purpose, [state], self._parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.get_models.connect(self.show_models)
        self.missing_dialog = dialog
        dialog.open()
        return dialog

    def show_models(self, key: str = "") -> Any:
        """Transcribe > Models…, on model `key` when given; the marks are refreshed when it closes."""
        from app.ui.dialogs.models_dialog import show_models_dialog

        dialog = show_models_dialog(self._parent, self.store)
        if key:
            dialog.select(key)
        dialog.finished.connect(lambda *_: self.refresh())
        self.models_dialog = dialog
        return dialog

    def _on_first_run_model_chosen(self, key: str) -> None:
        self._panel.select(model=key)
        self.refresh()
        name = self._panel.choice_label(key)
        self.message.emit(f"Transcription will use {name}.")
