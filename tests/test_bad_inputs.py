"""The bad-input matrix: every bad recording, project and subtitle file, fed to the CLI and to the window.

Each must give one clear sentence (no traceback, no "unexpected error", no C library noise on the
terminal), leave the file untouched, and in the window keep the project that was open. FIFOs must never
hang: they are refused by type before anything opens them.
"""

from __future__ import annotations

import json
import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtWidgets import QMessageBox
from ui_window_support import new_window, open_demo

from app.cli import main
from app.ui import window_dialogs

GOOD_SRT = "1\n00:00:00,500 --> 00:00:02,500\nHow long?\n\n2\n00:00:03,000 --> 00:00:06,000\nSince March.\n"
_PROJECT = {
    "app": "verbatim", "schema_version": 1,
    "media": {"path": "good.wav", "absolute_path": None, "fingerprint": None, "duration_ms": 8000},
    "speakers": [{"id": "S1", "name": "Ana", "color": "#112233"}],
    "words": [{"t": "Hello", "s": 0, "e": 400, "spk": "S1"}, {"t": "there", "s": 400, "e": 900, "spk": "S1"}],
}


def _project_text(**change: object) -> str:
    return json.dumps(dict(_PROJECT, **change))


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _socket(path: Path) -> Path:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.close()
    return path


def _text(content: str | bytes) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return make


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _dangling(path: Path) -> Path:
    os.symlink(path.with_name("gone-away"), path)
    return path


def _device(path: Path) -> Path:
    os.symlink("/dev/zero", path)  # reading it would never end
    return path


def _unreadable(path: Path) -> Path:
    path.write_bytes(b"RIFF" + bytes(100))
    path.chmod(0)
    return path


MEDIA = {
    "folder named x.wav": ("x.wav", _folder),
    "FIFO named x.wav": ("x.wav", _fifo),
    "socket named x.wav": ("x.wav", _socket),
    "link to /dev/zero named x.wav": ("x.wav", _device),
    "dangling link x.wav": ("x.wav", _dangling),
    "unreadable x.wav": ("x.wav", _unreadable),
    "empty x.wav": ("x.wav", _text(b"")),
    "text named x.mp3": ("x.mp3", _text("These are my notes, not a recording.\n" * 40)),
    "random bytes x.wav": ("x.wav", _text(bytes(range(256)) * 20)),
    "half a WAV header": ("x.wav", _text(b"RIFF\x24\x00\x00\x00WAVEfmt ")),
}
PROJECTS = {
    "folder named x.verbatim": ("x.verbatim", _folder),
    "FIFO named x.verbatim": ("x.verbatim", _fifo),
    "empty project": ("x.verbatim", _text("")),
    "truncated JSON": ("x.verbatim", _text(_project_text()[:60])),
    "5000-digit integer": ("x.verbatim", _text(_project_text().replace('"s": 400', '"s": ' + "4" * 5000))),
    "JSON nested 100k deep": ("x.verbatim",
                              _text('{"app": "verbatim", "words": ' + "[" * 100_000 + "]" * 100_000 + "}")),
    "time of 10^30 ms": ("x.verbatim", _text(_project_text().replace('"e": 900', '"e": ' + str(10**30)))),
    "reversed word times": ("x.verbatim", _text(_project_text().replace('"e": 900', '"e": 100'))),
    "overlapping, out-of-order words": ("x.verbatim", _text(_project_text().replace(
        '"s": 400, "e": 900', '"s": 100, "e": 900').replace('"s": 0, "e": 400', '"s": 300, "e": 400'))),
    "a newer schema": ("x.verbatim", _text(_project_text(schema_version=99))),
    "binary project": ("x.verbatim", _text(bytes(range(256)))),
}
SUBTITLES = {
    "folder named x.srt": ("x.srt", _folder),
    "FIFO named x.srt": ("x.srt", _fifo),
    "binary x.srt": ("x.srt", _text(bytes(range(256)) * 4)),
    "5000-digit hours in an SRT": ("x.srt", _text("1\n" + "9" * 5000 + ":00:00,000 --> 00:00:01,000\nHi\n")),
    "time of 10^30 in a WebVTT": ("x.vtt", _text("WEBVTT\n\n" + "9" * 31 + ":00.000 --> 00:01.000\nHi\n")),
    "reversed SRT cue": ("x.srt", _text("1\n00:00:05,000 --> 00:00:01,000\nHi\n")),
    "SRT ten hours past the recording": ("x.srt", _text("1\n10:00:00,000 --> 10:00:01,000\nHi\n")),
    "JSON nested 100k deep": ("x.json", _text("[" * 100_000 + "]" * 100_000)),
    "5000-digit integer in JSON": ("x.json", _text('{"format": "verbatim-transcript", "segments": [{"words": '
                                                   '[{"text": "a", "start_ms": ' + "1" * 5000 + ', "end_ms": 1}]}]}')),
    "empty SRT": ("x.srt", _text("\n\n")),
}
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0  # root reads any file: "unreadable" cannot be made


def _make(tmp_path: Path, spec: tuple[str, Callable[[Path], Path]]) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir(exist_ok=True)
    return spec[1](folder / spec[0])


def _snapshot(path: Path) -> tuple[int, int, bytes | None]:
    st = os.lstat(path)
    regular = stat.S_ISREG(st.st_mode) and not path.is_symlink()
    return st.st_mode, st.st_mtime_ns, path.read_bytes() if regular and st.st_mode & 0o444 else None


@pytest.fixture()
def good(tmp_path: Path) -> dict[str, Path]:
    wav = tmp_path / "good.wav"
    t = np.arange(8 * 16_000) / 16_000
    sf.write(wav, (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16_000)
    srt = tmp_path / "good.srt"
    srt.write_text(GOOD_SRT, encoding="utf-8")
    return {"wav": wav, "srt": srt, "out": tmp_path / "out.verbatim", "out_srt": tmp_path / "out.srt"}


def _skip_unreadable_as_root(name: str) -> None:
    if ROOT and "unreadable" in name:
        pytest.skip("root can read any file")


def _cli_one_sentence(argv: list[str], capfd: pytest.CaptureFixture[str]) -> str:
    code = main(argv)
    out, err = capfd.readouterr()
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1, (argv, out, err)
    line = lines[0]
    assert line.startswith("verbatim: ") and "Traceback" not in err and "unexpected error" not in line, line
    assert line.rstrip().endswith((".", ")")) and len(line) < 300, line
    return line


def _cli_commands(kind: str, bad: Path, good: dict[str, Path]) -> list[list[str]]:
    if kind == "media":
        return [["info", str(bad)], ["import", str(good["srt"]), "--media", str(bad), "-o", str(good["out"])],
                ["transcribe", str(bad), "-o", str(good["out"]), "--model", "nar"]]
    if kind == "project":
        return [["export", str(bad), "--format", "srt", "-o", str(good["out_srt"])], ["align", str(bad)]]
    return [["import", str(bad), "--media", str(good["wav"]), "-o", str(good["out"])]]


MATRIX = [("media", n, s) for n, s in MEDIA.items()] + [("project", n, s) for n, s in PROJECTS.items()] + [
    ("subtitles", n, s) for n, s in SUBTITLES.items()]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind,name,spec", MATRIX, ids=[f"{k}: {n}" for k, n, _ in MATRIX])
def test_the_cli_says_one_sentence_and_touches_nothing(kind, name, spec, tmp_path, good, capfd) -> None:
    _skip_unreadable_as_root(name)
    bad = _make(tmp_path, spec)
    before = _snapshot(bad)
    for argv in _cli_commands(kind, bad, good):
        _cli_one_sentence(argv, capfd)
        assert not good["out"].exists() and not good["out_srt"].exists()
    assert _snapshot(bad) == before


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind,name,spec", MATRIX, ids=[f"{k}: {n}" for k, n, _ in MATRIX])
def test_the_window_says_one_sentence_and_keeps_the_open_work(kind, name, spec, qtbot, tmp_path, monkeypatch) -> None:
    _skip_unreadable_as_root(name)
    w = new_window(qtbot, tmp_path)
    project = open_demo(qtbot, w, tmp_path)
    assert w.speakers_panel.rename_speaker("S1", "Unsaved Edit")
    bad = _make(tmp_path, spec)
    before = _snapshot(bad)
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: warnings.append(text))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    if kind == "subtitles":
        window_dialogs.import_transcript(w, bad)
    else:
        assert not w.files.open_path(bad)  # what File > Open, the recent list and a dropped file call
    qtbot.wait(50)
    assert len(warnings) == 1, warnings
    text = warnings[0]
    assert "\n" not in text and "Traceback" not in text and "unexpected error" not in text, text
    assert len(text) < 300, text
    assert _snapshot(bad) == before
    assert w.project.path == project.resolve()
    assert w.project.transcript.speaker_name("S1") == "Unsaved Edit" and w.isWindowModified()
