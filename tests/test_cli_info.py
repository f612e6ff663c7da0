"""`verbatim info`: text and JSON output, and exit code 1 with one line for a bad file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from audio_factory import make_text_file, session_media

from app.audio.decode import probe
from app.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return session_media(tmp_path_factory)


def test_text_output_for_a_video(media: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(media["mp4"])]) == 0
    out = capsys.readouterr().out.splitlines()
    facts = dict(line.split(": ", 1) for line in out)
    info = probe(media["mp4"])
    assert facts["duration"] == f"{info.duration_s:.3f} s" and abs(info.duration_s - 4.11) < 0.05
    assert facts["sample rate"] == "48000 Hz" and facts["channels"] == "2" and facts["codec"] == "aac"
    assert facts["video"] == "yes"


def test_text_output_for_audio_has_no_video_line(media: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(media["flac"])]) == 0
    out = capsys.readouterr().out
    assert "codec: flac" in out and "sample rate: 48000 Hz" in out and "video" not in out


def test_json_output(media: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--json", str(media["mkv"])]) == 0
    data = json.loads(capsys.readouterr().out)
    info = probe(media["mkv"])
    assert data == {
        "path": str(media["mkv"]), "duration_s": round(info.duration_s, 3), "sample_rate": 48000,
        "channels": 2, "codec": "aac", "has_video": True,
    }


def test_bad_file_exits_1_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = make_text_file(tmp_path / "notes.mp3")
    assert main(["info", str(notes)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "verbatim: notes.mp3 is not an audio or video file.\n"
    assert main(["info", str(tmp_path / "missing.wav")]) == 1
    assert "does not exist." in capsys.readouterr().err


def test_as_a_real_process(media: dict[str, Path], tmp_path: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "app.cli", "info", "--json", str(media["opus"])],
                        cwd=REPO, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["codec"] == "opus"
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    bad = subprocess.run([sys.executable, "-m", "app.cli", "info", str(empty)],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr == "verbatim: empty.wav is empty (0 bytes).\n"


def test_info_says_how_much_a_cut_recording_holds(media: dict[str, Path], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from audio_factory import make_truncated

    cut = make_truncated(media["wav"], tmp_path / "cut.wav", keep_fraction=0.5)
    assert main(["info", str(cut)]) == 0
    out = capsys.readouterr().out
    assert "cut short: holds 0:02 of the 0:04 its header promises" in out
    assert main(["info", "--json", str(cut)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["truncated"] is True and 1.9 < data["held_s"] < 2.2


def test_no_c_library_prints_on_the_terminal_for_a_text_file_named_mp3(tmp_path: Path) -> None:
    fake = tmp_path / "text.mp3"
    fake.write_text("this is a note, not a recording\n" * 60)
    result = subprocess.run([sys.executable, "-m", "app.cli", "info", str(fake)], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stdout == "" and result.stderr.strip().splitlines() == [
        "verbatim: text.mp3 is not an audio or video file."]
