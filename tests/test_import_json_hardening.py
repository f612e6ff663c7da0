"""A transcript that imports must also save, load and export: the import is as strict as a project file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.core.importers import import_transcript
from app.core.project import Project, load_project, save_project


def _export_json(path: Path, speakers: list, settings: dict, text: str = "Hello there.") -> Path:
    data = {
        "format": "verbatim-transcript", "version": 1, "speakers": speakers, "settings": settings,
        "segments": [{"speaker": "S1", "words": [{"text": text, "start_ms": 0, "end_ms": 500, "speaker": "S1"}]}],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_odd_colours_become_palette_colours_and_the_project_reloads(tmp_path: Path) -> None:
    src = _export_json(tmp_path / "t.json", [{"id": "S1", "name": "Ann", "color": "red"}], {"model": "2b"})
    doc = import_transcript(src)
    assert doc.speakers[0].color.startswith("#") and doc.speakers[0].name == "Ann"
    save_project(Project(doc, None, None, None, None), tmp_path / "p.verbatim")
    assert load_project(tmp_path / "p.verbatim").transcript.speaker_name("S1") == "Ann"


@pytest.mark.parametrize(
    ("speakers", "settings", "words"),
    [
        ([{"id": "", "name": "Ann"}], {}, "empty id"),
        ([{"id": "S1"}], {"model": 5}, "settings.model is not text"),
    ],
)
def test_fields_a_project_could_not_hold_are_refused_at_import(tmp_path: Path, speakers, settings, words) -> None:
    from app.core.errors import ImportExportError

    with pytest.raises(ImportExportError, match=words):
        import_transcript(_export_json(tmp_path / "t.json", speakers, settings))


def test_a_lone_surrogate_is_replaced_so_the_transcript_can_still_be_saved(tmp_path: Path, capsys) -> None:
    raw = _export_json(tmp_path / "t.json", [{"id": "S1"}], {}).read_text(encoding="utf-8")
    (tmp_path / "t.json").write_text(raw.replace("Hello there.", "Hello \\ud83d there."), encoding="utf-8")
    doc = import_transcript(tmp_path / "t.json")
    assert doc.words[0].text == "Hello \ufffd there."
    project = tmp_path / "p.verbatim"
    save_project(Project(doc, None, None, None, None), project)
    # the same in a project file written by hand: it opens, saves and exports
    text = project.read_text(encoding="utf-8").replace("\ufffd", "\\ud83d")
    project.write_text(text, encoding="utf-8")
    assert main(["export", str(project), "--format", "txt", "-o", str(tmp_path / "o.txt")]) == 0
    assert "Hello \ufffd there." in (tmp_path / "o.txt").read_text(encoding="utf-8")


def test_transcribe_refuses_an_output_that_is_a_folder_before_any_work(tmp_path: Path, capsys) -> None:
    media = Path(__file__).parents[1] / "resources" / "demo" / "demo.wav"
    assert main(["transcribe", str(media), "-o", str(tmp_path), "--model", "nar"]) == 1
    err = capsys.readouterr().err.strip()
    assert "is a folder" in err and "\n" not in err
