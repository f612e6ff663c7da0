"""Screenshot scenes of the first hour, run under Xvfb by tests/test_ui_screenshot.py (one process per scene).

`python tests/screenshot_scenes.py SCENE OUT.png` where SCENE is one of:

- reopen: the demo saved as a project, the app closed, the project opened again (waveform drawn as is);
- first-run: the first-run guide on a computer with no model;
- missing-models: Transcribe with the Interview choice and no model: the one dialog over the window;
- paragraphs: a 2b-only transcript (no speakers) of a two-voice recording with pauses, in paragraphs.

Settings, model store and files live in a temporary folder; nothing is downloaded.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QRect, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from app.asr.models.model_store import HardwareInfo, ModelStore  # noqa: E402
from app.audio.player import Player  # noqa: E402
from app.ui.app import demo_copy  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402


def _window(folder: Path, **kwargs: object) -> MainWindow:
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, recovery_root=folder / "recovery", cache_dir=folder / "cache",
                   player_factory=lambda samples: Player(samples, clock_only=True), probe_output=lambda: True,
                   **kwargs)  # type: ignore[arg-type]
    w.resize(1280, 800)
    w.show()
    return w


def _wait(app: QApplication, condition, seconds: float = 30.0) -> None:
    import time

    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    for _ in range(5):
        app.processEvents()
        time.sleep(0.02)


def _open(app: QApplication, w: MainWindow, path: Path) -> None:
    loaded: list[bool] = []
    w.loader.loaded.connect(lambda *_: loaded.append(True))
    w.open_path(path)
    _wait(app, lambda: bool(loaded))


def _grab_screen(app: QApplication, rect: QRect, out: Path) -> None:
    for _ in range(5):
        app.processEvents()
    image = QGuiApplication.primaryScreen().grabWindow(0, rect.x(), rect.y(), rect.width(), rect.height())
    image.save(str(out), "PNG")


def _close(w: MainWindow) -> None:
    if w.files.undo_stack is not None:
        w.files.undo_stack.setClean()
    w.shutdown()
    w.close()


def reopen(app: QApplication, folder: Path, out: Path) -> None:
    first = _window(folder / "a")
    _open(app, first, demo_copy(folder / "demo"))
    saved = folder / "interviews" / "river-interview.verbatim"
    saved.parent.mkdir()
    shutil.copyfile(folder / "demo" / "demo.wav", saved.parent / "river-interview.wav")
    first.project.media_path = saved.parent / "river-interview.wav"
    assert first.files.save_as(saved)
    _close(first)
    w = _window(folder / "b")
    _open(app, w, saved)
    doc = w.project.transcript
    w.editor.move_cursor_to_word(18)
    w.playback.seek(doc.words[18].start_ms + 120)
    assert w.waveform.envelope_points() > 100, "the waveform was not drawn after reopening"
    w.grab().save(str(out), "PNG")
    _close(w)


def first_run(app: QApplication, folder: Path, out: Path) -> None:
    from app.ui.dialogs.first_run_dialog import FirstRunDialog

    store = ModelStore(cache_dir=folder / "hf", config_path=folder / "models.json")
    gpu = HardwareInfo("cuda", "NVIDIA GeForce RTX 4070", 12 << 30, 32 << 30, 16)
    dialog = FirstRunDialog(store, hardware=gpu)
    dialog.show()
    _wait(app, lambda: dialog.isVisible(), 2)
    dialog.grab().save(str(out), "PNG")
    dialog.reject()


def missing_models(app: QApplication, folder: Path, out: Path) -> None:
    store = ModelStore(cache_dir=folder / "hf", config_path=folder / "models.json")
    w = _window(folder / "w", model_store=store)
    _open(app, w, demo_copy(folder / "demo"))
    w.transcribe_panel.select(model="interview")
    w.settings.setValue("models/first_run_dismissed", True)  # said "Not now" at the first start
    w.ask_replace = lambda _words: True
    w.acts["transcribe"].trigger()
    dialog = w.model_flow.missing_dialog
    _wait(app, lambda: dialog is not None and dialog.isVisible(), 5)
    _grab_screen(app, w.frameGeometry().united(dialog.frameGeometry()), out)
    dialog.reject()
    _close(w)


def paragraphs(app: QApplication, folder: Path, out: Path) -> None:
    from test_ui_paragraphs import ScriptedRunner, _two_voices_with_pauses

    from app.asr.engines.text_engine import GraniteTextEngine

    w = _window(folder / "w", engine_factory=lambda model, device: GraniteTextEngine(ScriptedRunner()))
    (folder / "audio").mkdir()
    _open(app, w, _two_voices_with_pauses(folder / "audio"))
    w.transcribe_panel.select(model="2b")
    w.acts["transcribe"].trigger()
    _wait(app, lambda: not w.transcription.running)
    w.editor.move_cursor_to_word(0)
    w.grab().save(str(out), "PNG")
    _close(w)


SCENES = {"reopen": reopen, "first-run": first_run, "missing-models": missing_models, "paragraphs": paragraphs}


def main(argv: list[str]) -> int:
    scene, out = argv[0], Path(argv[1])
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="verbatim-shot-"))
    try:
        SCENES[scene](app, folder, out)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if out.is_file() else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
