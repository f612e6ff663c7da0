"""Test media made on the spot: espeak-ng speech turned by ffmpeg into every format Verbatim opens.

Other tests may import these helpers (`from tests.audio_factory import ...` or `from audio_factory import ...`).
Every helper writes one file and returns its path; callers decide where (use session-scoped temp folders,
ffmpeg is the slow part). Helpers skip the calling test when espeak-ng or ffmpeg is missing.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

SPEECH_TEXT = "Hello from the newsroom. [[_::_]] The mayor said the bridge opens in May."

# extension -> ffmpeg audio arguments; a variety of rates and channel counts on purpose
AUDIO_ARGS: dict[str, list[str]] = {
    "wav": ["-c:a", "pcm_s16le", "-ar", "44100", "-ac", "2"],
    "flac": ["-c:a", "flac", "-ar", "48000", "-ac", "1"],
    "ogg": ["-c:a", "libvorbis", "-ar", "44100", "-ac", "2"],
    "opus": ["-c:a", "libopus", "-ac", "1", "-b:a", "64k"],
    "mp3": ["-c:a", "libmp3lame", "-ar", "44100", "-ac", "2", "-b:a", "128k"],
    "m4a": ["-c:a", "aac", "-ar", "44100", "-ac", "2"],
    "mp4": ["-c:a", "aac", "-ar", "48000", "-ac", "2"],
    "mov": ["-c:a", "aac"],  # keeps espeak's 22.05 kHz mono
    "mkv": ["-c:a", "aac", "-ar", "48000", "-ac", "2"],  # Matroska cannot signal AAC priming
    "webm": ["-c:a", "libopus", "-ac", "2"],
}
VIDEO_ARGS: dict[str, list[str]] = {
    "mp4": ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
    "mov": ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
    "mkv": ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
    "webm": ["-c:v", "libvpx", "-deadline", "realtime", "-b:v", "100k"],
}
FORMATS: tuple[str, ...] = tuple(AUDIO_ARGS)
LOSSLESS: frozenset[str] = frozenset({"wav", "flac"})
VIDEO_FORMATS: frozenset[str] = frozenset(VIDEO_ARGS)


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")


def _ffmpeg(*args: str) -> None:
    _need("ffmpeg")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def make_speech_wav(path: Path, text: str = SPEECH_TEXT, voice: str = "en", speed: int = 160) -> Path:
    """espeak-ng speech as a WAV file (22.05 kHz mono, 16 bit)."""
    _need("espeak-ng")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True)
    return path


def wav_duration_s(path: Path) -> float:
    """Exact duration of a WAV file (frames / rate)."""
    import soundfile as sf

    info = sf.info(str(path))
    return info.frames / info.samplerate


def convert(source_wav: Path, dest: Path) -> Path:
    """Encode `source_wav` into `dest`; the extension picks the codecs (see AUDIO_ARGS / VIDEO_ARGS).

    Video formats get a small solid-colour picture exactly as long as the audio.
    """
    ext = dest.suffix.lstrip(".").lower()
    if ext not in AUDIO_ARGS:
        raise ValueError(f"no recipe for .{ext}")
    if ext in VIDEO_ARGS:
        seconds = wav_duration_s(source_wav)
        _ffmpeg(
            "-f", "lavfi", "-i", f"color=c=navy:s=64x64:r=10:d={seconds:.3f}",
            "-i", str(source_wav), *VIDEO_ARGS[ext], *AUDIO_ARGS[ext], str(dest),
        )
    else:
        _ffmpeg("-i", str(source_wav), *AUDIO_ARGS[ext], str(dest))
    return dest


def make_all_formats(source_wav: Path, folder: Path, formats: tuple[str, ...] = FORMATS) -> dict[str, Path]:
    """The same recording in each format: {"mp3": folder/"speech.mp3", ...}."""
    folder.mkdir(parents=True, exist_ok=True)
    return {ext: convert(source_wav, folder / f"speech.{ext}") for ext in formats}


def make_video_without_audio(path: Path, seconds: float = 1.0) -> Path:
    """An H.264 video (mp4/mkv/mov by extension) with no audio stream at all."""
    _ffmpeg("-f", "lavfi", "-i", f"testsrc=s=64x64:r=10:d={seconds}", *VIDEO_ARGS["mp4"], str(path))
    return path


def make_truncated(media: Path, path: Path, keep_fraction: float = 0.5) -> Path:
    """The first `keep_fraction` of `media`'s bytes, as an interrupted copy or download leaves it."""
    data = media.read_bytes()
    path.write_bytes(data[: int(len(data) * keep_fraction)])
    return path


def make_faststart_m4a(source_wav: Path, path: Path) -> Path:
    """AAC in MP4 with the index (moov) first, so a truncated copy still opens and decodes partly."""
    _ffmpeg("-i", str(source_wav), *AUDIO_ARGS["m4a"], "-movflags", "+faststart", str(path))
    return path


def make_with_cover_art(media: Path, path: Path) -> Path:
    """`media` (e.g. an .m4a) with a small picture attached as cover art, which is not a video track."""
    cover = path.with_name(path.stem + "_cover.png")
    _ffmpeg("-f", "lavfi", "-i", "color=c=red:s=32x32", "-frames:v", "1", str(cover))
    _ffmpeg("-i", str(media), "-i", str(cover), "-map", "0:a", "-map", "1", "-c", "copy",
            "-disposition:v:0", "attached_pic", str(path))
    return path


def make_zero_byte(path: Path) -> Path:
    """An empty file."""
    path.write_bytes(b"")
    return path


def make_text_file(path: Path, text: str = "These are my interview notes, not a recording.\n") -> Path:
    """A plain text file, whatever its name says (e.g. notes.mp3)."""
    path.write_text(text * 20, encoding="utf-8")
    return path


def make_unsupported_codec_wav(source_wav: Path, path: Path, format_tag: int = 0x5555) -> Path:
    """A WAV whose `fmt ` chunk names a codec nobody implements (format tag 0x5555)."""
    data = bytearray(source_wav.read_bytes())
    fmt = data.find(b"fmt ")
    if fmt < 0:
        raise ValueError(f"{source_wav} has no fmt chunk")
    data[fmt + 8 : fmt + 10] = struct.pack("<H", format_tag)
    path.write_bytes(bytes(data))
    return path


_SESSION_MEDIA: dict[Path, dict[str, Path]] = {}


def session_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The speech source ("source") and every format made from it, once per test session.

    Call it from a session-scoped fixture in any test module; later calls return the same files.
    """
    base = tmp_path_factory.getbasetemp()
    if base not in _SESSION_MEDIA:
        folder = tmp_path_factory.mktemp("audio_media")
        source = make_speech_wav(folder / "source.wav")
        files = make_all_formats(source, folder)
        files["source"] = source
        _SESSION_MEDIA[base] = files
    return _SESSION_MEDIA[base]
