"""Project files: round trip, media paths, atomic saving, and refusal of damaged or hostile files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.core import project as project_mod
from app.core.document import Speaker, TimingSource, Transcript, TranscriptionSettings, Word
from app.core.errors import ProjectError
from app.core.project import (
    SCHEMA_VERSION,
    Project,
    load_project,
    project_from_dict,
    project_to_dict,
    save_project,
)


def _doc() -> Transcript:
    words = [
        Word("Hello,", 0, 310, "S1", 0.91, TimingSource.MODEL),
        Word("Mayor", 320, 700, "S1", None, TimingSource.ALIGNED),
        Word("Okafor.", 700, 1200, "S1", 0.5, TimingSource.INTERPOLATED),
        Word("Thanks", 1500, 1800, "S2", 1.0, TimingSource.MANUAL),
        Word("for", 1800, 1900, "S2"),
        Word("coming.", 1900, 2400, "S2", None, TimingSource.MODEL, True),
        Word("Ünïcödé “quotes”", 2400, 2400, None),
    ]
    speakers = [Speaker("S1", "Interviewer", "#1f77b4"), Speaker("S2", "Mayor Okafor", "#d62728")]
    settings = TranscriptionSettings("granite-4.1-2b", "abc123", "de", "translate", "en", "cuda")
    return Transcript.from_words(words, speakers, ["Okafor", "Bürgermeister"], settings)


def _project(tmp_path: Path) -> Project:
    media = tmp_path / "audio" / "interview.wav"
    media.parent.mkdir(parents=True, exist_ok=True)
    media.write_bytes(b"RIFF")
    return Project(_doc(), media, "sha256:" + "0" * 64, 2400)


def _same_doc(a: Transcript, b: Transcript) -> None:
    assert list(a.words) == list(b.words)
    assert a.speakers == b.speakers
    assert a.keywords == b.keywords
    assert a.settings == b.settings


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    target = tmp_path / "projects" / "interview.verbatim"
    target.parent.mkdir()
    save_project(proj, target)
    assert proj.path == target
    loaded = load_project(target)
    _same_doc(loaded.transcript, proj.transcript)
    assert loaded.media_path == proj.media_path
    assert loaded.media_fingerprint == proj.media_fingerprint
    assert loaded.media_duration_ms == 2400
    assert loaded.path == target
    assert [s.speaker for s in loaded.transcript.segments()] == ["S1", "S2", "S2", None]


def test_file_is_readable_json_with_compact_words(tmp_path: Path) -> None:
    target = tmp_path / "p.json"
    save_project(_project(tmp_path), target)
    text = target.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["app"] == "verbatim" and data["schema_version"] == SCHEMA_VERSION
    assert data["words"][0] == {"t": "Hello,", "s": 0, "e": 310, "spk": "S1", "c": 0.91, "src": "model"}
    assert data["words"][5]["p"] is True and "p" not in data["words"][4]
    assert "c" not in data["words"][1]
    assert data["settings"]["target_language"] == "en"
    assert "Ünïcödé" in text  # stored as readable UTF-8, not escapes
    assert sum(1 for line in text.splitlines() if '"t":' in line) == 7  # one word per line


def test_media_path_is_relative_to_project_folder(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    target = tmp_path / "projects" / "p.verbatim"
    target.parent.mkdir()
    save_project(proj, target)
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["media"]["path"] == "../audio/interview.wav"
    # moving the whole tree keeps the link through the relative path
    moved = tmp_path.parent / (tmp_path.name + "_moved")
    os.rename(tmp_path, moved)
    try:
        loaded = load_project(moved / "projects" / "p.verbatim")
        assert loaded.media_path == moved / "audio" / "interview.wav"
        assert loaded.media_path.exists()
    finally:
        os.rename(moved, tmp_path)


def test_media_found_by_absolute_path_when_only_project_moved(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    target = tmp_path / "a" / "p.verbatim"
    target.parent.mkdir()
    save_project(proj, target)
    deeper = tmp_path / "b" / "c" / "p.verbatim"
    deeper.parent.mkdir(parents=True)
    os.replace(target, deeper)
    assert load_project(deeper).media_path == proj.media_path


def test_dict_round_trip_without_base_dir_stores_absolute(tmp_path: Path) -> None:
    proj = _project(tmp_path)
    data = project_to_dict(proj, None)
    assert Path(data["media"]["path"]).is_absolute()
    back = project_from_dict(json.loads(json.dumps(data)), None)
    _same_doc(back.transcript, proj.transcript)
    assert back.media_path == proj.media_path and back.path is None


def test_project_without_media(tmp_path: Path) -> None:
    target = tmp_path / "p.verbatim"
    save_project(Project(_doc()), target)
    loaded = load_project(target)
    assert loaded.media_path is None and loaded.media_fingerprint is None and loaded.media_duration_ms is None


def test_atomic_save_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "p.verbatim"
    proj = _project(tmp_path)
    save_project(proj, target)
    save_project(proj, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audio", "p.verbatim"]


def test_interrupted_save_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "p.verbatim"
    proj = _project(tmp_path)
    save_project(proj, target)
    before = target.read_bytes()

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(project_mod.os, "replace", crash)
    proj.transcript.set_meta(keywords=["changed"])
    with pytest.raises(ProjectError, match="Could not save"):
        save_project(proj, target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audio", "p.verbatim"]


def test_save_into_missing_folder_is_a_project_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError):
        save_project(_project(tmp_path), tmp_path / "nope" / "p.verbatim")


def _write_and_expect_error(tmp_path: Path, content: bytes, match: str) -> None:
    f = tmp_path / "bad.verbatim"
    f.write_bytes(content)
    with pytest.raises(ProjectError, match=match) as info:
        load_project(f)
    assert f.read_bytes() == content  # never touched on failure
    assert "\n" not in str(info.value)


def test_newer_schema_is_refused_and_file_untouched(tmp_path: Path) -> None:
    data = project_to_dict(_project(tmp_path), tmp_path)
    data["schema_version"] = SCHEMA_VERSION + 1
    data["new_thing"] = {"whatever": 1}
    _write_and_expect_error(
        tmp_path, json.dumps(data).encode(), rf"newer version of Verbatim \(schema {SCHEMA_VERSION + 1}\); update"
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="does not exist"):
        load_project(tmp_path / "absent.verbatim")


@pytest.mark.parametrize("cut", [1, 10, 100, -40, -2])
def test_truncated_file_is_refused(tmp_path: Path, cut: int) -> None:
    target = tmp_path / "p.verbatim"
    save_project(_project(tmp_path), target)
    whole = target.read_bytes()
    _write_and_expect_error(tmp_path, whole[:cut], "damaged or incomplete")


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "empty"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"[1, 2, 3]", "not a Verbatim project"),
        (b'{"app": "other", "schema_version": 1, "words": []}', "not a Verbatim project"),
        (b'{"app": "verbatim", "schema_version": "1", "words": []}', "schema version"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [], "words": []}', "appears twice"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [], "__class__": "os.system"}', "__class__"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [{"t": "a", "s": "0", "e": 5}]}', "whole number"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [{"t": "a", "s": 0.5, "e": 5}]}', "whole number"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [{"t": "a", "s": true, "e": 5}]}', "whole number"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [{"t": "a", "s": -1, "e": 5}]}', "negative"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [{"t": "a", "s": 9, "e": 5}]}', "ends before"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [{"t": 7, "s": 0, "e": 5}]}', "not text"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [{"t": "a", "s": 0, "e": 5, "src": "guess"}]}',
         "unknown timing source"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [{"t": "a", "s": 0, "e": 5, "c": 7}]}', "confidence"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [{"t": "a", "s": 0, "e": 5, "c": NaN}]}', "NaN"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [{"t": "a", "s": 0, "e": 5, "p": 1}]}', "paragraph"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [{"t": "a", "s": 0, "e": 5, "__init__": 1}]}',
         "unexpected field"),
        (b'{"app": "verbatim", "schema_version": 1, "words": ["a"]}', "not an object"),
        (b'{"app": "verbatim", "schema_version": 1, "words": {"t": "a"}}', "not a list"),
        (b'{"app": "verbatim", "schema_version": 1}', "lacks the field 'words'"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [], "speakers": [{"id": "S1", "name": "A"}]}',
         "lacks the field 'color'"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [], '
         b'"speakers": [{"id": "S1", "name": "A", "color": "red; drop"}]}', "colour"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [], "media": {"duration_ms": "long"}}', "whole number"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [], "settings": {"model": ["x"]}}', "not text"),
        (b'{"app": "verbatim", "schema_version": 1, "words": [], "keywords": [1]}', "not text"),
        (b'[' * 100000 + b']' * 100000, "damaged or incomplete|not a Verbatim"),
    ],
)
def test_damaged_or_hostile_content_is_refused(tmp_path: Path, content: bytes, match: str) -> None:
    _write_and_expect_error(tmp_path, content, match)


def test_project_from_dict_refuses_with_project_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="not a Verbatim project"):
        project_from_dict({"__class__": "x"}, tmp_path)
    with pytest.raises(ProjectError, match="invalid"):
        project_from_dict({"app": "verbatim", "schema_version": 1, "words": [{"t": "a", "s": 0}]}, tmp_path)


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectError):
        load_project(tmp_path)


def test_engine_number_types_are_stored_as_plain_json(tmp_path: Path) -> None:
    import numpy as np

    words = [Word("a", np.int64(10), np.int64(20), "S1", np.float32(0.5)), Word("b", 20.4, 30.6, "S1", 1.0000001)]
    target = tmp_path / "p.verbatim"
    save_project(Project(Transcript.from_words(words), None, None, np.int64(30)), target)  # type: ignore[arg-type]
    loaded = load_project(target)
    assert [(w.start_ms, w.end_ms, w.confidence) for w in loaded.transcript.words] == [(10, 20, 0.5), (20, 31, 1.0)]
    assert loaded.media_duration_ms == 30
    with pytest.raises(ProjectError, match="cannot be stored"):
        save_project(Project(Transcript.from_words([Word("x", float("nan"), 1)])), tmp_path / "q.verbatim")
    assert not (tmp_path / "q.verbatim").exists()


def test_saving_while_the_media_is_missing_keeps_its_last_known_place(tmp_path) -> None:
    from app.core.document import Transcript, Word
    from app.core.project import Project, load_project, save_project

    drive = tmp_path / "external"
    drive.mkdir()
    media = drive / "interview.wav"
    media.write_bytes(b"RIFF")
    project = tmp_path / "home" / "p.verbatim"
    project.parent.mkdir()
    save_project(Project(Transcript.from_words([Word("hi", 0, 100)]), media, "sha256:x", 100), project)
    moved = tmp_path / "elsewhere" / "p.verbatim"  # the project moves, and the drive is unplugged
    moved.parent.mkdir()
    project.rename(moved)
    media.rename(tmp_path / "unplugged.wav")
    reopened = load_project(moved)
    assert reopened.media_path == media
    save_project(reopened, moved)
    (tmp_path / "unplugged.wav").rename(media)  # the drive is back
    assert load_project(moved).media_path == media
