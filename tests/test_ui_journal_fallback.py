"""A journal write that fails goes to its own project's fallback journal, whatever is open when the failure
arrives: the window may have switched projects between the write and its outcome on the GUI thread."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox
from ui_window_support import new_window, open_and_wait

from app.core.fingerprint import media_fingerprint
from app.core.project import Project, load_project
from app.core.recovery import RecoveryJournal, find_orphan_journals, instance_journal
from app.ui.app import demo_copy


def _failing_edit(qtbot, w, project_path, name: str) -> Project:
    """Open `project_path`, take its journal's place with a folder (every write there fails, also as
    root), rename S1 to `name` and let the journal write fail on the writer thread; its outcome is still
    to reach the GUI thread. Returns the open project."""
    open_and_wait(qtbot, w, project_path)
    RecoveryJournal(project_path, None).path.mkdir()
    assert w.speakers_panel.rename_speaker("S1", name)
    w.files.write_journal()
    w.files.wait_for_journal()  # on disk or failed; the outcome waits for the event loop
    return w.project


def test_a_failure_that_arrives_after_a_switch_is_kept_for_its_own_project(qtbot, tmp_path, monkeypatch) -> None:
    a = demo_copy(tmp_path / "a")
    b = demo_copy(tmp_path / "b")  # another project of the same recording: the same fingerprint
    recovery = tmp_path / "recovery"
    w = new_window(qtbot, tmp_path)
    messages: list[str] = []
    w.files.message.connect(messages.append)
    project_a = _failing_edit(qtbot, w, a, "Only In A")
    assert not recovery.exists() and w.files.notices.text() == ""  # nothing of the failure is dealt with yet

    with qtbot.waitSignal(w.loader.loaded, timeout=20_000):  # the window switches to B without asking
        assert w.files.open_path(b)
    project_b = w.project
    assert project_b is not project_a and project_b.media_fingerprint == project_a.media_fingerprint
    qtbot.waitUntil(lambda: any("kept in" in m for m in messages), timeout=5000)

    fallback_a, fallback_b = instance_journal(project_a, recovery), instance_journal(project_b, recovery)
    assert fallback_a.path != fallback_b.path
    said = next(m for m in messages if "kept in" in m)
    assert str(a) in said and str(fallback_a.path) in said  # the status line names A and where its work is
    assert w.files.notices.text() == ""  # no banner over B about A
    assert not fallback_b.path.exists() and not RecoveryJournal(b, None).path.exists()
    assert [j.path for j in find_orphan_journals(recovery)] == [fallback_a.path]
    kept = RecoveryJournal.at(fallback_a.path).load()
    recording_a = (a.parent / "demo.wav").resolve()
    assert kept.transcript.speaker_name("S1") == "Only In A" and kept.media_path == recording_a
    assert load_project(b).transcript.speaker_name("S1") == "Interviewer"
    w.files.undo_stack.setClean()
    w.shutdown()

    # the next start offers A's work back, as unsaved work on A's recording; B opens as it was saved
    asked: list[str] = []

    def yes(_parent, title, text, *_a, **_k):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)
    w2 = new_window(qtbot, tmp_path)  # the same recovery folder
    with qtbot.waitSignal(w2.loader.loaded, timeout=20_000):
        assert w2.files.offer_orphan_recovery()
    assert w2.project.transcript.speaker_name("S1") == "Only In A"
    assert w2.project.media_path == recording_a and w2.project.media_fingerprint == media_fingerprint(recording_a)
    w2.files.undo_stack.setClean()
    w2.shutdown()
    w3 = new_window(qtbot, tmp_path)
    open_and_wait(qtbot, w3, b)
    assert len(asked) == 1 and w3.project.transcript.speaker_name("S1") == "Interviewer"


@pytest.mark.parametrize("answer", ["Save", "Discard"])
def test_work_saved_or_given_up_before_the_switch_leaves_no_fallback(qtbot, tmp_path, monkeypatch, answer) -> None:
    a = demo_copy(tmp_path / "a")
    b = demo_copy(tmp_path / "b")
    recovery = tmp_path / "recovery"
    w = new_window(qtbot, tmp_path)
    _failing_edit(qtbot, w, a, "Saved Or Given Up")
    button = getattr(QMessageBox.StandardButton, answer)
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: button)
    open_and_wait(qtbot, w, b)  # the person's way: Save / Discard first
    QCoreApplication.processEvents()  # the failure's outcome (posted before the switch) is dealt with
    assert list(recovery.glob("*.recovery")) == []
    assert w.files.notices.text() == "" and w.project.transcript.speaker_name("S1") == "Interviewer"
    expected = "Saved Or Given Up" if answer == "Save" else "Interviewer"
    assert load_project(a).transcript.speaker_name("S1") == expected


def test_a_flush_keeps_the_work_at_once_without_the_event_loop(qtbot, tmp_path) -> None:
    a = demo_copy(tmp_path / "a")
    w = new_window(qtbot, tmp_path)
    open_and_wait(qtbot, w, a)
    RecoveryJournal(a, None).path.mkdir()
    assert w.speakers_panel.rename_speaker("S1", "Kept At Logout")
    w.files.flush_journal()  # SIGTERM or logout: the application exits right after this
    fallback = instance_journal(w.project, tmp_path / "recovery")
    assert RecoveryJournal.at(fallback.path).load().transcript.speaker_name("S1") == "Kept At Logout"
    assert "Autosave cannot write" in w.files.notices.text()


def test_undoing_back_to_the_saved_state_removes_the_fallback_and_its_banner(qtbot, tmp_path) -> None:
    a = demo_copy(tmp_path / "a")
    w = new_window(qtbot, tmp_path)
    project = _failing_edit(qtbot, w, a, "Undone")
    fallback = instance_journal(project, tmp_path / "recovery")
    qtbot.waitUntil(fallback.exists, timeout=5000)
    assert "Autosave cannot write" in w.files.notices.text()
    w.files.undo_stack.undo()
    assert not w.isWindowModified() and not fallback.exists() and w.files.notices.text() == ""
