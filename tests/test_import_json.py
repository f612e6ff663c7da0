"""Verbatim JSON import: our export format and project files; broken JSON gives one clear sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.document import Speaker, Transcript, Word
from app.core.errors import ImportExportError, ProjectError
from app.core.exporters import export_json
from app.core.importers import import_transcript
from app.core.project import Project, save_project


def _doc() -> Transcript:
    words = [Word("Hello", 0, 300, "A"), Word("there.", 300, 700, "A"), Word("Hi!", 900, 1_200, "B", 0.4)]
    return Transcript.from_words(words, [Speaker("A", "Ana", "#123456"), Speaker("B", "Ben", "#654321")])


def test_project_file_imports_as_its_transcript(tmp_path: Path) -> None:
    save_project(Project(_doc(), tmp_path / "x.wav", "sha256:1", 2_000), tmp_path / "p.verbatim")
    back = import_transcript(tmp_path / "p.verbatim")
    assert list(back.words) == list(_doc().words) and back.speakers == _doc().speakers


def test_broken_project_file_raises_project_error(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(json.dumps({"app": "verbatim", "schema_version": 99, "words": []}))
    with pytest.raises(ProjectError, match="newer"):
        import_transcript(tmp_path / "p.json")


def _exported(tmp_path: Path) -> dict:
    return json.loads(export_json(_doc(), tmp_path / "t.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        (lambda d: d.update(version=7), "newer Verbatim"),
        (lambda d: d["segments"][0]["words"][0].update(start_ms="zero"), "start_ms"),
        (lambda d: d["segments"][0]["words"][0].update(end_ms=-5), "end_ms"),
        (lambda d: d["segments"][0]["words"][1].pop("text"), "no text"),
        (lambda d: d["segments"][1]["words"][0].update(source="guessed"), "not a valid Verbatim transcript"),
        (lambda d: d["speakers"][0].pop("id"), "not a valid Verbatim transcript"),
    ],
)
def test_damaged_export_is_refused(tmp_path: Path, change, phrase: str) -> None:
    data = _exported(tmp_path)
    change(data)
    (tmp_path / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ImportExportError, match=phrase):
        import_transcript(tmp_path / "bad.json")


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        ('{"format": "verbatim-transcript", "segments": [', "not valid JSON (line 1"),
        ('[1, 2, 3]', "neither a Verbatim transcript nor a Verbatim project"),
        ('{"events": []}', "neither a Verbatim transcript nor a Verbatim project"),
    ],
)
def test_other_json_is_refused(tmp_path: Path, content: str, phrase: str) -> None:
    (tmp_path / "x.json").write_text(content, encoding="utf-8")
    with pytest.raises(ImportExportError) as info:
        import_transcript(tmp_path / "x.json")
    assert phrase in str(info.value)
