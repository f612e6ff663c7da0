"""Decoding real files of every format to 16 kHz mono, probing them, and the errors for bad inputs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr
from audio_factory import (
    FORMATS,
    LOSSLESS,
    VIDEO_FORMATS,
    make_faststart_m4a,
    make_text_file,
    make_truncated,
    make_unsupported_codec_wav,
    make_video_without_audio,
    make_with_cover_art,
    make_zero_byte,
    session_media,
)

from app.audio.decode import MediaInfo, decode_16k_mono, iter_16k_mono, probe
from app.audio.truncation import Truncation, contained_seconds
from app.core.errors import MediaError

RATE = 16_000
# what audio_factory asks ffmpeg for: (source rate, channels, codec as probe names it)
EXPECTED = {
    "wav": (44100, 2, "pcm_s16"), "flac": (48000, 1, "flac"), "ogg": (44100, 2, "vorbis"),
    "opus": (None, 1, "opus"), "mp3": (44100, 2, "mp3"), "m4a": (44100, 2, "aac"), "mp4": (48000, 2, "aac"),
    "mov": (22050, 1, "aac"), "mkv": (48000, 2, "aac"), "webm": (48000, 2, "opus"),
}


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return session_media(tmp_path_factory)


@pytest.fixture(scope="session")
def reference(media: dict[str, Path]) -> np.ndarray:
    """The espeak source resampled to 16 kHz independently of the code under test."""
    data, rate = sf.read(media["source"], dtype="float32")
    return soxr.resample(data, rate, RATE).astype(np.float32)


def best_lag_correlation(ref: np.ndarray, x: np.ndarray, max_lag: int) -> tuple[int, float]:
    """(lag in samples, normalised correlation) of x against ref, searched over +-max_lag."""
    n = min(len(ref), len(x)) - 2 * max_lag
    a = ref[max_lag : max_lag + n].astype(np.float64)
    a /= np.linalg.norm(a)
    best = (0, -1.0)
    for lag in range(-max_lag, max_lag + 1):
        b = x[max_lag + lag : max_lag + lag + n].astype(np.float64)
        c = float(a @ b / (np.linalg.norm(b) + 1e-12))
        if c > best[1]:
            best = (lag, c)
    return best


def assert_one_sentence(message: str) -> None:
    assert message and "\n" not in message and message.endswith("."), message
    assert not re.search(r"[.!?]\s+\S", message), f"more than one sentence: {message!r}"
    assert "Traceback" not in message and "Errno" not in message, message


@pytest.mark.parametrize("fmt", FORMATS)
def test_decodes_every_format_to_16k_mono_with_the_right_length_and_signal(
    fmt: str, media: dict[str, Path], reference: np.ndarray
) -> None:
    x = decode_16k_mono(media[fmt])
    assert x.dtype == np.float32 and x.ndim == 1
    assert abs(len(x) - len(reference)) <= 0.020 * RATE, (
        f"{fmt}: {len(x) / RATE:.4f} s vs {len(reference) / RATE:.4f} s"
    )
    lag, corr = best_lag_correlation(reference, x, max_lag=int(0.02 * RATE))
    if fmt in LOSSLESS:
        assert lag == 0 and corr > 0.999, (lag, corr)
        # ffmpeg's mono-to-stereo upmix lowers the level by 3 dB, so compare after the best gain
        n = min(len(x), len(reference))
        gain = float(x[:n] @ reference[:n] / (reference[:n] @ reference[:n]))
        residual = x[:n] - gain * reference[:n]
        assert 0.6 < gain < 1.05 and np.sqrt(np.mean(residual**2) / np.mean(reference[:n] ** 2)) < 0.01
    else:
        assert abs(lag) <= 0.005 * RATE and corr > 0.9, (fmt, lag, corr)
    assert np.max(np.abs(x)) <= 1.5


@pytest.mark.parametrize("fmt", FORMATS)
def test_probe_reads_the_headers(fmt: str, media: dict[str, Path], reference: np.ndarray) -> None:
    info = probe(media[fmt])
    rate, channels, codec = EXPECTED[fmt]
    assert isinstance(info, MediaInfo) and info.path == media[fmt]
    assert (info.channels, info.codec, info.has_video) == (channels, codec, fmt in VIDEO_FORMATS)
    assert rate is None or info.sample_rate == rate
    assert abs(info.duration_s - len(reference) / RATE) < 0.05


def test_blocks_stream_and_join_to_the_whole_decode(media: dict[str, Path]) -> None:
    blocks = list(iter_16k_mono(media["m4a"]))
    assert len(blocks) >= 2 and all(b.dtype == np.float32 and b.ndim == 1 for b in blocks)
    np.testing.assert_array_equal(np.concatenate(blocks), decode_16k_mono(media["m4a"]))


@pytest.mark.parametrize("container", ["wav", "mkv"])
def test_channels_are_mixed_to_mono(container: str, media: dict[str, Path], tmp_path: Path,
                                    reference: np.ndarray) -> None:
    speech, rate = sf.read(media["source"], dtype="float32")
    stereo = tmp_path / "left_only.wav"
    sf.write(stereo, np.stack([speech, np.zeros_like(speech)], axis=1), rate, subtype="PCM_16")
    path = stereo
    if container == "mkv":  # PCM in Matroska goes through PyAV (packed 16-bit samples)
        path = tmp_path / "left_only.mkv"
        import subprocess

        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(stereo), "-c:a", "pcm_s16le", str(path)],
                       check=True)
    x = decode_16k_mono(path)
    assert probe(path).channels == 2
    n = min(len(x), len(reference))
    np.testing.assert_allclose(x[:n], reference[:n] / 2, atol=2e-3)


def test_cover_art_is_not_a_video(media: dict[str, Path], tmp_path: Path) -> None:
    path = make_with_cover_art(media["m4a"], tmp_path / "with_cover.m4a")
    info = probe(path)
    assert info.has_video is False and info.codec == "aac"
    np.testing.assert_array_equal(decode_16k_mono(path), decode_16k_mono(media["m4a"]))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="does not exist") as err:
        probe(tmp_path / "gone.wav")
    assert_one_sentence(str(err.value))
    with pytest.raises(MediaError, match="does not exist"):
        decode_16k_mono(tmp_path / "gone.wav")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="is a folder") as err:
        decode_16k_mono(tmp_path)
    assert_one_sentence(str(err.value))


def test_zero_byte_file(tmp_path: Path) -> None:
    path = make_zero_byte(tmp_path / "empty.m4a")
    for call in (probe, decode_16k_mono):
        with pytest.raises(MediaError, match="empty") as err:
            call(path)
        assert_one_sentence(str(err.value))


def test_text_file_named_mp3(tmp_path: Path) -> None:
    path = make_text_file(tmp_path / "notes.mp3")
    for call in (probe, decode_16k_mono):
        with pytest.raises(MediaError, match="notes.mp3 is not an audio or video file") as err:
            call(path)
        assert_one_sentence(str(err.value))


def test_video_without_audio(tmp_path: Path) -> None:
    path = make_video_without_audio(tmp_path / "silent_film.mp4")
    for call in (probe, decode_16k_mono):
        with pytest.raises(MediaError) as err:
            call(path)
        assert str(err.value) == "silent_film.mp4 has no audio track."


def test_unsupported_codec(media: dict[str, Path], tmp_path: Path) -> None:
    path = make_unsupported_codec_wav(media["source"], tmp_path / "odd_codec.wav")
    for call in (probe, decode_16k_mono):
        with pytest.raises(MediaError, match="codec") as err:
            call(path)
        assert_one_sentence(str(err.value))


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "mkv", "webm"])
def test_truncated_files_are_salvaged(fmt: str, media: dict[str, Path], tmp_path: Path) -> None:
    """A recorder that died mid-interview: everything that is there decodes, and the cut is reported."""
    path = make_truncated(media[fmt], tmp_path / f"cut.{fmt}", keep_fraction=0.5)
    whole = probe(media[fmt]).duration_s
    cuts: list[Truncation] = []
    x = decode_16k_mono(path, cuts.append)
    assert len(cuts) == 1 and abs(cuts[0].declared_s - whole) < 0.1
    assert abs(len(x) / RATE - cuts[0].held_s) < 0.05 and 0.4 * whole < cuts[0].held_s < 0.6 * whole
    held = contained_seconds(path)  # what `verbatim info` measures without decoding
    assert held is not None and abs(held - cuts[0].held_s) < 0.15
    assert "cut short: it holds 0:02 of the 0:04 its header promises" in cuts[0].sentence(path.name)


def test_a_cut_m4a_whose_index_is_gone_is_one_sentence(media: dict[str, Path], tmp_path: Path) -> None:
    path = make_truncated(media["m4a"], tmp_path / "cut.m4a", keep_fraction=0.5)  # moov at the end: lost
    with pytest.raises(MediaError, match="damaged or truncated") as err:
        decode_16k_mono(path)
    assert_one_sentence(str(err.value))


def test_truncated_faststart_m4a_decodes_what_is_there(media: dict[str, Path], tmp_path: Path) -> None:
    whole = make_faststart_m4a(media["source"], tmp_path / "fast.m4a")
    cut = make_truncated(whole, tmp_path / "fast_cut.m4a", keep_fraction=0.5)
    assert probe(cut).duration_s > 4.0  # the header still promises the whole length
    cuts: list[Truncation] = []
    blocks = list(iter_16k_mono(cut, cuts.append))
    assert blocks and len(cuts) == 1 and cuts[0].held_s < 0.6 * cuts[0].declared_s


def test_a_slightly_short_file_is_not_called_truncated(media: dict[str, Path], tmp_path: Path) -> None:
    # losing the last few bytes of a WAV (a few ms) is not worth refusing the recording
    path = make_truncated(media["wav"], tmp_path / "nearly.wav", keep_fraction=0.99)
    x = decode_16k_mono(path)
    assert abs(len(x) / RATE - 0.99 * probe(media["wav"]).duration_s) < 0.05


def test_mono_16k_wav_passes_through_untouched(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(RATE * 3) * 0.1).astype(np.float32)
    path = tmp_path / "native.wav"
    sf.write(path, x, RATE, subtype="FLOAT")
    np.testing.assert_array_equal(decode_16k_mono(path), x)



def test_stopping_early_leaves_no_decoding_thread(media: dict[str, Path]) -> None:
    import threading

    blocks = iter_16k_mono(media["mp4"])
    first = next(blocks)
    assert len(first) > 0
    blocks.close()
    assert not [t for t in threading.enumerate() if t.name == "verbatim-decode"]
