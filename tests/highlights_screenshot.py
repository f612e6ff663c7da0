"""Run under a real X server by test_ui_highlights_screenshot.py: the demo with three highlights, then a
PNG of the Highlights panel (argv[1]) and one of the window (argv[2])."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication


def main(panel_png: Path, window_png: Path) -> int:
    from app.audio.player import Player
    from app.core.edits import ReplaceText
    from app.ui.app import demo_copy
    from app.ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    folder = Path(tempfile.mkdtemp(prefix="verbatim-shot-"))
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, recovery_root=folder / "recovery", cache_dir=folder / "cache",
                        player_factory=lambda samples: Player(samples, clock_only=True), probe_output=lambda: True)
    window.resize(1500, 900)
    window.show()

    def mark(first: str, count: int, label: str, note: str, after: int = 0) -> None:
        doc = window.project.transcript
        i = next(k for k in range(after, len(doc)) if doc.words[k].text == first)
        layout = window.editor.layout_model()
        window.editor.select_span(layout.word_span(i)[0], layout.word_span(i + count - 1)[1])
        hid = window.quotes.highlight_selection(label, note)
        assert hid is not None, f"could not highlight {first}"

    def shoot() -> None:
        doc = window.project.transcript
        mark("We", 6, "quote", "Lede: microplastics at every site")
        mark("Downstream", 10, "check", "Four times what? Ask for the baseline")
        down = next(k for k, w in enumerate(doc.words) if w.text == "four")
        window.undo_stack.push_command(ReplaceText(down, down + 1, "five"))  # typed by hand: flagged
        mark("They", 7, "follow", "Ask the company for its review", after=30)
        window.resizeDocks([window.quotes.dock], [760], Qt.Orientation.Horizontal)
        window.quotes.panel.select_row(1)
        window.waveform.show_range(5_000, 20_000)
        for _ in range(5):
            app.processEvents()
        window.quotes.dock.grab().save(str(panel_png), "PNG")
        window.grab().save(str(window_png), "PNG")
        window.files.undo_stack.setClean()
        app.quit()

    window.loader.loaded.connect(lambda *_: QTimer.singleShot(400, shoot))
    window.open_path(demo_copy(folder / "demo"))
    QTimer.singleShot(30_000, app.quit)
    status = app.exec()
    window.shutdown()
    return status


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2])))
