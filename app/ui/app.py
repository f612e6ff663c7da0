"""Starting the editor: the QApplication, the main window, and what it opens first.

`run_gui(path=None, demo=False)` is what `verbatim` with no subcommand calls. `--demo` copies the
bundled demo interview to a writable folder first, so the files shipped with the app never change.
A hidden hook for the screenshot test: with `VERBATIM_SCREENSHOT=<file.png>` the window grabs itself
once the recording has loaded, writes the PNG and quits.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from app.core.errors import VerbatimError
from app.ui.folders import DEMO_PREFIX

DEMO_DIR = Path(__file__).resolve().parents[2] / "resources" / "demo"


def demo_copy(target: Path | None = None) -> Path:
    """Copy demo.wav and demo.verbatim into `target` (default: a fresh temporary folder); the project path."""
    if not (DEMO_DIR / "demo.verbatim").is_file() or not (DEMO_DIR / "demo.wav").is_file():
        raise VerbatimError("The demo interview is missing from this installation.")
    folder = Path(target) if target is not None else Path(tempfile.mkdtemp(prefix=DEMO_PREFIX))
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("demo.wav", "demo.verbatim"):
        shutil.copyfile(DEMO_DIR / name, folder / name)
    return folder / "demo.verbatim"


def _schedule_screenshot(window, app, out: Path) -> None:
    """Grab the window once its recording is loaded (or after 10 s), save `out`, quit."""
    from PySide6.QtCore import QTimer

    def grab() -> None:
        doc = window.project.transcript if window.project is not None else None
        window.waveform.show_range(0, 10_000)
        if doc is not None and len(doc) > 20:
            window.editor.move_cursor_to_word(18)
            window.playback.seek(doc.words[18].start_ms + 120)
        for _ in range(3):
            app.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out), "PNG")
        window.files.undo_stack.setClean() if window.files.undo_stack is not None else None
        app.quit()

    def when_ready() -> None:
        QTimer.singleShot(400, grab)

    if window.audio is not None or window.project is None or window.project.media_path is None:
        when_ready()
    else:
        window.loader.loaded.connect(lambda *_: when_ready())
        window.loader.failed.connect(lambda *_: when_ready())
        QTimer.singleShot(10_000, grab)


def start_up(window, path: Path | None, demo: bool, guide: bool = True) -> Path | None:
    """Open what the command line asked for; returns the demo's temporary folder (removed at exit).

    The demo opens with nothing over it. Only a start with nothing to open (no file, no --demo, no
    work to recover) shows the first-run guide, and only when no model is on this computer.
    """
    demo_folder: Path | None = None
    if demo:
        path = demo_copy()
        demo_folder = path.parent
    if path is not None:
        window.open_path(Path(path))
    elif not window.files.offer_orphan_recovery() and guide:
        from PySide6.QtCore import QTimer

        from app.ui import window_dialogs

        QTimer.singleShot(0, window, lambda: window_dialogs.first_run(window))
    return demo_folder


def run_gui(path: Path | None = None, demo: bool = False) -> int:
    """Run the editor until its window closes; returns the exit status."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from app.ui.actions import app_icon
    from app.ui.main_window import MainWindow

    QCoreApplication.setOrganizationName("Verbatim")
    QCoreApplication.setApplicationName("Verbatim")
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    app.setWindowIcon(app_icon())
    shot = os.environ.get("VERBATIM_SCREENSHOT")
    if shot:  # a headless capture: the playback clock runs without a sound device
        from app.audio.player import Player

        window = MainWindow(player_factory=lambda samples: Player(samples, clock_only=True))
    else:
        window = MainWindow()
    window.show()
    from app.ui.safe_gc import SafeCollector
    from app.ui.session_end import SessionEndGuard

    collector = SafeCollector(app)  # cycles are collected from the event loop only, never inside a Qt call

    session_end = SessionEndGuard(app, window)  # SIGTERM, SIGHUP, logout: the journal is written first
    demo_folder = start_up(window, path, demo, guide=not shot)
    if shot:
        _schedule_screenshot(window, app, Path(shot))
    status = app.exec()
    session_end.uninstall()
    window.shutdown()
    collector.stop()
    if demo_folder is not None:  # the demo's temporary copy is not left behind (Save put it elsewhere)
        shutil.rmtree(demo_folder, ignore_errors=True)
    return int(status)
