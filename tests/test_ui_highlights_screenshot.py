"""The Highlights panel with three highlights, drawn by a real X server (Xvfb) and saved as a PNG.

The PNGs go to tests/artifacts/ (gitignored); resources/screenshots/highlights-panel.png is written when
it is missing or when VERBATIM_UPDATE_SCREENSHOT=1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_ui_screenshot import _start_xvfb

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
README_SHOT = ROOT / "resources" / "screenshots" / "highlights-panel.png"

pytestmark = pytest.mark.xvfb


def test_the_highlights_panel_renders_three_highlights(tmp_path: Path) -> None:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")
    xvfb, display = _start_xvfb()
    panel, window = ARTIFACTS / "highlights-panel.png", ARTIFACTS / "highlights-window.png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for shot in (panel, window):
        shot.unlink(missing_ok=True)
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
    try:
        script = str(ROOT / "tests" / "highlights_screenshot.py")
        run = subprocess.run([sys.executable, script, str(panel), str(window)], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=90)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    assert run.returncode == 0, run.stderr[-2000:]
    from PySide6.QtGui import QColor, QImage

    image = QImage(str(panel))
    assert image.width() >= 500 and image.height() >= 300
    # the three label colours are painted in the Label column (Quote yellow, Check red, Follow up blue)
    colours = {QColor(image.pixel(x, y)).name() for x in range(image.width()) for y in range(image.height())}
    assert {"#ffd54f", "#ef9a9a", "#90caf9"} <= colours
    if not README_SHOT.exists() or os.environ.get("VERBATIM_UPDATE_SCREENSHOT") == "1":
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(panel, README_SHOT)
