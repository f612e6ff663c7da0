"""UI latency on a two-hour interview (~20,000 words). Run by hand:

    QT_QPA_PLATFORM=offscreen python tests/perf/bench_ui.py

Measures: opening the project (JSON to a window showing it, then the waveform and player on a
two-hour recording), keystroke-to-repaint in the editor, the playhead's cost per frame (clock read,
playhead, word highlight, status bar, waveform repaint) and click-to-seek (a click on a word until
the waveform has repainted at its time). Targets: open < 2 s, typing and playhead < 16 ms, seek < 50 ms.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.audio.peaks import PeakPyramid
from app.audio.player import Player
from app.core.document import Speaker, Transcript, Word
from app.core.project import Project, save_project

RATE = 16_000
HOURS = 2
WORDS = 20_000
VOCAB = "the mayor said that bridge will open in may after council votes on budget and river".split()


def make_project(folder: Path) -> Path:
    rng = np.random.default_rng(7)
    step = HOURS * 3_600_000 // WORDS
    words = []
    speaker = "S1"
    for i in range(WORDS):
        if rng.random() < 0.02:
            speaker = "S2" if speaker == "S1" else "S1"
        text = VOCAB[i % len(VOCAB)] + ("." if i % 17 == 16 else "")
        words.append(Word(text, i * step, i * step + step - 60, speaker, 0.9))
    doc = Transcript.from_words(words, [Speaker("S1", "Interviewer", "#1f77b4"), Speaker("S2", "Guest", "#d62728")])
    path = folder / "long.verbatim"
    save_project(Project(doc, None, None, HOURS * 3_600_000), path)
    return path


def make_audio(folder: Path) -> np.ndarray:
    n = HOURS * 3600 * RATE
    mm = np.lib.format.open_memmap(folder / "audio.npy", mode="w+", dtype=np.float32, shape=(n,))
    rng = np.random.default_rng(1)
    chunk = RATE * 60
    env = np.abs(np.sin(np.arange(chunk) / RATE * 2.1)).astype(np.float32)
    for s in range(0, n, chunk):
        mm[s : s + chunk] = (rng.standard_normal(min(chunk, n - s)).astype(np.float32) * 0.2 * env[: min(chunk, n - s)])
    mm.flush()
    return np.load(folder / "audio.npy", mmap_mode="r")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> int:
    app = QApplication.instance() or QApplication([])
    app.setStyle("Fusion")
    from app.ui.main_window import MainWindow

    folder = Path(tempfile.mkdtemp(prefix="verbatim-bench-"))
    project = make_project(folder)
    t = time.perf_counter()
    samples = make_audio(folder)
    print(f"(setup: 2 h of audio written in {time.perf_counter() - t:.1f} s)")
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, recovery_root=folder / "rec", cache_dir=folder / "cache",
                   player_factory=lambda x: Player(x, clock_only=True), probe_output=lambda: True)
    w.resize(1400, 900)
    w.show()
    app.processEvents()

    t0 = time.perf_counter()
    w.open_path(project)
    app.processEvents()
    w.repaint()
    t_open = time.perf_counter() - t0
    t1 = time.perf_counter()
    peaks = PeakPyramid.from_samples(samples, RATE)
    t_peaks = time.perf_counter() - t1
    t2 = time.perf_counter()
    w.waveform.set_audio(peaks, len(samples) * 1000 // RATE)
    w.playback.set_audio(samples)
    w.audio = type("A", (), {"samples": samples, "duration_ms": len(samples) * 1000 // RATE})()
    app.processEvents()
    w.repaint()
    t_audio = time.perf_counter() - t2
    doc = w.project.transcript
    print(f"open 20,000-word project (JSON -> window shown): {ms(t_open)}   target < 2000 ms")
    print(f"  + waveform and player on 2 h of audio (peaks cached): {ms(t_audio)}; "
          f"building the peaks once: {ms(t_peaks)}")

    # keystroke -> repaint, in the middle of the transcript
    mid = WORDS // 2
    w.editor.move_cursor_to_word(mid)
    view = w.editor.text_view()
    view.setFocus()
    app.processEvents()
    times = []
    for k in range(60):
        t = time.perf_counter()
        QTest.keyClick(view, "abcdefghij"[k % 10])
        view.viewport().repaint()
        times.append(time.perf_counter() - t)
    assert "abcdefghij" in doc.text(mid - 1, mid + 2), "the keystrokes did not reach the document"
    print(f"keystroke -> repaint: median {ms(statistics.median(times))}, p95 {ms(sorted(times)[56])}   target < 16 ms")

    # playhead frame: clock, playhead, word highlight, status bar, waveform repaint (view zoomed to 20 s)
    w.playback.seek(3_600_000)
    w.waveform.show_range(3_590_000, 3_610_000)
    w.playback.play()
    frames = []
    for _ in range(240):
        t = time.perf_counter()
        w.playback._on_timer_tick()
        w.waveform.viewport().repaint()
        frames.append(time.perf_counter() - t)
        QTest.qWait(2)
    w.playback.pause()
    print(f"playhead update per frame: median {ms(statistics.median(frames))}, "
          f"p95 {ms(sorted(frames)[228])}   target < 16 ms")

    # click on a word -> seek -> waveform repainted at its time
    seeks = []
    for k in range(30):
        i = mid + 300 + k * 37
        w.editor.move_cursor_to_word(i)
        app.processEvents()
        rect = w.editor.word_rect(i)
        t = time.perf_counter()
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        w.waveform.viewport().repaint()
        seeks.append(time.perf_counter() - t)
        # with "play on click" on, the player starts at the word and has moved a few ms on by now
        late = w.playback.position_ms - doc.words[i].start_ms
        assert 0 <= late < 250, f"the click did not seek ({late} ms from the word)"
        w.playback.pause()
    print(f"click-to-seek (word click until the waveform repainted): median {ms(statistics.median(seeks))}, "
          f"max {ms(max(seeks))}   target < 50 ms")
    w.files.undo_stack.setClean()
    w.shutdown()
    w.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
