"""The export and keyword-list dialogs, driven the way a person would fill them in."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import srt
from docx import Document
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox
from ui_window_support import new_window, open_and_wait, open_demo

from app.core.document import TimingSource
from app.ui import window_dialogs
from app.ui.dialogs.export_dialog import ExportDialog
from app.ui.dialogs.keywords_dialog import KeywordLibrary, KeywordsDialog, parse_keywords


def test_export_srt_with_speaker_names_and_docx_with_timestamps(qtbot, tmp_path) -> None:
    w = new_window(qtbot, tmp_path)
    open_demo(qtbot, w, tmp_path)
    d = ExportDialog(w.project, w)
    qtbot.addWidget(d)
    d.set_format("srt")
    assert d.path_edit.text().endswith("demo.srt")
    assert not d.timestamps.isEnabled() and d.speakers.isEnabled() and not d.title.isEnabled()
    d.path_edit.setText(str(tmp_path / "out.srt"))
    d.export()
    cues = list(srt.parse((tmp_path / "out.srt").read_text(encoding="utf-8")))
    assert cues and "Interviewer" in cues[0].content and "Osei" in cues[0].content
    assert cues[-1].end.total_seconds() * 1000 <= w.project.transcript.duration_ms + 1
    d.set_format("docx")
    assert d.path_edit.text().endswith("out.docx") and d.timestamps.isEnabled() and d.title.isEnabled()
    d.timestamps.setChecked(True)
    d.title.setText("River samples")
    d.export()
    text = "\n".join(p.text for p in Document(str(tmp_path / "out.docx")).paragraphs)
    assert "River samples" in text and "Dr. Amal Osei" in text and "microplastics" in text
    assert "00:00:" in text or "0:00" in text


def test_keyword_lists_are_edited_saved_by_name_and_undoable(qtbot, tmp_path, monkeypatch) -> None:
    w = new_window(qtbot, tmp_path)
    open_demo(qtbot, w, tmp_path)
    doc = w.project.transcript
    assert doc.keywords == ("microplastics", "Osei")

    def fill_and_accept(dialog: KeywordsDialog) -> int:
        assert dialog.keywords() == ("microplastics", "Osei")
        dialog.editor.setPlainText("Osei\nmicroplastics, EPA\n\nOsei")
        dialog.save_list("Rivers desk")
        return 1

    monkeypatch.setattr(KeywordsDialog, "exec", fill_and_accept)
    w.acts["keywords"].trigger()
    assert doc.keywords == ("Osei", "microplastics", "EPA") and w.isWindowModified()
    library = KeywordLibrary(w.settings)
    assert library.names() == ["Rivers desk"] and library.get("Rivers desk") == ("Osei", "microplastics", "EPA")
    w.acts["undo"].trigger()
    assert doc.keywords == ("microplastics", "Osei")
    d = KeywordsDialog((), QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(d)
    assert d.lists.currentText() == "Rivers desk"
    d.load_list("Rivers desk")
    assert d.keywords() == ("Osei", "microplastics", "EPA")
    assert parse_keywords(" a ,b\n\n a") == ("a", "b")


def test_models_menu_opens_the_models_dialog(qtbot, tmp_path, monkeypatch) -> None:
    from huggingface_hub import constants

    from app.ui.dialogs.models_dialog import ModelsDialog

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    w = new_window(qtbot, tmp_path)
    transcribe = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Transcribe")
    assert w.acts["models"] in transcribe.actions()
    w.acts["models"].trigger()
    dialogs = [d for d in w.findChildren(ModelsDialog) if d.isVisible()]
    assert len(dialogs) == 1
    dialogs[0].close()


def test_a_transcript_made_elsewhere_is_imported_onto_a_recording_as_one_step(qtbot, tmp_path, monkeypatch) -> None:
    media = tmp_path / "call.wav"
    shutil.copy(Path(__file__).parents[1] / "resources" / "demo" / "demo.wav", media)
    w = new_window(qtbot, tmp_path)
    open_and_wait(qtbot, w, media)
    assert len(w.project.transcript) == 0 and "No transcript yet" in w.editor.text_view().placeholderText()
    cues = [
        srt.Subtitle(1, dt.timedelta(seconds=0.4), dt.timedelta(seconds=5.0), "Dr. Osei, thank you for joining us."),
        srt.Subtitle(2, dt.timedelta(seconds=6.2), dt.timedelta(seconds=9.0), "We found microplastics."),
    ]
    sub = tmp_path / "call.srt"
    sub.write_text(srt.compose(cues), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(sub), ""))
    w.acts["import"].trigger()  # File > Import Transcript...
    doc = w.project.transcript
    assert doc.text() == "Dr. Osei, thank you for joining us. We found microplastics."
    assert all(word.source is TimingSource.INTERPOLATED for word in doc.words)
    assert 400 <= doc.words[0].start_ms and doc.words[-1].end_ms <= 9000
    assert "microplastics" in w.editor.text_view().toPlainText()
    w.undo_stack.undo()  # one step
    assert len(w.project.transcript) == 0
    broken = tmp_path / "broken.srt"
    broken.write_text("this is not a subtitle file", encoding="utf-8")
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))
    window_dialogs.import_transcript(w, broken)
    assert len(shown) == 1 and "\n" not in shown[0] and len(w.project.transcript) == 0


def test_export_asks_before_replacing_a_file_and_never_overwrites_the_project(qtbot, tmp_path, monkeypatch) -> None:
    from app.ui.dialogs.export_dialog import ExportDialog

    w = new_window(qtbot, tmp_path)
    open_demo(qtbot, w, tmp_path)
    d = ExportDialog(w.project, w)
    qtbot.addWidget(d)
    d.set_format("txt")
    existing = Path(d.path_edit.text())
    existing.write_text("my own notes", encoding="utf-8")
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No)
    d._on_accepted()
    assert asked and existing.read_text(encoding="utf-8") == "my own notes"  # declined: untouched
    d.set_format("json")
    d.path_edit.setText(str(w.project.path))  # the project file itself
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warned.append(text))
    before = w.project.path.read_bytes()
    d._on_accepted()
    assert warned and "overwrite the project" in warned[0] and w.project.path.read_bytes() == before
