"""Inputs are sacred: no writing command or dialog replaces its own recording, project or subtitles.

Each refusal is one sentence, comes before any slow work (no model is looked up, nothing is decoded),
and leaves every file exactly as it was, whether the output names the input itself, a symbolic link to
it or a hard link (the same inode).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtWidgets import QFileDialog, QMessageBox
from ui_window_support import new_window, open_demo

from app.cli import main
from app.core.errors import ImportExportError
from app.core.exporters import export_document
from app.core.project import load_project

SRT_TEXT = ("1\n00:00:00,500 --> 00:00:02,500\nREPORTER: How long?\n\n"
            "2\n00:00:03,000 --> 00:00:06,000\nMAYOR: Since March.\n")


@pytest.fixture()
def files(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> dict[str, Path]:
    rec = tmp_path / "rec.wav"
    t = np.arange(8 * 16_000) / 16_000
    sf.write(rec, (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16_000)
    subs = tmp_path / "subs.srt"
    subs.write_text(SRT_TEXT, encoding="utf-8")
    project = tmp_path / "p.verbatim"
    assert main(["import", str(subs), "--media", str(rec), "-o", str(project)]) == 0
    keywords = tmp_path / "names.txt"
    keywords.write_text("Okafor\n", encoding="utf-8")
    os.symlink(rec, tmp_path / "link-to-rec.wav")
    os.link(rec, tmp_path / "hardlink-to-rec.wav")
    capfd.readouterr()
    return {"rec": rec, "subs": subs, "project": project, "keywords": keywords,
            "symlink": tmp_path / "link-to-rec.wav", "hardlink": tmp_path / "hardlink-to-rec.wav"}


CASES = [
    ("import onto the recording", ["import", "{subs}", "--media", "{rec}", "-o", "{rec}"]),
    ("import onto the source subtitles", ["import", "{subs}", "--media", "{rec}", "-o", "{subs}"]),
    ("import onto a link to the recording", ["import", "{subs}", "--media", "{rec}", "-o", "{symlink}"]),
    ("import onto a hard link to the recording", ["import", "{subs}", "--media", "{rec}", "-o", "{hardlink}"]),
    ("transcribe onto the recording", ["transcribe", "{rec}", "-o", "{rec}", "--model", "nar"]),
    ("transcribe onto a hard link", ["transcribe", "{rec}", "-o", "{hardlink}", "--model", "nar"]),
    ("transcribe onto the keywords file", ["transcribe", "{rec}", "-o", "{keywords}", "--keywords-file",
                                           "{keywords}", "--model", "nar"]),
    ("export onto the project's recording", ["export", "{project}", "--format", "srt", "-o", "{rec}"]),
    ("export onto a link to the recording", ["export", "{project}", "--format", "json", "-o", "{symlink}"]),
    ("export onto the project", ["export", "{project}", "--format", "json", "-o", "{project}"]),
    ("export onto a file of another kind", ["export", "{project}", "--format", "srt", "-o", "{keywords}"]),
    ("align onto the recording", ["align", "{project}", "-o", "{rec}"]),
]


@pytest.mark.parametrize("name,argv", CASES, ids=[c[0] for c in CASES])
def test_every_writing_command_refuses_its_own_inputs(name: str, argv: list[str], files: dict[str, Path],
                                                      capfd: pytest.CaptureFixture[str]) -> None:
    before = {k: p.read_bytes() for k, p in files.items()}
    code = main([a.format(**{k: str(p) for k, p in files.items()}) for a in argv])
    out, err = capfd.readouterr()
    assert code == 1, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("verbatim: ") and "Traceback" not in err, err
    assert "overwrite" in err or "already exists and is not" in err, err
    assert "not downloaded" not in err and "loading" not in err  # refused before any slow work
    assert {k: p.read_bytes() for k, p in files.items()} == before


def test_save_as_onto_the_recording_is_refused_in_the_window(qtbot, tmp_path, monkeypatch) -> None:
    w = new_window(qtbot, tmp_path)
    project = open_demo(qtbot, w, tmp_path)
    wav = project.with_name("demo.wav")
    before = wav.read_bytes()
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: warnings.append(text))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(wav), ""))
    assert w.speakers_panel.rename_speaker("S1", "Still Mine")
    assert not w.save_as()
    assert len(warnings) == 1 and "would overwrite the recording" in warnings[0]
    assert wav.read_bytes() == before and w.isWindowModified()  # the work stays open and unsaved


def test_the_export_dialog_path_refuses_the_recording(tmp_path: Path) -> None:
    from app.ui.app import demo_copy

    project = load_project(demo_copy(tmp_path / "demo"))
    wav = project.media_path
    before = wav.read_bytes()
    for fmt in ("srt", "docx", "txt"):
        with pytest.raises(ImportExportError, match="would overwrite the recording"):
            export_document(fmt, project, wav)
    assert wav.read_bytes() == before
