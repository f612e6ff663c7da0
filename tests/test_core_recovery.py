"""Recovery journals: written beside the project or in the recovery folder, newer-than checks, orphans."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.document import Speaker, Transcript, Word
from app.core.errors import ProjectError
from app.core.project import Project, load_project, save_project
from app.core.recovery import RecoveryJournal, default_recovery_root, find_orphan_journals

FP = "sha256:" + "ab" * 32


def _project(tmp_path: Path, text: str = "first") -> Project:
    media = tmp_path / "media.wav"
    media.write_bytes(b"RIFF")
    words = [Word(text, 0, 400, "S1"), Word("words", 400, 800, "S1")]
    return Project(Transcript.from_words(words, [Speaker("S1", "Reporter", "#2ca02c")]), media, FP, 800)


def _set_mtime(path: Path, seconds: int) -> None:
    os.utime(path, ns=(seconds * 10**9, seconds * 10**9))


def test_journal_beside_saved_project(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    target = tmp_path / "interview.verbatim"
    save_project(proj, target)
    journal = RecoveryJournal(target, FP)
    assert journal.path == tmp_path / "interview.verbatim.recovery"
    assert not journal.has_newer_than_project()

    proj.transcript.splice(0, 1, [Word("edited", 0, 400, "S1")])
    journal.write(proj)
    _set_mtime(target, 1_000)
    _set_mtime(journal.path, 2_000)
    assert journal.has_newer_than_project()

    recovered = journal.load()
    assert recovered.path == target  # saving the recovered work goes to the real project
    assert recovered.transcript.text() == "edited words"
    assert recovered.media_path == proj.media_path
    assert load_project(target).transcript.text() == "first words"  # the project itself is untouched

    _set_mtime(journal.path, 500)  # an old journal (project saved after it) is not offered
    assert not journal.has_newer_than_project()

    journal.discard()
    assert not journal.path.exists() and not journal.has_newer_than_project()
    journal.discard()  # discarding twice is fine


def test_journal_counts_as_newer_when_project_file_is_gone(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    target = tmp_path / "gone.verbatim"
    journal = RecoveryJournal(target, FP)
    journal.write(proj)
    assert journal.has_newer_than_project()
    assert journal.load().transcript.text() == "first words"


def test_unsaved_project_journal_in_root_and_orphans(tmp_path: Path) -> None:
    root = tmp_path / "recovery"
    proj = _project(tmp_path)
    journal = RecoveryJournal(None, FP, root)
    assert journal.path.parent == root and ":" not in journal.path.name
    assert find_orphan_journals(root) == []
    journal.write(proj)
    assert journal.has_newer_than_project()

    other = RecoveryJournal(None, None, root)  # no media either: an "untitled" journal
    other.write(_project(tmp_path, "second"))
    _set_mtime(journal.path, 1_000)
    _set_mtime(other.path, 3_000)
    (root / "notes.txt").write_text("not a journal")

    orphans = find_orphan_journals(root)
    assert [o.path for o in orphans] == [other.path, journal.path]
    loaded = orphans[1].load()
    assert loaded.path is None
    assert loaded.media_fingerprint == FP and loaded.media_path == proj.media_path
    assert loaded.transcript.speakers == proj.transcript.speakers

    journal.discard()
    assert [o.path for o in find_orphan_journals(root)] == [other.path]


def test_journal_writes_are_atomic_and_overwrite(tmp_path: Path) -> None:
    root = tmp_path / "recovery"
    journal = RecoveryJournal(None, FP, root)
    journal.write(_project(tmp_path, "one"))
    journal.write(_project(tmp_path, "two"))
    assert sorted(p.name for p in root.iterdir()) == [journal.path.name]
    assert journal.load().transcript.text() == "two words"


def test_damaged_or_missing_journal_is_a_project_error(tmp_path: Path) -> None:
    journal = RecoveryJournal(tmp_path / "p.verbatim", FP)
    with pytest.raises(ProjectError, match="no recovery journal"):
        journal.load()
    journal.path.write_bytes(b'{"app": "verbatim", "schema_version": 1, "words": [')
    with pytest.raises(ProjectError, match="damaged"):
        journal.load()
    assert journal.path.exists()  # left for the user to inspect


def test_orphans_of_missing_root_and_default_root() -> None:
    assert find_orphan_journals(Path("/nonexistent/verbatim/recovery")) == []
    assert default_recovery_root().name == "recovery"
