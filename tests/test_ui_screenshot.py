"""The real app under a real X server (Xvfb): it starts with the demo, grabs its window and quits.

The PNG is kept in tests/artifacts/ (gitignored). resources/screenshots/main-window.png (the README's
picture) is written when it is missing or when VERBATIM_UPDATE_SCREENSHOT=1. The first hour's scenes
(tests/screenshot_scenes.py: a reopened project, the first-run guide, the missing-models dialog, a 2b-only
transcript in paragraphs) are taken the same way into resources/screenshots/<scene>.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
README_SHOT = ROOT / "resources" / "screenshots" / "main-window.png"

pytestmark = pytest.mark.xvfb


def _start_xvfb() -> tuple[subprocess.Popen, str]:
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    if not number:
        proc.kill()
        pytest.skip("Xvfb did not start")
    return proc, f":{number}"


def test_the_main_window_renders_under_xvfb(tmp_path) -> None:
    if shutil.which("Xvfb") is None or shutil.which("xvfb-run") is None:
        pytest.skip("Xvfb is not installed")
    xvfb, display = _start_xvfb()
    shot = ARTIFACTS / "main-window.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.unlink(missing_ok=True)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", VERBATIM_SCREENSHOT=str(shot),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONPATH=str(ROOT), TMPDIR=str(temp))
    try:
        run = subprocess.run([sys.executable, "-m", "app.cli", "--demo"], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=90)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.is_file()
    assert not list(temp.glob("verbatim-demo-*"))  # the demo's temporary copy is not left behind
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert image.width() >= 900 and image.height() >= 600
    small = image.scaled(160, 100)
    colours = {small.pixel(x, y) for x in range(small.width()) for y in range(small.height())}
    assert len(colours) > 200  # a real window: waveform, text, toolbar; not a blank or single-colour grab
    if not README_SHOT.exists() or os.environ.get("VERBATIM_UPDATE_SCREENSHOT") == "1":
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_SHOT)


@pytest.mark.parametrize("scene", ["reopen", "first-run", "missing-models", "paragraphs"])
def test_first_hour_scenes_render_under_xvfb(tmp_path, scene: str) -> None:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")
    if scene == "paragraphs" and shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    xvfb, display = _start_xvfb()
    shot = ARTIFACTS / f"{scene}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.unlink(missing_ok=True)
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    try:
        run = subprocess.run([sys.executable, str(ROOT / "tests" / "screenshot_scenes.py"), scene, str(shot)],
                             env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    assert run.returncode == 0, run.stderr[-2000:]
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert image.width() >= 500 and image.height() >= 300
    small = image.scaled(160, 100)
    colours = {small.pixel(x, y) for x in range(small.width()) for y in range(small.height())}
    assert len(colours) > 50  # drawn, not blank
    target = README_SHOT.parent / f"{scene}.png"
    if not target.exists() or os.environ.get("VERBATIM_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, target)
