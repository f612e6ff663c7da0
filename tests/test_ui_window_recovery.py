"""Autosave and recovery after a crash, and relinking a recording that moved."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox
from ui_window_support import new_window, open_and_wait, open_demo

from app.core.recovery import RecoveryJournal


def test_autosave_writes_a_journal_that_a_new_window_offers_to_recover(qtbot, tmp_path, monkeypatch) -> None:
    w1 = new_window(qtbot, tmp_path)
    project = open_demo(qtbot, w1, tmp_path)
    w1.files.autosave_ms = 50
    journal = RecoveryJournal(project, None, tmp_path / "recovery").path
    assert w1.speakers_panel.rename_speaker("S2", "Amal Osei")
    assert w1.files.autosave_pending
    qtbot.waitUntil(journal.exists, timeout=3000)
    w1.shutdown()  # the "crash": no save, the journal stays behind
    asked: list[str] = []

    def yes(_parent, title, text, *_a, **_k):
        asked.append(title)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)
    w2 = new_window(qtbot, tmp_path / "second")
    open_and_wait(qtbot, w2, project)
    assert asked == ["Recover Unsaved Work"]
    assert w2.project.transcript.speaker_name("S2") == "Amal Osei"
    first_s2 = next(x.start_ms for x in w2.project.transcript.words if x.speaker == "S2")
    assert w2.waveform.speaker_name_at(first_s2) == "Amal Osei"
    assert w2.isWindowModified() and w2.project.path == project.resolve()
    assert w2.save() and not journal.exists()  # saving makes the journal unnecessary


def test_declining_recovery_discards_the_journal(qtbot, tmp_path, monkeypatch) -> None:
    w1 = new_window(qtbot, tmp_path)
    project = open_demo(qtbot, w1, tmp_path)
    w1.speakers_panel.rename_speaker("S1", "Someone")
    w1.files.write_journal()
    w1.files.wait_for_journal()
    journal = RecoveryJournal(project, None, tmp_path / "recovery").path
    assert journal.exists()
    w1.shutdown()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    w2 = new_window(qtbot, tmp_path / "second")
    open_and_wait(qtbot, w2, project)
    assert w2.project.transcript.speaker_name("S1") == "Interviewer" and not journal.exists()
    assert not w2.isWindowModified()


def test_a_moved_recording_is_relinked_and_checked(qtbot, tmp_path, monkeypatch) -> None:
    w = new_window(qtbot, tmp_path)
    project = open_demo(qtbot, w, tmp_path)
    w.close()
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.move(project.parent / "demo.wav", moved / "interview.wav")
    other = tmp_path / "other.wav"
    shutil.copyfile(moved / "interview.wav", other)
    with open(other, "r+b") as f:  # same length, different audio: another recording
        f.seek(5000)
        f.write(b"\x7f" * 64)
    picks = iter([str(other), str(moved / "interview.wav")])
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: QMessageBox.StandardButton.Ok)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (next(picks), ""))

    def warning(_parent, title, text, *_a, **_k):
        warnings.append(text)
        return QMessageBox.StandardButton.Retry

    monkeypatch.setattr(QMessageBox, "warning", warning)
    w2 = new_window(qtbot, tmp_path / "second")
    open_and_wait(qtbot, w2, project)
    assert len(warnings) == 1 and "other.wav is not the recording" in warnings[0]
    assert w2.project.media_path == moved / "interview.wav" and w2.audio is not None
    assert w2.isWindowModified()  # the new location is worth saving
    assert w2.save()
    from app.core.project import load_project

    assert load_project(project).media_path == (moved / "interview.wav").resolve()


def test_the_journal_is_written_off_the_gui_thread_from_a_snapshot(qtbot, tmp_path, monkeypatch) -> None:
    import threading

    from app.core.project import load_project

    w = new_window(qtbot, tmp_path)
    project = open_demo(qtbot, w, tmp_path)
    w.speakers_panel.rename_speaker("S1", "Reporter")
    writers: list[str] = []
    real = RecoveryJournal.write_snapshot
    gate = threading.Event()

    def slow_write(self, data):  # a slow disk: the GUI thread must not wait for it
        writers.append(threading.current_thread().name)
        gate.wait(5)
        real(self, data)

    monkeypatch.setattr(RecoveryJournal, "write_snapshot", slow_write)
    w.files.write_journal()
    w.speakers_panel.rename_speaker("S1", "Later edit")  # the GUI goes on while the write is in flight
    gate.set()
    w.files.wait_for_journal()
    assert writers and writers[0] != threading.main_thread().name
    journal = RecoveryJournal(project, None, tmp_path / "recovery")
    assert journal.load().transcript.speaker_name("S1") == "Reporter"  # the snapshot, not the later edit
    assert load_project(project).transcript.speaker_name("S1") == "Interviewer"  # the project is untouched


def _crash_on_a_new_recording(qtbot, tmp_path) -> tuple[Path, Path]:
    """Open a recording (no project yet), add a speaker, let the journal be written, then 'crash'.
    Returns the recording and its journal."""
    media = tmp_path / "call.wav"
    shutil.copy(Path(__file__).parents[1] / "resources" / "demo" / "demo.wav", media)
    w = new_window(qtbot, tmp_path)
    open_and_wait(qtbot, w, media)
    w.speakers_panel.add_speaker("Mayor")
    w.files.write_journal()
    w.files.wait_for_journal()
    journal = w.files.journal.path
    w.shutdown()  # never saved
    return media, journal


def test_opening_a_recording_offers_the_unsaved_work_a_crash_left_on_it(qtbot, tmp_path, monkeypatch) -> None:
    media, _journal = _crash_on_a_new_recording(qtbot, tmp_path)
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[1]) or QMessageBox.StandardButton.Yes)
    w2 = new_window(qtbot, tmp_path)  # same recovery folder
    open_and_wait(qtbot, w2, media)  # e.g. from Recent files or the command line
    assert asked and [s.name for s in w2.project.transcript.speakers] == ["Mayor"] and w2.isWindowModified()


def test_undoing_back_to_the_saved_state_discards_the_journal(qtbot, tmp_path) -> None:
    w = new_window(qtbot, tmp_path)
    project = open_demo(qtbot, w, tmp_path)
    w.speakers_panel.rename_speaker("S1", "Someone")
    w.files.write_journal()
    w.files.wait_for_journal()
    journal = RecoveryJournal(project, None, tmp_path / "recovery").path
    assert journal.exists()
    w.undo_stack.undo()
    assert not w.isWindowModified() and not journal.exists()


def test_a_damaged_journal_does_not_hide_a_good_one(qtbot, tmp_path, monkeypatch) -> None:
    _media, good = _crash_on_a_new_recording(qtbot, tmp_path)
    bad = good.parent / ("sha256-damaged" + good.name[good.name.index("."):])
    bad.write_text('{"app": "verbatim", "schema_version": 1, "words": [', encoding="utf-8")
    os.utime(bad, (good.stat().st_mtime + 60, good.stat().st_mtime + 60))  # the newest
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    w2 = new_window(qtbot, tmp_path)
    assert w2.files.offer_orphan_recovery()
    assert [s.name for s in w2.project.transcript.speakers] == ["Mayor"]


def test_opening_a_journal_file_opens_its_project_and_offers_the_recovery(qtbot, tmp_path, monkeypatch) -> None:
    w1 = new_window(qtbot, tmp_path)
    project = open_demo(qtbot, w1, tmp_path)
    w1.speakers_panel.rename_speaker("S1", "Someone")
    w1.files.write_journal()
    w1.files.wait_for_journal()
    journal = RecoveryJournal(project, None, tmp_path / "recovery").path
    w1.shutdown()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    w2 = new_window(qtbot, tmp_path / "second")
    open_and_wait(qtbot, w2, journal)  # e.g. double-clicked in a file manager
    assert w2.project.path == project  # saving goes to the project, never into the journal
    assert w2.project.transcript.speaker_name("S1") == "Someone" and w2.isWindowModified()
