"""The transcribe panel: model, language, task and target, with what a model cannot do disabled.

Choices a model cannot make are not hidden but greyed out, with a tooltip saying why ("Granite Speech
4.1 2B Plus does not translate"), so a person learns what each model is for. The capabilities come from
the catalog of transcription choices (`app.asr.catalog`); the models of a transcription server are
added with `set_remote_choices` and marked as remote.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPaintEvent, QPixmap, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStyle, QStyleOptionComboBox, QStylePainter, QWidget

from app.asr import catalog
from app.asr.catalog import Choice
from app.asr.engines.base import Capabilities, TranscribeOptions

LANGUAGES = (("en", "English"), ("fr", "French"), ("de", "German"), ("es", "Spanish"), ("pt", "Portuguese"),
             ("ja", "Japanese"))
TARGETS = LANGUAGES + (("it", "Italian"), ("zh", "Chinese"))
_NAMES = dict(TARGETS)
_BASE_ROLE = Qt.ItemDataRole.UserRole + 1  # a choice's name without its installed mark


def model_capabilities(key: str) -> Capabilities | None:
    """What a catalog choice can do; None when the catalog does not know the key."""
    choice = catalog.find(key)
    return choice.capabilities if choice is not None else None


def _set_item(combo: QComboBox, row: int, enabled: bool, why: str) -> None:
    model = combo.model()
    assert isinstance(model, QStandardItemModel)
    item = model.item(row)
    item.setEnabled(enabled)
    item.setToolTip("" if enabled else why)


def _ensure_enabled(combo: QComboBox) -> None:
    model = combo.model()
    assert isinstance(model, QStandardItemModel)
    if not model.item(combo.currentIndex()).isEnabled():
        for row in range(combo.count()):
            if model.item(row).isEnabled():
                combo.setCurrentIndex(row)
                return


class ModelComboBox(QComboBox):
    """The model list: the open list says "— not installed" in words; the closed box shows the choice's
    name and its state's mark only, so the name is never cut off."""

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        base = self.itemData(self.currentIndex(), _BASE_ROLE)
        if base:
            option.currentText = str(base)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)


def state_icon(state: str) -> QIcon:
    """A small mark: a green disc (installed), half a disc (partly), an empty ring (not installed)."""
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = QColor({"installed": "#2e7d32", "partly": "#d08a00"}.get(state, "#8a94a0"))
    painter.setPen(colour)
    if state == "installed":
        painter.setBrush(colour)
        painter.drawEllipse(1, 1, 10, 10)
    else:
        painter.drawEllipse(1, 1, 10, 10)
        if state == "partly":
            painter.setBrush(colour)
            painter.drawPie(1, 1, 10, 10, 90 * 16, 180 * 16)
    painter.end()
    return QIcon(pixmap)


class TranscribePanel(QWidget):
    """Model / language / task / target pickers; `options()` gives the TranscribeOptions to run."""

    changed = Signal()

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.model_box = ModelComboBox()
        self._remote: dict[str, Choice] = {}
        for choice in catalog.panel_choices():
            self._add_choice(choice)
        self.language_box = QComboBox()
        for code, name in LANGUAGES:
            self.language_box.addItem(name, code)
        self.task_box = QComboBox()
        self.task_box.addItem("Transcribe", "transcribe")
        self.task_box.addItem("Translate", "translate")
        self.target_box = QComboBox()
        for code, name in TARGETS:
            self.target_box.addItem(name, code)
        self._target_label = QLabel("into")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(6)
        # narrow boxes (the open list shows whole names) keep the transport on the toolbar at 1024 px
        for box, chars, tip in ((self.model_box, 18, "The model to transcribe with"),
                                (self.language_box, 7, "The language spoken in the recording"),
                                (self.task_box, 8, "Transcribe, or translate into another language"),
                                (self.target_box, 7, "The language to translate into")):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(chars)
            box.setToolTip(tip)
            box.view().setTextElideMode(Qt.TextElideMode.ElideNone)
        self.model_box.view().setMinimumWidth(320)
        for box in (self.model_box, self.language_box, self.task_box):
            layout.addWidget(box)
        layout.addWidget(self._target_label)
        layout.addWidget(self.target_box)
        self._restore()
        for box in (self.model_box, self.language_box, self.task_box, self.target_box):
            box.currentIndexChanged.connect(self._on_choice_changed)
        self._update_enabled()

    # -- state ------------------------------------------------------------------------------------

    @property
    def model_key(self) -> str:
        return str(self.model_box.currentData())

    @property
    def capabilities(self) -> Capabilities | None:
        remote = self._remote.get(self.model_key)
        return remote.capabilities if remote is not None else model_capabilities(self.model_key)

    @property
    def is_remote(self) -> bool:
        """Whether the chosen model runs on a transcription server (the audio is sent there)."""
        return self.model_key in self._remote

    def set_remote_choices(self, choices: list[Choice]) -> None:
        """Replace the server models in the list (after the local ones), keeping the current pick if it stays."""
        current = self.model_key
        self.model_box.blockSignals(True)
        try:
            for key in self._remote:
                row = self.model_box.findData(key)
                if row >= 0:
                    self.model_box.removeItem(row)
            self._remote = {c.key: c for c in choices}
            for choice in choices:
                self._add_choice(choice)
            row = self.model_box.findData(current)
            self.model_box.setCurrentIndex(row if row >= 0 else self.model_box.findData(catalog.DEFAULT_CHOICE))
        finally:
            self.model_box.blockSignals(False)
        self._update_enabled()

    def _add_choice(self, choice: Choice) -> None:
        self.model_box.addItem(choice.label, choice.key)
        tip = choice.description + (" (runs on the transcription server: the audio is sent there)"
                                    if choice.remote else "")
        self.model_box.setItemData(self.model_box.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)

    def options(self, keywords: tuple[str, ...] = ()) -> TranscribeOptions:
        """The options to transcribe with; keywords are dropped when the model cannot take them."""
        caps = self.capabilities
        task = str(self.task_box.currentData())
        return TranscribeOptions(
            task=task,
            language=str(self.language_box.currentData()),
            target_language=str(self.target_box.currentData()) if task == "translate" else None,
            keywords=tuple(keywords) if caps is None or caps.keywords else (),
        )

    def select(self, model: str | None = None, language: str | None = None, task: str | None = None,
               target: str | None = None) -> None:
        """Choose values programmatically (unknown or disabled ones are ignored)."""
        for box, value in ((self.model_box, model), (self.language_box, language), (self.task_box, task),
                           (self.target_box, target)):
            if value is not None:
                i = box.findData(value)
                if i >= 0:
                    box.setCurrentIndex(i)
        self._update_enabled()

    def choices(self) -> list[str]:
        """The keys of the transcription choices in the model list, in order."""
        return [str(self.model_box.itemData(row)) for row in range(self.model_box.count())]

    def choice_label(self, key: str) -> str:
        """A choice's name without its installed mark ("Interview (2B + Plus)")."""
        row = self.model_box.findData(key)
        base = self.model_box.itemData(row, _BASE_ROLE) if row >= 0 else None
        return str(base) if base else (self.model_box.itemText(row) if row >= 0 else key)

    def set_model_states(self, states: Mapping[str, Any]) -> None:
        """Mark each choice installed / partly installed / not installed (`ChoiceState`s by key), sizes in
        the tooltip."""
        for row in range(self.model_box.count()):
            key = str(self.model_box.itemData(row))
            base = self.choice_label(key)
            self.model_box.setItemData(row, base, _BASE_ROLE)
            state = states.get(key)
            if state is None:
                continue
            suffix = "" if state.ready else f" \u2014 {state.label()}"
            self.model_box.setItemText(row, f"{base}{suffix}")
            self.model_box.setItemIcon(row, state_icon(state.state))
            tip = self.model_box.itemData(row, Qt.ItemDataRole.ToolTipRole) or ""
            first = str(tip).split("\n\n")[0]
            self.model_box.setItemData(row, f"{first}\n\n{state.details()}", Qt.ItemDataRole.ToolTipRole)

    def is_enabled(self, box: QComboBox, value: str) -> bool:
        """Whether `value` can be picked in `box` now (for tests and tooltips)."""
        model = box.model()
        assert isinstance(model, QStandardItemModel)
        return model.item(box.findData(value)).isEnabled()

    def tooltip_of(self, box: QComboBox, value: str) -> str:
        model = box.model()
        assert isinstance(model, QStandardItemModel)
        return model.item(box.findData(value)).toolTip()

    # -- capability-based disabling -------------------------------------------------------------

    def _update_enabled(self) -> None:
        caps = self.capabilities
        name = self.choice_label(self.model_key)
        for box in (self.language_box, self.task_box, self.target_box):
            box.blockSignals(True)
        try:
            for row, (code, lang) in enumerate(LANGUAGES):
                ok = caps is None or code in caps.languages
                _set_item(self.language_box, row, ok, f"{name} does not transcribe {lang}.")
            _ensure_enabled(self.language_box)
            can_translate = caps is None or caps.translation_to_english or bool(caps.translation_targets)
            _set_item(self.task_box, 1, can_translate, f"{name} does not translate; choose Granite Speech 4.1 2B.")
            _ensure_enabled(self.task_box)
            spoken = str(self.language_box.currentData())
            for row, (code, lang) in enumerate(TARGETS):
                if code == spoken:
                    ok, why = False, f"{lang} is the spoken language; choose Transcribe instead."
                elif caps is None:
                    ok, why = True, ""
                elif code == "en":
                    ok, why = caps.translation_to_english, f"{name} cannot translate into English."
                elif spoken != "en":
                    ok, why = False, f"{name} translates into {lang} only from English speech."
                else:
                    ok, why = code in caps.translation_targets, f"{name} cannot translate into {lang}."
                _set_item(self.target_box, row, ok, why)
            _ensure_enabled(self.target_box)
        finally:
            for box in (self.language_box, self.task_box, self.target_box):
                box.blockSignals(False)
        translating = self.task_box.currentData() == "translate"
        self.target_box.setEnabled(translating)
        self._target_label.setEnabled(translating)
        # shown only while translating: the toolbar keeps its room for the transport
        self.target_box.setVisible(translating)
        self._target_label.setVisible(translating)
        self.target_box.setToolTip("" if translating else "Choose Translate to pick a target language.")

    def _on_choice_changed(self, *_args: object) -> None:
        self._update_enabled()
        self._save()
        self.changed.emit()

    def _save(self) -> None:
        s = self._settings
        s.setValue("transcribe/model", self.model_key)
        s.setValue("transcribe/language", self.language_box.currentData())
        s.setValue("transcribe/task", self.task_box.currentData())
        s.setValue("transcribe/target", self.target_box.currentData())

    def _restore(self) -> None:
        s = self._settings
        self.select(
            model=str(s.value("transcribe/model", catalog.DEFAULT_CHOICE)),
            language=str(s.value("transcribe/language", "en")),
            task=str(s.value("transcribe/task", "transcribe")),
            target=str(s.value("transcribe/target", "fr")),
        )
