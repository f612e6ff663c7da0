"""Opening a recording and a project in the window does not load torch into the window's process.

torch costs about a second of frozen window and 225 MB; it is loaded only when a model runs. The check
runs in a fresh Python process, since other tests in this one import torch.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import soundfile as sf

PROBE = textwrap.dedent("""
    import sys
    from pathlib import Path

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from app.audio.player import Player
    from app.ui.app import demo_copy
    from app.ui.main_window import MainWindow

    tmp = Path(sys.argv[1])
    app = QApplication([])
    window = MainWindow(settings=QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat),
                        recovery_root=tmp / "recovery", cache_dir=tmp / "cache", probe_output=lambda: True,
                        player_factory=lambda samples: Player(samples, clock_only=True))
    window.show()
    loaded = []
    window.loader.loaded.connect(lambda *args: loaded.append(1))
    for path in (Path(sys.argv[2]), demo_copy(tmp / "demo")):
        before = len(loaded)
        assert window.open_path(path), path
        loop = QEventLoop()
        timer = QTimer()
        timer.timeout.connect(lambda: loop.quit() if len(loaded) > before else None)
        timer.start(20)
        QTimer.singleShot(30_000, loop.quit)
        loop.exec()
        timer.stop()
        assert len(loaded) > before, f"{path} did not load"
        for _ in range(20):  # let queued work (actions, re-align availability) run
            app.processEvents()
        print(path.suffix, "torch" in sys.modules)
    if window.files.undo_stack is not None:
        window.files.undo_stack.setClean()
    window.shutdown()
    window.close()
""")


def test_opening_a_recording_and_a_project_leaves_torch_unloaded(tmp_path: Path) -> None:
    recording = tmp_path / "interview.wav"
    t = np.arange(16000 * 3) / 16000
    sf.write(recording, (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "VERBATIM_NO_FIRST_RUN": "1",
           "VERBATIM_CONFIG_DIR": str(tmp_path / "config"), "VERBATIM_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path), str(recording)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line.split() for line in done.stdout.splitlines() if line.startswith(".")]
    assert [suffix for suffix, _ in lines] == [".wav", ".verbatim"]
    assert [loaded for _, loaded in lines] == ["False", "False"], "torch was imported to open a file"
