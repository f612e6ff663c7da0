"""The first-run dialog: when it appears, what it explains, and a real background download (copied from a
local model folder: no network) with progress, cancel, resume, offline help and a screenshot."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

import app.asr.models.model_store as model_store
from app.asr.models.model_store import DownloadProgress, HardwareInfo, ModelStore
from app.ui.dialogs.first_run_dialog import DISMISSED_KEY, FirstRunDialog, gui_offline_help, maybe_show_first_run
from tests.tiny_models import shared_tiny

CPU = HardwareInfo("cpu", "CPU", None, 8 << 30, 4)
GPU = HardwareInfo("cuda", "NVIDIA GeForce RTX 4090", 24 << 30, 64 << 30, 16)


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelStore:
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.delenv("VERBATIM_NO_FIRST_RUN", raising=False)
    return ModelStore(cache_dir=cache, config_path=tmp_path / "config" / "models.json")


@pytest.fixture()
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture()
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_tiny(tmp_path_factory, "granite")


def _dialog(qtbot, store: ModelStore, **kwargs) -> FirstRunDialog:
    dialog = FirstRunDialog(store, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file() and model_store.wanted_file(p.name)}


def test_shown_only_while_no_model_is_ready(qtbot, store: ModelStore, settings: QSettings, source: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = maybe_show_first_run(None, settings, store)
    assert isinstance(dialog, FirstRunDialog) and dialog.isVisible()
    qtbot.addWidget(dialog)
    dialog.later_button.click()  # "Not now" is remembered
    assert settings.value(DISMISSED_KEY, type=bool) is True
    assert maybe_show_first_run(None, settings, store) is None
    settings.setValue(DISMISSED_KEY, False)
    monkeypatch.setenv("VERBATIM_NO_FIRST_RUN", "1")
    assert maybe_show_first_run(None, settings, store) is None
    monkeypatch.delenv("VERBATIM_NO_FIRST_RUN")
    store.set_local_folder("2b", source)
    assert maybe_show_first_run(None, settings, store) is None


def test_explains_the_three_models_and_the_hardware(qtbot, store: ModelStore) -> None:
    dialog = _dialog(qtbot, store, hardware=GPU)
    assert list(dialog.cards) == ["2b", "plus", "nar"]
    assert "RTX 4090" in dialog.hardware_label.text() and "24" in dialog.hardware_label.text()
    assert dialog.selected_key == "2b" and "Granite Speech 4.1 2B" in dialog.recommend_label.text()
    texts = " ".join(label.text() for label in dialog.findChildren(type(dialog.hardware_label)))
    for spec in (store.spec(k) for k in dialog.cards):
        assert spec.size_hint in texts
    assert "Japanese" in texts and "speaker labels" in texts
    assert [label.text() for label in dialog.state_labels.values()] == ["Not downloaded"] * 3
    cpu = _dialog(qtbot, store, hardware=CPU)
    assert cpu.selected_key == "nar" and "CPU only" in cpu.hardware_label.text()


def test_download_cancel_and_resume(qtbot, store: ModelStore, settings: QSettings, source: Path,
                                    monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(model_store, "CHUNK", 4096)
    dialog = _dialog(qtbot, store, hardware=CPU, settings=settings, source=source)
    dialog.cards["2b"].setChecked(True)
    assert dialog.download_button.text() == "Download"
    fractions: list[float] = []
    dialog.panel.download.progress.connect(lambda p: fractions.append(p.fraction))

    reached, released = threading.Event(), threading.Event()

    def hold_at_a_third(p: DownloadProgress) -> None:  # runs in the worker thread, between two chunks
        if p.fraction > 0.3 and not reached.is_set():
            reached.set()
            released.wait(10)

    job = dialog.panel.download.job
    job.interval_s = 0.0
    job.progress.connect(hold_at_a_third, Qt.ConnectionType.DirectConnection)
    dialog.download_button.click()
    assert not dialog.download_button.isEnabled() and dialog.panel.cancel_button.isEnabled()
    qtbot.waitUntil(reached.is_set, timeout=20_000)
    with qtbot.waitSignal(dialog.panel.download.cancelled, timeout=20_000):
        dialog.panel.cancel_button.click()
        released.set()
    job.progress.disconnect(hold_at_a_third)
    assert store.status("2b").state == "partial" and 0 < fractions[-1] < 1
    assert "resumes" in dialog.panel.label.text()
    assert dialog.download_button.text() == "Resume download" and dialog.download_button.isEnabled()
    dialog.grab().save(str(tmp_path / "cancelled.png"))

    monkeypatch.setattr(model_store, "CHUNK", 1 << 20)
    stopped_at = fractions[-1]
    fractions.clear()
    with qtbot.waitSignal(dialog.panel.finished, timeout=20_000):
        dialog.download_button.click()
    assert fractions[0] >= stopped_at and fractions[-1] == 1.0  # resumed where it stopped, not restarted
    assert dialog.panel.bar.value() == 1000
    status = store.status("2b")
    assert status.state == "ready" and _digest(status.folder) == _digest(source)
    assert dialog.state_labels["2b"].text().endswith("Downloaded")
    assert dialog.download_button.text() == "Start using Verbatim"
    dialog.download_button.click()
    assert dialog.result() == FirstRunDialog.DialogCode.Accepted
    assert not dialog.panel.download._thread.isRunning()


def test_offline_says_what_to_do_and_a_local_folder_works(qtbot, store: ModelStore, source: Path) -> None:
    dialog = _dialog(qtbot, store, hardware=CPU)
    dialog.cards["nar"].setChecked(True)
    with qtbot.waitSignal(dialog.panel.failed, timeout=10_000) as blocker:
        dialog.download_button.click()
    assert blocker.args[2] is True  # offline
    assert dialog.offline_label.isVisible()
    help_text = dialog.offline_label.text()
    assert "granite-speech-4.1-2b-nar" in help_text and "Use local folder" in help_text
    assert "verbatim " not in help_text and "`" not in help_text  # never a command line in the GUI
    _assert_nothing_clipped(qtbot, dialog)
    dialog.use_local_folder(source)  # a granite folder: the dialog picks 2B for it
    assert dialog.selected_key == "2b" and dialog.ready_key == "2b"
    assert store.status("2b").where == "local" and not dialog.offline_label.isVisible()
    assert dialog.download_button.text() == "Start using Verbatim"


def _assert_nothing_clipped(qtbot, dialog: FirstRunDialog) -> None:
    """Every visible label has at least the height its text needs at its width (once the layout's
    posted events are through: waited for, not slept on)."""
    from PySide6.QtWidgets import QLabel

    def check() -> None:
        for label in dialog.findChildren(QLabel):
            if label.isVisible() and label.text():
                need = label.heightForWidth(label.width()) if label.wordWrap() else label.sizeHint().height()
                assert label.height() >= need - 1, label.text()[:40]
                assert label.width() >= min(label.sizeHint().width(), label.minimumSizeHint().width()) - 1

    qtbot.waitUntil(check, timeout=5000)


# The line that says where models are stored does not wrap, so it sets the dialog's width: a store in the
# home folder ("~/...", the usual place) leaves the dialog at its narrowest, a long path (the tests' own,
# which differs from run to run) makes it wider and the wrapped lines fewer.
@pytest.mark.parametrize("store_in_home", [True, False], ids=["store in home", "store elsewhere"])
def test_never_clipped_at_a_small_size_nor_with_long_text(qtbot, store: ModelStore, store_in_home: bool,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    if store_in_home:
        monkeypatch.setenv("HOME", str(store.cache_dir.parent))
    dialog = _dialog(qtbot, store, hardware=CPU)
    assert dialog.space_label.text().startswith("Models are stored in ~/") == store_in_home
    _assert_nothing_clipped(qtbot, dialog)  # as it first shows
    dialog.resize(640, 200)  # smaller than it needs: the layout refuses to clip
    dialog.offline_label.setText(gui_offline_help(store.spec("nar")) * 3)  # more than an 800-pixel screen at 640
    dialog.offline_label.show()
    dialog.fit_contents()
    _assert_nothing_clipped(qtbot, dialog)
    screen = dialog.screen().availableGeometry()
    assert dialog.height() <= screen.height() - 40 and dialog.width() <= screen.width() - 20


def test_no_default_button_starts_a_download(qtbot, store: ModelStore) -> None:
    from PySide6.QtWidgets import QPushButton

    dialog = _dialog(qtbot, store, hardware=GPU)
    assert not any(b.isDefault() or b.autoDefault() for b in dialog.findChildren(QPushButton))
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert not dialog.panel.running and store.status("2b").state == "missing"


def test_a_wrong_folder_is_refused_in_words(qtbot, store: ModelStore, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, store, hardware=CPU)
    (tmp_path / "empty").mkdir()
    dialog.copy_from(tmp_path / "empty")
    assert "no config.json" in dialog.panel.label.text()
    assert not dialog.panel.running and store.status("2b").state == "missing"


def test_closing_while_downloading_stops_the_thread(qtbot, store: ModelStore, source: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_store, "CHUNK", 4)
    dialog = _dialog(qtbot, store, hardware=CPU, source=source)
    dialog.copy_from(source)
    assert dialog.panel.running
    dialog.reject()
    assert not dialog.panel.download._thread.isRunning()
    assert store.status("2b").state in ("partial", "missing")


def test_screenshot_of_the_dialog(qtbot, store: ModelStore, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, store, hardware=GPU)
    image = dialog.grab().toImage()
    path = tmp_path / "first-run.png"
    assert image.save(str(path)) and path.stat().st_size > 10_000
    assert image.width() >= 600 and image.height() >= 400
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20  # drawn, not blank
