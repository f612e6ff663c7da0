"""`verbatim align` end to end: a real project file, a real WAV, the tiny NAR model with a tiny tokenizer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_nar_tokenizer import FIXTURE, install_tiny_tokenizer

from app.asr.align.realign import interpolated_runs, retime_runs
from app.cli import main
from app.core.document import TimingSource, Transcript, Word
from app.core.errors import ModelError
from app.core.project import Project, load_project, save_project

M, INTERP = TimingSource.MODEL, TimingSource.INTERPOLATED
TEXTS = "the mayor said the bridge opens in may and the city will open a station".split()


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("cli_align")
    model = install_tiny_tokenizer(root / "model")
    silence = np.zeros(4000, np.float32)
    waves = [sf.read(FIXTURE / f"input_{i}.wav", dtype="float32")[0] for i in range(3)]
    audio = np.concatenate([silence, waves[0], silence, waves[2], silence, waves[1], silence])
    sf.write(root / "interview.wav", audio, 16000, subtype="PCM_16")
    # words 0-3 and 11-14 keep model times; 4-10 were typed by hand (interpolated)
    words = []
    for k, text in enumerate(TEXTS):
        start = 300 + k * 700
        words.append(Word(text, start, start + 500, "S1", None, INTERP if 4 <= k <= 10 else M))
    project = Project(Transcript.from_words(words), media_path=root / "interview.wav")
    save_project(project, root / "interview.verbatim")
    return root, model, root / "interview.verbatim"


def test_align_retimes_only_interpolated_words(setup, capsys: pytest.CaptureFixture[str]) -> None:
    root, model, proj = setup
    before = proj.read_bytes()
    out = root / "aligned.verbatim"
    assert main(["align", str(proj), "--model", str(model), "--device", "cpu", "-o", str(out)]) == 0
    assert "Aligned 7 words" in capsys.readouterr().out
    assert proj.read_bytes() == before  # -o leaves the original alone
    old = list(load_project(proj).transcript.words)
    new = list(load_project(out).transcript.words)
    assert [w.text for w in new] == TEXTS
    for k, (a, b) in enumerate(zip(old, new)):
        if 4 <= k <= 10:
            assert b.source == TimingSource.ALIGNED
        else:
            assert b == a
    for a, b in zip(new, new[1:]):
        assert a.start_ms <= a.end_ms <= b.start_ms
    assert new[3].end_ms <= new[4].start_ms and new[10].end_ms <= new[11].start_ms
    assert any((a.start_ms, a.end_ms) != (b.start_ms, b.end_ms) for a, b in zip(old[4:11], new[4:11]))


def test_range_outside_the_typed_words_changes_nothing(setup, capsys: pytest.CaptureFixture[str]) -> None:
    root, model, proj = setup
    out = root / "ranged.verbatim"
    assert main(["align", str(proj), "--range", "0", "2000", "--model", str(model), "-o", str(out)]) == 0
    assert "No interpolated words" in capsys.readouterr().out
    assert list(load_project(out).transcript.words) == list(load_project(proj).transcript.words)


def test_in_place_and_errors(setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, model, proj = setup
    copy = tmp_path / "copy.verbatim"
    project = load_project(proj)
    project.media_path = root / "interview.wav"
    save_project(project, copy)
    assert main(["align", str(copy), "--range", "3000", "6000", "--model", str(model)]) == 0
    words = list(load_project(copy).transcript.words)
    assert [w.source for w in words[4:9]] == [TimingSource.ALIGNED] * 5  # starts 3100..5900 ms
    assert words[9].source == INTERP
    assert main(["align", str(tmp_path / "missing.verbatim"), "--model", str(model)]) == 1
    assert main(["align", str(proj), "--model", str(tmp_path / "nowhere")]) == 1
    assert capsys.readouterr().err.count("verbatim:") == 2


def test_runs_that_cannot_fit_keep_their_times() -> None:
    words = [
        Word("a", 0, 100),
        Word("b", 100, 200, source=INTERP),
        Word("c", 200, 300, source=INTERP),
        Word("d", 300, 400),
    ]
    assert interpolated_runs(words) == [(1, 3)]
    assert interpolated_runs(words, 150, 400) == [(2, 3)]

    def refuse(audio: np.ndarray, texts: list[str], offset: int) -> list[Word]:
        raise ModelError("The text is too long for its audio.")

    new, report = retime_runs(words, np.zeros(16000, np.float32), refuse)
    assert new == words and report.aligned == 0 and len(report.failed) == 1
