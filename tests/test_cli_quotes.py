"""`verbatim quote`, `verbatim clip` and `verbatim export --only highlights` through app.cli.main."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import av
import docx
import pytest
import srt

from app.cli import main
from app.core.edits import History
from app.core.highlight_edits import AddHighlight
from app.core.project import load_project, save_project

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo"
QUOTE = "\u201cWe found microplastics at every site,\u201d said Dr. Amal Osei. [00:06]"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("demo.verbatim", "demo.wav"):
        shutil.copy(DEMO / name, tmp_path / name)
    return tmp_path / "demo.verbatim"


@pytest.mark.parametrize(("start", "end"), [("0:06", "0:09.4"), ("6000", "9400"), ("0:00:06.5", "0:00:09.40")])
def test_quote_prints_the_words_of_the_range(project: Path, capsys, start: str, end: str) -> None:
    assert main(["quote", str(project), "--from", start, "--to", end]) == 0
    assert capsys.readouterr().out == QUOTE + "\n"


def test_quote_with_two_speakers_and_a_style(project: Path, capsys) -> None:
    assert main(["quote", str(project), "--from", "0:12", "--to", "0:15", "--style", "{speaker}: {text}"]) == 0
    assert capsys.readouterr().out == "Dr. Amal Osei: four times higher.\nInterviewer: Four times higher.\n"


def test_quote_uses_the_saved_house_style(project: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    from app.core.quote_settings import save_quote_style
    from app.core.quotes import QuoteStyle

    monkeypatch.setenv("VERBATIM_CONFIG_DIR", str(tmp_path / "config"))
    save_quote_style(QuoteStyle("{speaker} said: \u201c{text}\u201d ({time})"))
    assert main(["quote", str(project), "--from", "0:06", "--to", "0:09.4"]) == 0
    assert capsys.readouterr().out == "Dr. Amal Osei said: \u201cWe found microplastics at every site.\u201d (00:06)\n"


@pytest.mark.parametrize(("argv", "message"), [
    (["--from", "0:09", "--to", "0:06"], "reversed"),
    (["--from", "0:06", "--to", "5:00"], "ends after the recording ends (0:29.6)"),
    (["--from", "0:06", "--to", "1:7"], "is not a time"),
    (["--from", "0:06.3", "--to", "0:06.6"], "No words are spoken"),
    (["--from", "0:06", "--to", "0:09", "--style", "{who}"], "{who}"),
])
def test_bad_ranges_are_one_line(project: Path, capsys, argv: list[str], message: str) -> None:
    assert main(["quote", str(project), *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("verbatim: ") and err.count("\n") == 1 and message in err


def test_clip_writes_the_range_of_the_recording(project: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "quote.m4a"
    assert main(["clip", str(project), "--from", "0:06.7", "--to", "0:09.4", "-o", str(out), "--pad-after", "200"]) == 0
    assert capsys.readouterr().out.startswith(f"{out}: 2.90 s, 16000 Hz, 1 channel(s), aac")
    with av.open(str(out)) as c:
        stream = c.streams.audio[0]
        declared = float(stream.duration * stream.time_base)
        samples = sum(f.samples for f in c.decode(stream))
        assert c.metadata["title"] == QUOTE and c.metadata["artist"] == "Dr. Amal Osei"
        assert stream.codec_context.sample_rate == 16_000
    assert abs(declared - 2.9) <= 0.02  # what a player plays: the M4A's edit list cuts AAC's padding
    assert 0 <= samples - 46_400 < 1024  # FFmpeg decodes the last AAC frame whole (at most one frame more)


def test_clip_never_writes_over_its_inputs(project: Path, capsys) -> None:
    recording = project.parent / "demo.wav"
    before = recording.read_bytes(), project.read_bytes()
    assert main(["clip", str(project), "--from", "0:06", "--to", "0:09", "-o", str(recording)]) == 1
    assert "overwrite demo.wav" in capsys.readouterr().err
    renamed = project.parent / "demo.wav.verbatim.wav"  # a project file that happens to end in .wav
    shutil.copy(project, renamed)
    assert main(["clip", str(renamed), "--from", "0:06", "--to", "0:09", "-o", str(renamed)]) == 1
    assert "overwrite demo.wav.verbatim.wav" in capsys.readouterr().err
    assert (recording.read_bytes(), project.read_bytes()) == before


def test_export_only_highlights(project: Path, tmp_path: Path, capsys) -> None:
    p = load_project(project)
    doc = p.transcript
    we = next(k for k, w in enumerate(doc.words) if w.text == "We")
    History(doc).push(AddHighlight(we, we + 6, "quote", "lede"))
    save_project(p, project)
    assert json.loads(project.read_text(encoding="utf-8"))["highlights"]["items"][0]["note"] == "lede"
    only = ["--only", "highlights"]
    assert main(["export", str(project), "--format", "docx", *only, "-o", str(tmp_path / "h.docx")]) == 0
    assert "1 highlights" in capsys.readouterr().out
    texts = [para.text for para in docx.Document(str(tmp_path / "h.docx")).paragraphs]
    assert QUOTE in texts and "Note: lede" in texts
    assert main(["export", str(project), "--format", "csv", "--only", "highlights", "-o", str(tmp_path / "h.csv")]) == 0
    with open(tmp_path / "h.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["speaker"], r["label"], r["note"], r["text"]) for r in rows] == [
        ("Dr. Amal Osei", "Quote", "lede", "We found microplastics at every site.")]
    assert main(["export", str(project), "--format", "csv", "-o", str(tmp_path / "all.csv")]) == 1
    assert "--only highlights" in capsys.readouterr().err


def test_export_a_range_as_subtitles_timed_from_its_start(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "clip.srt"
    assert main(["export", str(project), "--format", "srt", "--from", "0:06.7", "--to", "0:09.4", "-o", str(out)]) == 0
    subs = list(srt.parse(out.read_text(encoding="utf-8")))
    text = " ".join(s.content for s in subs).replace("\n", " ")
    assert text == "Dr. Amal Osei: We found microplastics at every site."
    assert subs[0].start.total_seconds() == pytest.approx(0.055)
    assert subs[-1].end.total_seconds() == pytest.approx(2.649)
