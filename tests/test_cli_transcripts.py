"""`verbatim import` and `verbatim export` through app.cli.main: real files in, real files out, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import numpy as np
import pytest
import soundfile as sf
import srt
import webvtt

from app.cli import main
from app.core.fingerprint import media_fingerprint
from app.core.project import load_project

SRT_TEXT = (
    "1\n00:00:00,500 --> 00:00:02,500\nREPORTER: How long has the bridge been closed?\n\n"
    "2\n00:00:03,000 --> 00:00:06,000\nMAYOR: Since March. We hope to open it in May.\n"
)


@pytest.fixture()
def media(tmp_path: Path) -> Path:
    """Eight seconds of a quiet tone, as a real WAV file."""
    path = tmp_path / "interview.wav"
    t = np.arange(8 * 16_000) / 16_000
    sf.write(path, (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16_000)
    return path


@pytest.fixture()
def project(tmp_path: Path, media: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    (tmp_path / "in.srt").write_text(SRT_TEXT, encoding="utf-8")
    out = tmp_path / "p.json"
    assert main(["import", str(tmp_path / "in.srt"), "--media", str(media), "-o", str(out)]) == 0
    capsys.readouterr()
    return out


def test_import_makes_a_project_bound_to_the_media(project: Path, media: Path) -> None:
    p = load_project(project)
    assert p.media_path is not None and p.media_path.resolve() == media.resolve()
    assert p.media_fingerprint == media_fingerprint(media)
    assert p.media_duration_ms == 8_000
    assert [s.name for s in p.transcript.speakers] == ["REPORTER", "MAYOR"]
    assert p.transcript.text().startswith("How long has the bridge")


def test_import_warns_when_the_transcript_outlasts_the_recording(
    tmp_path: Path, media: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "long.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:20.000\nToo long.\n", encoding="utf-8")
    rc = main(["import", str(tmp_path / "long.vtt"), "--media", str(media), "-o", str(tmp_path / "l.json")])
    err = capsys.readouterr().err
    assert rc == 0 and "warning" in err and "00:00:20.000" in err and "past the end" in err
    assert load_project(tmp_path / "l.json").transcript.duration_ms == 20_000


def test_export_every_format(project: Path, tmp_path: Path) -> None:
    outs = {fmt: tmp_path / f"out.{fmt}" for fmt in ("srt", "vtt", "docx", "txt", "json")}
    for fmt, out in outs.items():
        assert main(["export", str(project), "--format", fmt, "-o", str(out)]) == 0
    subs = list(srt.parse(outs["srt"].read_text(encoding="utf-8")))
    assert subs[0].content.startswith("REPORTER: How long") and subs[-1].end.total_seconds() == 6.0
    assert [c.voice for c in webvtt.read(str(outs["vtt"]))] == ["REPORTER", "MAYOR"]
    d = docx.Document(str(outs["docx"]))
    assert d.paragraphs[0].text == "interview.wav" and d.paragraphs[0].style.name == "Title"
    assert "0:00:08" in d.paragraphs[1].text
    assert outs["txt"].read_text(encoding="utf-8").startswith("REPORTER: How long")
    data = json.loads(outs["json"].read_text(encoding="utf-8"))
    assert data["media"] == {"name": "interview.wav", "duration_ms": 8_000} and len(data["segments"]) == 2


def test_export_options(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.docx"
    argv = ["export", str(project), "--format", "docx", "-o", str(out)]
    argv += ["--timestamps", "--no-speakers", "--title", "Bridge"]
    assert main(argv) == 0
    paras = docx.Document(str(out)).paragraphs
    assert paras[0].text == "Bridge"
    assert [p.text for p in paras[2:]] == [
        "[00:00:00] How long has the bridge been closed?",
        "[00:00:03] Since March. We hope to open it in May.",
    ]


@pytest.mark.parametrize(
    "argv_tail",
    [
        ["import", "{tmp}/missing.srt", "--media", "{media}", "-o", "{tmp}/x.json"],
        ["import", "{tmp}/in.srt", "--media", "{tmp}/missing.wav", "-o", "{tmp}/x.json"],
        ["import", "{tmp}/in.srt", "--media", "{tmp}/in.srt", "-o", "{tmp}/x.json"],  # not media
        ["import", "{tmp}/in.srt", "--media", "{media}", "-o", "{tmp}/no/such/dir/x.json"],
        ["export", "{tmp}/missing.json", "--format", "srt", "-o", "{tmp}/x.srt"],
        ["export", "{tmp}/in.srt", "--format", "srt", "-o", "{tmp}/x.srt"],  # not a project
        ["export", "{project}", "--format", "txt", "-o", "{tmp}/no/such/dir/x.txt"],
    ],
)
def test_errors_are_one_line_and_exit_1(
    argv_tail: list[str], project: Path, media: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a.format(tmp=tmp_path, media=media, project=project) for a in argv_tail]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("verbatim: ") and err.count("\n") == 1 and "unexpected error" not in err
    assert not (tmp_path / "x.json").exists()


def test_export_refuses_to_overwrite_the_project_itself(tmp_path, capsys) -> None:
    import shutil
    from pathlib import Path

    from app.cli import main

    demo = Path(__file__).parents[1] / "resources" / "demo"
    for name in ("demo.verbatim", "demo.wav"):
        shutil.copy(demo / name, tmp_path / name)
    before = (tmp_path / "demo.verbatim").read_bytes()
    project = str(tmp_path / "demo.verbatim")
    assert main(["export", project, "--format", "json", "-o", project]) == 1
    assert "overwrite the project" in capsys.readouterr().err
    assert (tmp_path / "demo.verbatim").read_bytes() == before
