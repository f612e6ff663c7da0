"""One writer per project: two processes on one project, stale locks, changed-on-disk, per-instance journals."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox
from ui_window_support import new_window, open_and_wait

from app.core.project import load_project, remove_stale_temporaries, save_project
from app.core.project_lock import DiskStamp, LockOwner, ProjectLock, lock_path_for
from app.core.recovery import RecoveryJournal
from app.ui.app import demo_copy

HOLDER = """
import sys, time
from pathlib import Path
from app.core.project_lock import ProjectLock
got = ProjectLock.acquire(Path(sys.argv[1]))
print("LOCKED" if isinstance(got, ProjectLock) else "REFUSED", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def other_process_holding(tmp_path: Path):
    """Start a second Verbatim process that locks a project; yields a function that starts it."""
    started: list[subprocess.Popen[str]] = []

    def hold(project: Path) -> subprocess.Popen[str]:
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
        child = subprocess.Popen([sys.executable, "-c", HOLDER, str(project)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True, env=env)
        started.append(child)
        assert child.stdout is not None and child.stdout.readline().strip() == "LOCKED"
        return child

    yield hold
    for child in started:
        if child.poll() is None:
            child.kill()
        child.communicate()


def _click(button_text: str):
    """A QMessageBox.exec that clicks the button with this text (the dialogs the guard builds)."""

    def exec_(box: QMessageBox) -> int:
        buttons = [b for b in box.buttons() if b.text().replace("&", "") == button_text]
        assert buttons, [b.text() for b in box.buttons()]
        buttons[0].click()
        return 0

    return exec_


def test_a_second_process_is_refused_and_a_dead_ones_lock_is_taken_over(tmp_path, other_process_holding) -> None:
    project = demo_copy(tmp_path / "demo")
    child = other_process_holding(project)
    got = ProjectLock.acquire(project)
    assert isinstance(got, LockOwner) and got.pid == child.pid
    assert "process" in got.describe()
    child.kill()
    child.wait()
    mine = ProjectLock.acquire(project)  # the holder died: its lock is stale
    assert isinstance(mine, ProjectLock) and mine.owner.pid == os.getpid()
    mine.release()
    assert not lock_path_for(project).exists()


def test_a_damaged_lock_file_is_taken_over_once_it_is_old(tmp_path) -> None:
    project = demo_copy(tmp_path / "demo")
    lock = lock_path_for(project)
    lock.write_text("{half a lock")
    assert isinstance(ProjectLock.acquire(project), LockOwner)  # young: maybe being written right now
    old = time.time() - 60
    os.utime(lock, (old, old))
    assert isinstance(ProjectLock.acquire(project), ProjectLock)


def test_the_second_window_opens_read_only_with_a_banner_and_save_as_keeps_the_work(
        qtbot, tmp_path, monkeypatch, other_process_holding) -> None:
    project = demo_copy(tmp_path / "demo")
    other_process_holding(project)
    before = project.read_bytes()
    monkeypatch.setattr(QMessageBox, "exec", _click("Open Read-Only"))
    w = new_window(qtbot, tmp_path)
    open_and_wait(qtbot, w, project)
    assert w.files.read_only and "Read-only" in w.files.notices.text()
    assert w.files.notices.isVisible()
    assert w.speakers_panel.rename_speaker("S1", "Ines")
    w.files.flush_journal()
    assert not RecoveryJournal(project, None).exists()  # the holder's journal name is never used
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: warnings.append(text))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(project), ""))
    assert not w.save()  # Save As onto the locked file is refused
    assert "open in another Verbatim window" in warnings[-1] and project.read_bytes() == before
    copy = tmp_path / "demo" / "mine.verbatim"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(copy), ""))
    assert w.save() and load_project(copy).transcript.speaker_name("S1") == "Ines"
    assert not w.files.read_only and w.files.notices.text() == ""
    assert project.read_bytes() == before


def test_open_a_copy_edits_a_fresh_file(qtbot, tmp_path, monkeypatch, other_process_holding) -> None:
    project = demo_copy(tmp_path / "demo")
    other_process_holding(project)
    monkeypatch.setattr(QMessageBox, "exec", _click("Open a Copy"))
    w = new_window(qtbot, tmp_path)
    open_and_wait(qtbot, w, project)
    assert w.project.path.name == "demo (copy).verbatim" and not w.files.read_only
    assert lock_path_for(w.project.path).exists()


def test_saving_over_a_file_changed_on_disk_asks_first(qtbot, tmp_path, monkeypatch) -> None:
    project = demo_copy(tmp_path / "demo")
    w = new_window(qtbot, tmp_path)
    open_and_wait(qtbot, w, project)
    text = project.read_text(encoding="utf-8")
    assert '"Interviewer"' in text
    project.write_text(text.replace('"Interviewer"', '"Changed Elsewhere"'), encoding="utf-8")  # another program
    elsewhere = project.read_bytes()
    assert w.speakers_panel.rename_speaker("S1", "Mine")
    monkeypatch.setattr(QMessageBox, "exec", _click("Cancel"))
    assert not w.save() and project.read_bytes() == elsewhere
    monkeypatch.setattr(QMessageBox, "exec", _click("Overwrite"))
    assert w.save() and load_project(project).transcript.speaker_name("S1") == "Mine"
    assert w.speakers_panel.rename_speaker("S1", "Mine Again")
    assert w.save()  # written by this window since: no question
    assert DiskStamp.of(project) == w.files.guard.stamp


def test_a_killed_saves_temporary_files_are_removed_by_the_next_save(tmp_path) -> None:
    project = demo_copy(tmp_path / "demo")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = project.with_name(f".{project.name}.{dead.stdout.strip()}.0123abcd.tmp")
    stale.write_bytes(b"x" * 1000)
    live = project.with_name(f".{project.name}.{os.getppid()}.89abcdef.tmp")  # a live process's save
    live.write_bytes(b"y")
    unrelated = project.with_name(".other.verbatim.12345.0123abcd.tmp")
    unrelated.write_bytes(b"z")
    save_project(load_project(project), project)
    assert not stale.exists() and live.exists() and unrelated.exists()
    assert remove_stale_temporaries(project) == 0


def test_a_failed_autosave_goes_to_the_user_data_folder_with_a_banner(qtbot, tmp_path) -> None:
    project = demo_copy(tmp_path / "demo")
    w = new_window(qtbot, tmp_path)
    open_and_wait(qtbot, w, project)
    journal = RecoveryJournal(project, None).path
    journal.mkdir()  # the journal's place is taken: every write there fails
    assert w.speakers_panel.rename_speaker("S1", "Kept Anyway")
    w.files.flush_journal()
    qtbot.waitUntil(lambda: "Autosave cannot write" in w.files.notices.text(), timeout=5000)
    saved = [p for p in (tmp_path / "recovery").iterdir() if p.name.endswith(".recovery")]
    assert len(saved) == 1 and RecoveryJournal.at(saved[0]).load().transcript.speaker_name("S1") == "Kept Anyway"
    journal.rmdir()
    assert w.speakers_panel.rename_speaker("S1", "Back Home")
    w.files.flush_journal()
    qtbot.waitUntil(lambda: w.files.notices.text() == "", timeout=5000)
    assert w.save() and not any(p.name.endswith(".recovery") for p in (tmp_path / "recovery").iterdir())


def test_two_processes_on_one_unsaved_recording_keep_separate_journals(
        qtbot, tmp_path, monkeypatch, other_process_holding) -> None:
    from app.core.fingerprint import media_fingerprint
    from app.core.recovery import find_orphan_journals

    wav = demo_copy(tmp_path / "demo").with_name("demo.wav")
    shared = RecoveryJournal(None, media_fingerprint(wav), tmp_path / "recovery")
    shared.path.parent.mkdir(parents=True)
    other_process_holding(shared.path)  # another instance works on this recording, unsaved
    w = new_window(qtbot, tmp_path)
    open_and_wait(qtbot, w, wav)
    assert w.files.journal.path != shared.path and f"pid{os.getpid()}" in w.files.journal.path.name
    from app.core.edits import SetKeywords

    w.undo_stack.push_command(SetKeywords(("Okafor",)))  # unsaved work on the recording
    w.files.flush_journal()
    assert w.files.journal.path.exists() and not shared.path.exists()
    # at the next start this process's journal is an orphan, but never while this process runs elsewhere
    assert [j.path for j in find_orphan_journals(tmp_path / "recovery")] == [w.files.journal.path]
