"""Models the way a person meets them: no guide over the demo, the guide on first need, its choice applied,
the installed marks in the model list, and one missing-models dialog (never a command line)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLabel
from tiny_models import shared_tiny
from ui_window_support import ScriptedEngine, new_window, open_demo

from app.asr.models.model_store import ModelStore
from app.ui.app import demo_copy, start_up
from app.ui.dialogs.first_run_dialog import FirstRunDialog
from app.ui.dialogs.missing_models_dialog import MissingModelsDialog
from app.ui.dialogs.models_dialog import ModelsDialog
from app.ui.model_readiness import choice_states, without_command_line


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelStore:
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.delenv("VERBATIM_NO_FIRST_RUN", raising=False)
    return ModelStore(cache_dir=cache, config_path=tmp_path / "config" / "models.json")


@pytest.fixture()
def granite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_tiny(tmp_path_factory, "granite")


def _visible(kind: type) -> list:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def _close_dialogs() -> None:
    for kind in (FirstRunDialog, MissingModelsDialog, ModelsDialog):
        for dialog in _visible(kind):
            dialog.reject()


def test_the_demo_opens_with_nothing_over_it_and_a_bare_start_shows_the_guide(qtbot, tmp_path, store,
                                                                              monkeypatch) -> None:
    import app.ui.app as app_module

    w = new_window(qtbot, tmp_path, model_store=store)  # no model on this computer
    monkeypatch.setattr(app_module, "demo_copy", lambda: demo_copy(tmp_path / "demo"))
    with qtbot.waitSignal(w.loader.loaded, timeout=20_000):
        start_up(w, None, demo=True)
    qtbot.wait(50)
    assert not _visible(FirstRunDialog) and w.project is not None and len(w.project.transcript) > 60
    w2 = new_window(qtbot, tmp_path / "second", model_store=store)
    start_up(w2, None, demo=False)
    qtbot.waitUntil(lambda: bool(_visible(FirstRunDialog)), timeout=5_000)
    _close_dialogs()


def test_transcribe_opens_the_guide_and_its_choice_becomes_the_transcription_choice(qtbot, tmp_path, store,
                                                                                    granite) -> None:
    engine = ScriptedEngine(pieces=2)
    w = new_window(qtbot, tmp_path, model_store=store, engine_factory=lambda model, device: engine)
    open_demo(qtbot, w, tmp_path)
    assert w.transcribe_panel.model_key == "interview"
    w.acts["transcribe"].trigger()
    guide = w.model_flow.first_run
    assert isinstance(guide, FirstRunDialog) and guide.isVisible() and not w.transcription.running
    guide.use_local_folder(granite)  # the person picks a model folder: 4.1 2B is ready
    assert w.transcribe_panel.model_key == "2b"
    assert w.transcribe_panel.model_box.currentText() == "Granite Speech 4.1 2B"  # installed: no "not installed"
    assert w.statusBar().currentMessage() == "Transcription will use Granite Speech 4.1 2B."
    guide.download_button.click()  # "Start using Verbatim"
    w.acts["transcribe"].trigger()  # now it runs, with the chosen model
    assert w.transcription.running
    qtbot.waitUntil(lambda: not w.transcription.running, timeout=20_000)
    assert engine.batches_run == 2


def test_the_model_list_marks_installed_partly_and_missing_with_sizes(qtbot, tmp_path, store, granite) -> None:
    store.set_local_folder("2b", granite)
    w = new_window(qtbot, tmp_path, model_store=store)
    box = w.transcribe_panel.model_box
    texts = {box.itemData(i): box.itemText(i) for i in range(box.count())}
    assert texts["2b"] == "Granite Speech 4.1 2B"
    assert texts["interview"] == "Interview (2B + Plus) \u2014 partly installed"
    assert texts["nar"] == "Granite Speech 4.1 2B NAR \u2014 not installed"
    tip = box.itemData(box.findData("interview"), 3)  # ToolTipRole
    assert "Granite Speech 4.1 2B: installed" in tip and "Granite Speech 4.1 2B Plus: not installed (~4.8 GB)" in tip


def test_one_dialog_lists_everything_missing_and_gets_models(qtbot, tmp_path, store, granite) -> None:
    store.set_local_folder("2b", granite)  # Interview needs 2B (here) and Plus (not here)
    engine = ScriptedEngine(pieces=1)
    w = new_window(qtbot, tmp_path, model_store=store, engine_factory=lambda model, device: engine)
    open_demo(qtbot, w, tmp_path)
    w.transcribe_panel.select(model="interview")
    w.acts["transcribe"].trigger()
    dialogs = _visible(MissingModelsDialog)
    assert len(dialogs) == 1 and not w.transcription.running and engine.batches_run == 0
    dialog = dialogs[0]
    text = dialog.text()
    assert "Interview (2B + Plus)" in text and "Granite Speech 4.1 2B Plus" in text and "~4.8 GB" in text
    assert "Granite Speech 4.1 2B \u2014" not in text  # what is installed is not listed as missing
    assert "Copy from folder" in text and "verbatim " not in text and "`" not in text  # GUI steps only
    w.transcribe_panel.select(model="nar")
    both = w.model_flow.states()
    assert [m.spec.key for m in MissingModelsDialog("x", [both["interview"], both["nar"]]).missing] == ["plus", "nar"]
    dialog.get_button.click()
    models = w.model_flow.models_dialog
    assert isinstance(models, ModelsDialog) and models.isVisible() and models.selected_key == "plus"
    _close_dialogs()


def test_missing_dialog_total_for_two_models(qtbot, store) -> None:
    states = choice_states(["interview"], store)
    dialog = MissingModelsDialog("Interview (2B + Plus)", list(states.values()))
    qtbot.addWidget(dialog)
    assert len(dialog.rows) == 2 and "9.5 GB" in dialog.total_label.text()
    assert all(isinstance(r, QLabel) and r.wordWrap() for r in dialog.rows)


def test_engine_errors_lose_their_command_lines() -> None:
    from app.asr.models.registry import MODELS, not_downloaded_error

    text = without_command_line(str(not_downloaded_error(MODELS["plus"])))
    assert text == "granite-speech-4.1-2b-plus is not downloaded; get it in Transcribe \u25b8 Models\u2026."
    partly = "granite-speech-4.1-2b is only partly downloaded; run `verbatim models download 2b` again."
    assert without_command_line(partly) == ("granite-speech-4.1-2b is only partly downloaded; "
                                            "get it in Transcribe \u25b8 Models\u2026.")
    assert without_command_line("The GPU ran out of memory.") == "The GPU ran out of memory."
