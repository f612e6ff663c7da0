"""A Verbatim window that types without a pause until it is killed (run by the crash-safety tests).

    python tests/typing_child.py PROJECT RECOVERY_ROOT SETTINGS_INI [INTERVAL_MS]

Opens PROJECT in a real MainWindow (offscreen), puts the cursor at the end of the transcript and types
"q" then a space every few keystrokes, one keystroke per INTERVAL_MS, through Qt's key events. After each
keystroke it prints `KEY <n> <time.time()>` (n counts the q's typed), so the parent can tell, from the
journal a kill left behind, how much typing was lost. The session-end handlers of `run_gui` are installed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
    from PySide6.QtGui import QTextCursor
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.audio.player import Player
    from app.ui.main_window import MainWindow
    from app.ui.session_end import SessionEndGuard

    project, root, ini = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    interval = int(sys.argv[4]) if len(sys.argv) > 4 else 60
    app = QApplication(sys.argv[:1])
    window = MainWindow(settings=QSettings(str(ini), QSettings.Format.IniFormat), recovery_root=root,
                        player_factory=lambda samples: Player(samples, clock_only=True), probe_output=lambda: True)
    window.show()
    guard = SessionEndGuard(app, window)
    if not window.open_path(project):
        print("OPEN FAILED", flush=True)
        return 3
    # wait for the recording: the window's reaction to it (waveform, available actions) is not typing
    loop = QEventLoop()
    window.loader.loaded.connect(lambda *_: loop.quit())
    window.loader.failed.connect(lambda *_: loop.quit())
    QTimer.singleShot(120_000, loop.quit)
    if window.audio is None:
        loop.exec()
    view = window.editor.text_view()
    view.setFocus()
    view.moveCursor(QTextCursor.MoveOperation.End)
    typed = 0
    strokes = 0

    def type_one() -> None:
        nonlocal typed, strokes
        strokes += 1
        if strokes % 5 == 0:
            QTest.keyClick(view, Qt.Key.Key_Space)
        else:
            QTest.keyClick(view, Qt.Key.Key_Q)
            typed += 1
        print(f"KEY {typed} {time.time():.3f}", flush=True)

    timer = QTimer()
    timer.timeout.connect(type_one)
    timer.start(interval)
    print("READY", flush=True)
    status = app.exec()
    guard.uninstall()
    timer.stop()
    window.shutdown()
    return status


def typing_lost_at_kill(folder: Path, kill_after_s: float, sig: int | None = None) -> tuple[float, int, int]:
    """Run the child on a copy of the demo in `folder`, let it type for `kill_after_s`, send `sig`
    (SIGKILL by default) and read the journal it left. Returns (seconds of typing lost, q's typed,
    q's in the journal). Lost time runs from the first keystroke missing from the journal to the kill."""
    import signal
    import subprocess
    import threading

    from app.core.project import load_project
    from app.core.recovery import RecoveryJournal
    from app.ui.app import demo_copy

    project = demo_copy(folder / "demo")
    base = sum(w.text.count("q") for w in load_project(project).transcript.words)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]), QT_QPA_PLATFORM="offscreen")
    with open(folder / "child-stderr.txt", "w") as err:  # a pipe nobody reads would stall the child
        child = subprocess.Popen([sys.executable, __file__, str(project), str(folder / "recovery"),
                                  str(folder / "settings.ini")], stdout=subprocess.PIPE, stderr=err, text=True,
                                 env=env)
    assert child.stdout is not None
    ready = child.stdout.readline()
    if "READY" not in ready:
        child.kill()
        child.wait()
        raise RuntimeError(f"the typing window did not start: {ready} {(folder / 'child-stderr.txt').read_text()}")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(child.stdout.readline, "")), daemon=True)
    reader.start()
    time.sleep(kill_after_s)
    child.send_signal(sig if sig is not None else signal.SIGKILL)
    killed_at = time.time()
    child.wait(timeout=30)
    reader.join(timeout=30)
    times: dict[int, float] = {}
    for line in lines:
        if line.startswith("KEY "):
            _, n, t = line.split()
            if float(t) <= killed_at:
                times[int(n)] = float(t)
    typed = max(times) if times else 0
    journal = RecoveryJournal(project, None, folder / "recovery")
    saved = sum(w.text.count("q") for w in journal.load().transcript.words) - base if journal.exists() else 0
    if saved >= typed:
        return 0.0, typed, saved
    first_lost = times.get(saved + 1, killed_at)
    return max(0.0, killed_at - first_lost), typed, saved


if __name__ == "__main__":
    raise SystemExit(main())
