"""The Models dialog: what is downloaded, the disk it uses, download (from a local source: no network),
re-download, delete, and using a local folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.asr.models.model_store import ModelStore, format_bytes
from app.asr.models.registry import MODELS
from app.ui.dialogs.models_dialog import ModelsDialog, show_models_dialog
from tests.tiny_models import shared_tiny


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelStore:
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return ModelStore(cache_dir=cache, config_path=tmp_path / "config" / "models.json")


@pytest.fixture()
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_tiny(tmp_path_factory, "granite")


class Answers:
    """The person's answers to the dialog's questions, recorded."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.questions: list[str] = []

    def __call__(self, question: str) -> bool:
        self.questions.append(question)
        return self.answer


def _row(dialog: ModelsDialog, key: str) -> list[str]:
    dialog.select(key)
    item = dialog.tree.currentItem()
    return [item.text(i) for i in range(dialog.tree.columnCount())]


def _dialog(qtbot, store: ModelStore, **kwargs) -> ModelsDialog:
    dialog = ModelsDialog(store, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_lists_every_model_and_what_is_on_disk(qtbot, store: ModelStore) -> None:
    dialog = _dialog(qtbot, store)
    assert dialog.tree.topLevelItemCount() == len(MODELS)
    assert _row(dialog, "2b")[:3] == ["Granite Speech 4.1 2B", MODELS["2b"].description, "Not downloaded"]
    assert dialog.download_button.isEnabled() and not dialog.delete_button.isEnabled()
    assert f"Models use {format_bytes(0)}" in dialog.total_label.text()
    dialog.reject()


def test_download_redownload_and_delete(qtbot, store: ModelStore, source: Path) -> None:
    answers = Answers(True)
    dialog = _dialog(qtbot, store, source=source, confirm=answers)
    dialog.select("2b")
    with qtbot.waitSignal(dialog.panel.finished, timeout=20_000):
        dialog.download_button.click()
    size = store.status("2b").size_bytes
    row = _row(dialog, "2b")
    assert row[2] == "Downloaded" and row[3] == format_bytes(size) and row[4] == str(store.status("2b").folder)
    assert format_bytes(size) in dialog.total_label.text()
    assert dialog.redownload_button.isEnabled() and not dialog.download_button.isEnabled()

    first_folder = store.status("2b").folder
    (first_folder / "config.json").unlink()  # damage it; re-downloading repairs it
    with qtbot.waitSignal(dialog.panel.finished, timeout=20_000):
        dialog.redownload_button.click()
    assert "again" in answers.questions[-1]
    assert store.status("2b").state == "ready" and (store.status("2b").folder / "config.json").is_file()

    dialog.delete_button.click()
    assert format_bytes(size) in answers.questions[-1]
    assert store.status("2b").state == "missing" and _row(dialog, "2b")[2] == "Not downloaded"
    assert "freed" in dialog.panel.label.text()
    dialog.reject()
    assert not dialog.panel.download._thread.isRunning()


def test_delete_asks_first(qtbot, store: ModelStore, source: Path) -> None:
    store.download("2b", source=source)
    dialog = _dialog(qtbot, store, confirm=Answers(False))
    dialog.select("2b")
    dialog.delete_button.click()
    assert store.status("2b").state == "ready"
    dialog.reject()


def test_local_folder_is_used_and_forgotten_not_deleted(qtbot, store: ModelStore, source: Path) -> None:
    answers = Answers(True)
    dialog = _dialog(qtbot, store, confirm=answers)
    dialog.use_local_folder("plus", source)  # a 2B folder is not the Plus model: refused in words
    assert "not the expected plus model" in dialog.panel.label.text()
    dialog.use_local_folder("2b", source)
    row = _row(dialog, "2b")
    assert row[2] == "Local folder" and row[4] == str(source.resolve())
    assert dialog.delete_button.text() == "Forget folder"
    dialog.delete_button.click()
    assert "not deleted" in answers.questions[-1]
    assert store.status("2b").state == "missing" and (source / "config.json").is_file()
    dialog.reject()


def test_offline_download_shows_what_to_do(qtbot, store: ModelStore) -> None:
    dialog = show_models_dialog(None, store)
    qtbot.addWidget(dialog)
    dialog.select("nar")
    with qtbot.waitSignal(dialog.panel.failed, timeout=10_000):
        dialog.download_button.click()
    assert dialog.offline_label.isVisible() and "Copy from folder" in dialog.offline_label.text()
    assert store.status("nar").state == "missing"
    assert not dialog.panel.download._thread.isRunning()  # idle: nothing left running when qtbot closes it
