"""What one transcription update costs the window, at the start and at the end of a 3-hour run. By hand:

    QT_QPA_PLATFORM=offscreen python tests/perf/bench_updates.py [--updates 360 --words 80]

A run at batch 1 with 30 s pieces delivers about 360 updates of ~80 words for 3 hours of speech. Each
update is pushed through the window's undo stack into the open editor, as the transcription controller
does, in two ways: "replace" (the former way: `ReplaceTranscript` with every word so far) and "append"
(now: `TranscriptionStep`, the first step replaces, later ones append only their new words). Reported:
the GUI-thread time per update (push + processing the editor's events) over the first and the last 10
updates, and in all.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.core.document import Speaker, Transcript, Word
from app.core.edits import ReplaceTranscript
from app.core.project import Project, save_project
from app.core.run_edits import TranscriptionStep

VOCAB = "the mayor said that bridge will open in may after council votes on budget and river".split()
SPEAKERS = [Speaker("S1", "Interviewer", "#1f77b4"), Speaker("S2", "Guest", "#d62728")]


def batch_words(k: int, per: int) -> list[Word]:
    step = 30_000 // per
    base = k * 30_000
    return [Word(VOCAB[(k * per + j) % len(VOCAB)] + ("." if j % 17 == 16 else ""), base + j * step,
                 base + j * step + step - 40, "S1" if (k // 3) % 2 == 0 else "S2", 0.9) for j in range(per)]


def run(kind: str, updates: int, per: int, folder: Path) -> list[float]:
    app = QApplication.instance() or QApplication([])
    from app.ui.main_window import MainWindow

    project = folder / f"{kind}.verbatim"
    save_project(Project(Transcript.from_words([Word("old", 0, 300, "S1")], SPEAKERS), None, None, 0), project)
    settings = QSettings(str(folder / f"{kind}.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, recovery_root=folder / "rec", cache_dir=folder / "cache",
                   probe_output=lambda: True)
    w.resize(1400, 900)
    w.show()
    w.open_path(project)
    app.processEvents()
    stack = w.undo_stack
    so_far: list[Word] = []
    times = []
    for k in range(updates):
        new = batch_words(k, per)
        t0 = time.perf_counter()
        if kind == "replace":
            so_far.extend(new)
            stack.push_command(ReplaceTranscript(list(so_far), SPEAKERS, run_id="bench"))
        else:
            stack.push_command(TranscriptionStep(new, SPEAKERS if k == 0 else [], "bench", k == 0))
        app.processEvents()
        times.append(time.perf_counter() - t0)
    assert len(w.project.transcript) == updates * per and stack.count() == 1
    w.undo_stack.setClean()
    w.shutdown()
    w.close()
    app.processEvents()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=360)
    parser.add_argument("--words", type=int, default=80)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="verbatim-updates-"))
    print(f"{args.updates} updates of {args.words} words ({args.updates * args.words} words in all)")
    print("| way | first 10 updates, median | last 10 updates, median | all updates, total |")
    print("|---|---|---|---|")
    for kind in ("replace", "append"):
        times = run(kind, args.updates, args.words, folder)
        first, last = 1000 * statistics.median(times[:10]), 1000 * statistics.median(times[-10:])
        print(f"| {kind} | {first:.1f} ms | {last:.1f} ms | {sum(times):.1f} s |", flush=True)


if __name__ == "__main__":
    main()
