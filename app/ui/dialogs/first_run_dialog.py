"""The first-start dialog: which speech model to get, what this computer can run, and the download itself.

`maybe_show_first_run(parent, settings)` is what the main window calls once it is shown: when no model
is ready (and the person has not said "Not now" before) it opens `FirstRunDialog` window-modal without
blocking, and returns it. The dialog explains the three models (good for, languages, size on disk),
shows the hardware check and the recommended model, downloads in the background with a progress bar
that can be cancelled and resumed, and when the Hub cannot be reached says exactly what to do instead
(copy a model folder into the store, or use a local folder where it is).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QEvent, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.asr import catalog
from app.asr.models.expected_time import Expected
from app.asr.models.model_store import (
    FIRST_RUN_MODELS,
    DownloadProgress,
    HardwareInfo,
    ModelStore,
    detect_hardware,
    format_bytes,
    recommend,
)
from app.asr.models.registry import ModelSpec, check_model_folder
from app.core.errors import VerbatimError
from app.ui.dialogs.model_words import gui_offline_help, short_path, title
from app.ui.dialogs.speed_hint import expected_line, expected_times

DISMISSED_KEY = "models/first_run_dismissed"

LANGUAGE_NAMES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "pt": "Portuguese",
                  "ja": "Japanese", "it": "Italian", "zh": "Chinese"}


def languages_text(spec: ModelSpec) -> str:
    return ", ".join(LANGUAGE_NAMES.get(code, code) for code in spec.capabilities.languages)




def maybe_show_first_run(parent: QWidget | None, settings: QSettings, store: ModelStore | None = None,
                         source: Path | None = None, force: bool = False) -> FirstRunDialog | None:
    """Open the first-run dialog (non-blocking) when no model is ready; return it, or None when not needed.

    "Not now" said before keeps it closed unless `force` (Transcribe with no model at all).
    Set VERBATIM_NO_FIRST_RUN=1 to never show it (screenshots, scripted runs).
    """
    if os.environ.get("VERBATIM_NO_FIRST_RUN") == "1":
        return None
    if not force and settings.value(DISMISSED_KEY, False, type=bool):
        return None
    store = store or ModelStore()
    if store.any_ready():
        return None
    dialog = FirstRunDialog(store, settings=settings, source=source, parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


class FirstRunDialog(QDialog):
    """Choose, check and download a first speech model. `source`: copy from this folder instead of the Hub.

    `model_chosen(key)` is emitted when a model becomes ready here: the window makes it its choice.
    No button is a default button: Enter never starts a multi-gigabyte download.
    """

    model_chosen = Signal(str)

    def __init__(self, store: ModelStore, hardware: HardwareInfo | None = None, settings: QSettings | None = None,
                 source: Path | None = None, parent: QWidget | None = None,
                 expected: Mapping[str, Expected] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Verbatim")
        self.setObjectName("firstRunDialog")
        self.store = store
        self.settings = settings
        self.source = Path(source) if source is not None else None
        self.hardware = hardware or detect_hardware()
        self.recommendation = recommend(self.hardware)
        self.expected = expected if expected is not None else expected_times(
            FIRST_RUN_MODELS, self.hardware.kind, store.config_path.parent)
        self.expected_labels: dict[str, QLabel] = {}
        self.choice = QButtonGroup(self)
        self.cards: dict[str, QRadioButton] = {}
        self.state_labels: dict[str, QLabel] = {}
        self.card_frames: dict[str, QFrame] = {}
        self.ready_key: str | None = None

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        title = QLabel("<h2 style='margin:0'>Welcome to Verbatim</h2>")
        intro = QLabel("Verbatim transcribes on this computer with IBM's open Granite Speech models, so your "
                       "recordings never leave it. Choose a model to download now; you can add, remove or "
                       "re-download models later in Transcribe \u25b8 Models\u2026")
        intro.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self._hardware_box())
        for key in FIRST_RUN_MODELS:
            layout.addWidget(self._model_card(key))
        self.space_label = QLabel()
        self.space_label.setObjectName("hint")
        layout.addWidget(self.space_label)
        from app.ui.dialogs.models_dialog import DownloadPanel

        self.panel = DownloadPanel(store, self)
        self.panel.finished.connect(self._on_panel_finished)
        self.panel.failed.connect(self._on_panel_failed)
        self.panel.running_changed.connect(self._on_panel_running_changed)
        layout.addWidget(self.panel)
        self.offline_label = QLabel()
        self.offline_label.setWordWrap(True)
        self.offline_label.setObjectName("offlineHelp")
        self.offline_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.offline_label.setStyleSheet("QLabel#offlineHelp { background: #fff4d6; border: 1px solid #e0c36a;"
                                         " border-radius: 6px; padding: 8px; color: #3d3000; }")
        self.offline_label.hide()
        layout.addWidget(self.offline_label)
        layout.addLayout(self._buttons())
        self.cards[self.recommendation.key].setChecked(True)
        self.refresh()
        self.setMinimumWidth(640)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # never smaller than what it shows
        for button in self.findChildren(QPushButton):  # the download panel's too: Enter presses nothing
            button.setAutoDefault(False)
            button.setDefault(False)

    # ---- building ------------------------------------------------------------------------------------

    def _hardware_box(self) -> QFrame:
        box = QFrame()
        box.setObjectName("hardwareBox")
        box.setStyleSheet("QFrame#hardwareBox { background: #eef4ff; border: 1px solid #b9cdf2; border-radius: 6px; }")
        lay = QVBoxLayout(box)
        lay.setContentsMargins(10, 8, 10, 8)
        self.hardware_label = QLabel(f"<b>This computer:</b> {self.hardware.describe()}")
        self.recommend_label = QLabel(f"<b>Recommended:</b> {title(self.store.spec(self.recommendation.key))}"
                                      f" \u2014 {self.recommendation.reason}")
        self.recommend_label.setWordWrap(True)
        lay.addWidget(self.hardware_label)
        lay.addWidget(self.recommend_label)
        return box

    def _model_card(self, key: str) -> QFrame:
        spec = self.store.spec(key)
        card = QFrame()
        card.setObjectName("modelCard")
        card.setStyleSheet("QFrame#modelCard { border: 1px solid #c8c8c8; border-radius: 6px; }"
                           "QFrame#modelCard[selected=\"true\"] { border: 2px solid #3b7be0; background: #f5f9ff; }")
        self.card_frames[key] = card
        lay = QVBoxLayout(card)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(2)
        top = QHBoxLayout()
        radio = QRadioButton(title(spec))
        radio.setStyleSheet("font-weight: bold")
        self.choice.addButton(radio)
        radio.toggled.connect(self.refresh)
        self.cards[key] = radio
        top.addWidget(radio)
        if key == self.recommendation.key:
            badge = QLabel("Recommended")
            badge.setStyleSheet("background: #2e7d32; color: white; border-radius: 8px; padding: 1px 8px;")
            top.addWidget(badge)
        top.addStretch(1)
        state = QLabel()
        self.state_labels[key] = state
        top.addWidget(state)
        lay.addLayout(top)
        choice = catalog.find(key)
        what = QLabel((choice.good_for if choice is not None else "") or spec.description)
        what.setWordWrap(True)  # longer in other languages and large fonts: wrapped, never clipped
        lay.addWidget(what)
        facts = QLabel(f"Languages: {languages_text(spec)} \u00b7 Size on disk: {spec.size_hint}")
        facts.setStyleSheet("color: #555")
        lay.addWidget(facts)
        self.expected_labels[key] = QLabel(expected_line(key, self.expected))
        self.expected_labels[key].setStyleSheet("color: #555")
        lay.addWidget(self.expected_labels[key])
        return card

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.copy_button = QPushButton("Copy from folder\u2026")
        self.copy_button.setToolTip("Copy a model folder (from a USB stick, another computer) into Verbatim's store")
        self.copy_button.clicked.connect(self._on_copy_clicked)
        self.local_button = QPushButton("Use local folder\u2026")
        self.local_button.setToolTip("Use a model folder where it is, without copying it")
        self.local_button.clicked.connect(self._on_local_clicked)
        self.later_button = QPushButton("Not now")
        self.later_button.clicked.connect(self._on_later_clicked)
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(self._on_download_clicked)
        for button in (self.copy_button, self.local_button, self.later_button, self.download_button):
            button.setAutoDefault(False)
            button.setDefault(False)
        for button in (self.copy_button, self.local_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.later_button)
        row.addWidget(self.download_button)
        return row

    # ---- state ---------------------------------------------------------------------------------------

    @property
    def selected_key(self) -> str:
        return next((key for key, radio in self.cards.items() if radio.isChecked()), self.recommendation.key)

    def refresh(self) -> None:
        """Update the per-model states, the free space line and the main button."""
        for key, frame in self.card_frames.items():
            frame.setProperty("selected", self.cards[key].isChecked())
            frame.style().unpolish(frame)
            frame.style().polish(frame)
        for key, label in self.state_labels.items():
            if self.panel.running and self.panel.download.key == key:
                label.setText("Downloading\u2026")
                continue
            status = self.store.status(key)
            partly = f"Partly downloaded ({format_bytes(status.size_bytes)})"
            label.setText({"ready": "\u2714 Downloaded", "partial": partly}.get(status.state, "Not downloaded"))
        self.space_label.setText(f"Models are stored in {short_path(self.store.cache_dir)} \u2014 "
                                 f"{format_bytes(self.store.free_space())} free on that disk.")
        if self.ready_key is not None:
            self.download_button.setText("Start using Verbatim")
        else:
            state = self.store.status(self.selected_key).state
            button = {"partial": "Resume download", "ready": "Use this model"}.get(state, "Download")
            self.download_button.setText(button)

    def _set_ready(self, key: str, message: str) -> None:
        self.ready_key = key
        self.offline_label.hide()
        self.panel.show_message(message)
        if self.settings is not None:
            self.settings.setValue(DISMISSED_KEY, False)
        self.refresh()
        self.model_chosen.emit(key)

    # ---- slots ---------------------------------------------------------------------------------------

    def _on_download_clicked(self) -> None:
        if self.ready_key is not None:
            self.accept()
            return
        key = self.selected_key
        if self.store.status(key).state == "ready":
            self._set_ready(key, f"{title(self.store.spec(key))} is ready.")
            return
        self.offline_label.hide()
        self.panel.start(key, self.source)

    def _on_copy_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder (the one with config.json)")
        if folder:
            self.copy_from(Path(folder))

    def copy_from(self, folder: Path) -> None:
        """Copy the model in `folder` into the store, choosing the model it is (2B, Plus or NAR)."""
        key = self._key_for_folder(folder)
        if key is not None:
            self.cards[key].setChecked(True)
            self.offline_label.hide()
            self.panel.start(key, folder)

    def _on_local_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder to use where it is")
        if folder:
            self.use_local_folder(Path(folder))

    def use_local_folder(self, folder: Path) -> None:
        """Use the model in `folder` where it is (remembered in the model settings)."""
        key = self._key_for_folder(folder)
        if key is None:
            return
        try:
            self.store.set_local_folder(key, folder)
        except VerbatimError as exc:
            self.panel.show_error(str(exc))
            return
        self.cards[key].setChecked(True)
        self._set_ready(key, f"{title(self.store.spec(key))} will be used from {folder}.")

    def _key_for_folder(self, folder: Path) -> str | None:
        try:
            family = check_model_folder(folder)
        except VerbatimError as exc:
            self.panel.show_error(str(exc))
            return None
        selected = self.store.spec(self.selected_key)
        if selected.family == family:
            return selected.key
        return next(k for k in FIRST_RUN_MODELS if self.store.spec(k).family == family)

    def _on_later_clicked(self) -> None:
        if self.settings is not None and self.ready_key is None:
            self.settings.setValue(DISMISSED_KEY, True)
        self.reject()

    def _on_panel_finished(self, key: str, folder: str) -> None:
        self._set_ready(key, f"{title(self.store.spec(key))} is ready. Open a recording and press Transcribe.")

    def _on_panel_failed(self, key: str, message: str, offline: bool) -> None:
        if offline:
            self.offline_label.setText(gui_offline_help(self.store.spec(key)))
            self.offline_label.show()
            self.fit_contents()
        self.refresh()

    def fit_contents(self) -> None:
        """Grow to show every line (wrapped labels included) without clipping, within the screen: wider
        where the screen is too short for the lines as they wrap at the dialog's width."""
        layout = self.layout()
        if layout is not None:
            layout.activate()
        hint = self.sizeHint()
        width, height = max(self.width(), hint.width()), hint.height()
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is not None:
            room, widest = screen.height() - 40, max(width, screen.width() - 20)
            if layout is not None and layout.hasHeightForWidth():
                while layout.totalHeightForWidth(width) > room and width < widest:  # fewer lines, until they fit
                    width = min(width + 20, widest)
                height = layout.totalHeightForWidth(width)
            height = min(height, room)
        if self.height() < height or self.width() < width:
            self.resize(width, max(self.height(), height))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit_contents()

    def event(self, event: QEvent) -> bool:
        # a window's minimum height does not follow wrapped lines: after each change the layout took in
        # (a text, a label shown, a narrower width) grow until they fit
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest and self.isVisible():
            self.fit_contents()
        return handled

    def _on_panel_running_changed(self, running: bool) -> None:
        for widget in (self.download_button, self.copy_button, self.local_button):
            widget.setEnabled(not running)
        self.later_button.setText("Close" if running else "Not now")
        self.refresh()

    def done(self, result: int) -> None:
        self.panel.shutdown()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.panel.shutdown()
        super().closeEvent(event)


def main(argv: list[str] | None = None) -> int:
    """`python -m app.ui.dialogs.first_run_dialog [--source FOLDER] [--screenshot PNG]`: the dialog on its own."""
    import argparse
    import sys

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--source", type=Path, help="copy models from this folder instead of the Hub")
    parser.add_argument("--screenshot", type=Path, help="download from --source, save a PNG midway, quit")
    args = parser.parse_args(argv)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    dialog = FirstRunDialog(ModelStore(), source=args.source)
    dialog.show()
    if args.screenshot is not None:
        def grab(p: DownloadProgress) -> None:
            if p.fraction >= 0.4 and not args.screenshot.exists():
                app.processEvents()
                args.screenshot.parent.mkdir(parents=True, exist_ok=True)
                dialog.grab().save(str(args.screenshot), "PNG")
                dialog.panel.download.cancel()
                QTimer.singleShot(200, dialog.reject)

        dialog.panel.download.progress.connect(grab)
        if args.source is not None:
            QTimer.singleShot(300, lambda: dialog.copy_from(args.source))
        else:
            QTimer.singleShot(300, dialog.download_button.click)
    return int(dialog.exec())


if __name__ == "__main__":
    raise SystemExit(main())
