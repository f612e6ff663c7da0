"""Clips decoded back with PyAV: duration, sample rate, channels, metadata and correlation with the source range."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from app.audio.clips import write_clip
from app.core.errors import ImportExportError

START_MS, END_MS = 3250, 5750


def _signal(rate: int, seconds: float) -> np.ndarray:
    """Two different, slowly changing mixes of tones (frames x 2): no two stretches alike."""
    t = np.arange(int(rate * seconds)) / rate
    left = 0.3 * np.sin(2 * np.pi * (220 + 40 * t) * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.7 * t))
    right = 0.25 * np.sin(2 * np.pi * 330 * t + 3 * np.sin(2 * np.pi * 1.3 * t)) + 0.1 * np.sin(2 * np.pi * 1250 * t)
    return np.stack([left, right], axis=1).astype(np.float32)


def _decode(path: Path) -> tuple[np.ndarray, int, dict[str, str], str]:
    """(channels x samples float32, rate, container metadata, codec) of a written clip."""
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        rate, codec = stream.codec_context.sample_rate, stream.codec_context.name
        resampler = av.AudioResampler(format="fltp", layout=stream.codec_context.layout.name, rate=rate)
        parts = [f.to_ndarray() for frame in c.decode(stream) for f in resampler.resample(frame)]
        parts += [f.to_ndarray() for f in resampler.resample(None)]
        return np.concatenate(parts, axis=1), rate, dict(c.metadata), codec


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, np.ndarray, int]]:
    folder = tmp_path_factory.mktemp("clips")
    out = {}
    for name, rate, subtype in (("interview.wav", 44_100, "PCM_16"), ("interview.flac", 48_000, "PCM_24")):
        x = _signal(rate, 9.0)
        sf.write(folder / name, x, rate, subtype=subtype)
        data, _ = sf.read(folder / name, dtype="float32", always_2d=True)
        out[name] = (folder / name, data, rate)
    return out


@pytest.mark.parametrize(("source", "ext", "codec", "min_corr"), [
    ("interview.wav", ".wav", "pcm_s16le", 0.999),
    ("interview.wav", ".flac", "flac", 0.999),
    ("interview.flac", ".wav", "pcm_s24le", 0.999),
    ("interview.wav", ".mp3", "mp3", 0.99),
    ("interview.flac", ".m4a", "aac", 0.99),
])
def test_a_clip_is_the_source_range_at_its_own_rate(sources, tmp_path: Path, source: str, ext: str, codec: str,
                                                   min_corr: float) -> None:
    media, data, rate = sources[source]
    quote = "\u201cWe found microplastics at every site,\u201d said Dr. Amal Osei. [00:06]"
    info = write_clip(media, tmp_path / f"clip{ext}", START_MS, END_MS, title=quote, artist="Dr. Amal Osei")
    y, clip_rate, meta, clip_codec = _decode(info.path)
    assert clip_rate == rate and y.shape[0] == 2 and info.channels == 2
    assert clip_codec.startswith(codec)
    with av.open(str(info.path)) as c:
        stream = c.streams.audio[0]
        declared_ms = float(stream.duration * stream.time_base) * 1000 if stream.duration else y.shape[1] / rate * 1000
    assert abs(declared_ms - (END_MS - START_MS)) <= 20
    # FFmpeg decodes AAC's last frame whole (the M4A edit list, which players honour, cuts it): one frame at most
    assert 0 <= y.shape[1] - (END_MS - START_MS) * rate // 1000 <= (1024 if ext == ".m4a" else rate // 50)
    assert meta.get("title") == quote and meta.get("artist") == "Dr. Amal Osei"
    ref = data[START_MS * rate // 1000 : START_MS * rate // 1000 + y.shape[1]].T
    inner = slice(rate // 50, y.shape[1] - rate // 50)  # past the fades
    for ch in range(2):
        assert np.corrcoef(ref[ch, inner], y[ch, inner])[0, 1] > min_corr
    # a neighbouring stretch of the recording does not match: the clip is this range
    other = data[(START_MS + 1500) * rate // 1000 :][: y.shape[1]].T
    assert np.corrcoef(other[0, inner], y[0, inner])[0, 1] < 0.5


def test_fades_and_padding(sources, tmp_path: Path) -> None:
    media, data, rate = sources["interview.wav"]
    info = write_clip(media, tmp_path / "pad.wav", START_MS, END_MS, pad_before_ms=250, pad_after_ms=500, fade_ms=15)
    y, _, _, _ = _decode(info.path)
    assert (info.start_ms, info.end_ms) == (START_MS - 250, END_MS + 500)
    assert abs(y.shape[1] / rate * 1000 - (END_MS - START_MS + 750)) <= 20
    fade = int(rate * 0.015)
    assert abs(y[0, 0]) < 1e-3 and abs(y[0, -1]) < 1e-3  # it starts and ends in silence: no click
    src = data[(START_MS - 250) * rate // 1000 :][: y.shape[1]].T
    assert np.allclose(y[:, fade + 10 : fade + 500], src[:, fade + 10 : fade + 500], atol=1e-3)  # untouched after
    start = write_clip(media, tmp_path / "start.wav", 100, 1000, pad_before_ms=500)  # padding stops at 0
    assert start.start_ms == 0


def test_a_clip_never_overwrites_its_recording_or_project(sources, tmp_path: Path) -> None:
    media, _, _ = sources["interview.wav"]
    before = media.read_bytes()
    with pytest.raises(ImportExportError, match="overwrite interview.wav"):
        write_clip(media, media, START_MS, END_MS)
    project = tmp_path / "p.wav"
    project.write_bytes(b"not really a project")
    with pytest.raises(ImportExportError, match="overwrite p.wav"):
        write_clip(media, project, START_MS, END_MS, protect=(project,))
    with pytest.raises(ImportExportError, match=r"\.wav, \.flac, \.mp3 or \.m4a"):
        write_clip(media, tmp_path / "clip.ogg", START_MS, END_MS)
    with pytest.raises(ImportExportError, match="empty"):
        write_clip(media, tmp_path / "clip.wav", 5000, 5000)
    assert media.read_bytes() == before and project.read_bytes() == b"not really a project"
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary file left behind
