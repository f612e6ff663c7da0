"""The PyAV reader against PyAV decoding frame by frame: the same samples, bit for bit, in every sample layout.

The reader copies frames into an FFmpeg AudioFifo and mixes a whole block to mono at once; the reference here
converts each decoded frame with PyAV's own `to_ndarray` and averages its channels (summed in float32 in
channel order, then one scale to [-1, 1]): the mix Verbatim has always used, so a cache made before the FIFO
holds the same samples as one made after.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
from audio_factory import session_media

from app.audio.pyav_reader import PyavReader
from app.audio.readers import BLOCK_S

AAC_DELAY = 1024  # the encoder delay the reader drops where the container does not signal it
TAIL_TRIM_S = 0.2  # the most end padding the reader trims to honour a declared length


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return session_media(tmp_path_factory)


def ffmpeg(*args: str) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def average(frame: av.AudioFrame) -> np.ndarray:
    """One decoded frame as mono float32: the channels summed in float32 in order, then scaled to [-1, 1]."""
    data = frame.to_ndarray()
    ch = len(frame.layout.channels)
    chans = list(data) if frame.format.is_planar else [data[0, c::ch] for c in range(ch)]
    mono = chans[0].astype(np.float32)
    for c in chans[1:]:
        mono += c
    if data.dtype == np.uint8:
        mono -= 128.0 * ch
        scale = 128.0 * ch
    elif data.dtype.kind == "i":
        scale = float(2 ** (8 * data.dtype.itemsize - 1)) * ch
    else:
        scale = float(ch)
    return mono * np.float32(1.0 / scale) if scale != 1.0 else mono


def frame_by_frame(path: Path) -> list[tuple[np.ndarray, int, tuple[str, int]]]:
    """(mono samples, rate, (sample format, channels)) of every decoded frame, in order."""
    with av.open(str(path)) as container:
        return [(average(f), f.sample_rate, (f.format.name, len(f.layout.channels)))
                for f in container.decode(audio=0)]


def read_blocks(path: Path) -> list[tuple[np.ndarray, int]]:
    reader = PyavReader(path)
    blocks = list(reader.blocks())
    assert all(b.dtype == np.float32 and b.ndim == 1 and len(b) for b, _ in blocks)
    assert reader.outcome.good_packets > 0 and reader.outcome.bad_packets == 0
    assert not reader.outcome.stopped_by_error
    return blocks


def runs_by_rate(parts: list[tuple[np.ndarray, int]]) -> list[tuple[int, np.ndarray]]:
    """Consecutive parts at the same rate joined: [(rate, samples), ...]."""
    runs: list[tuple[int, list[np.ndarray]]] = []
    for samples, rate in parts:
        if not runs or runs[-1][0] != rate:
            runs.append((rate, []))
        runs[-1][1].append(samples)
    return [(rate, np.concatenate(chunks)) for rate, chunks in runs]


def assert_same_samples(path: Path, priming: int) -> None:
    """The reader's output is the frame-by-frame decode with `priming` samples dropped, bit for bit."""
    frames = frame_by_frame(path)
    reference = np.concatenate([samples for samples, _, _ in frames])
    rate = frames[0][1]
    blocks = read_blocks(path)
    assert {r for _, r in blocks} == {rate}
    assert all(len(b) <= (BLOCK_S + TAIL_TRIM_S) * rate + 2048 for b, _ in blocks)
    out = np.concatenate([b for b, _ in blocks])
    trimmed = len(reference) - priming - len(out)
    assert 0 <= trimmed <= TAIL_TRIM_S * rate, trimmed
    np.testing.assert_array_equal(out, reference[priming : priming + len(out)])


@pytest.mark.parametrize(("fmt", "priming"), [
    ("m4a", 0),  # AAC, float planar stereo; MP4 signals its priming and FFmpeg drops it
    ("mkv", AAC_DELAY),  # AAC in Matroska: no priming signalled, the reader drops it
    ("mov", 0),  # AAC, mono
    ("mp3", 0),  # float planar from the MP3 decoder; the LAME tag signals the delay
    ("webm", 0),  # Opus
])
def test_every_sample_matches_frame_by_frame_decoding(fmt: str, priming: int, media: dict[str, Path]) -> None:
    assert_same_samples(media[fmt], priming)


@pytest.mark.parametrize(("name", "args"), [
    ("s16_stereo.mkv", ["-ac", "2", "-c:a", "pcm_s16le"]),  # packed 16-bit
    ("u8_stereo.wav", ["-ac", "2", "-c:a", "pcm_u8"]),  # packed unsigned 8-bit
    ("f32_three.mkv", ["-ac", "3", "-c:a", "pcm_f32le"]),  # packed float, three channels
    ("s32_six.mkv", ["-ac", "6", "-c:a", "pcm_s32le"]),  # packed 32-bit, 5.1
    ("f64_stereo.mkv", ["-ac", "2", "-c:a", "pcm_f64le"]),  # packed double
])
def test_packed_pcm_layouts_match_frame_by_frame_decoding(name: str, args: list[str], media: dict[str, Path],
                                                         tmp_path: Path) -> None:
    path = tmp_path / name
    ffmpeg("-i", str(media["source"]), *args, str(path))
    assert_same_samples(path, 0)


def test_a_gap_in_the_timestamps_loses_no_samples(media: dict[str, Path], tmp_path: Path) -> None:
    """Timestamps that jump (a paused recorder, or Matroska's millisecond rounding) do not stop the FIFO."""
    path = tmp_path / "gap.mkv"
    ffmpeg("-i", str(media["source"]), "-af", "asetpts='if(gte(T,1),PTS+2/TB,PTS)'", "-c:a", "aac",
           "-ar", "44100", "-ac", "2", str(path))
    with av.open(str(path)) as container:
        pts = [f.pts or 0 for f in container.decode(audio=0)]
    assert max(b - a for a, b in zip(pts, pts[1:], strict=False)) > 1000  # ms: the file really has a gap
    assert_same_samples(path, AAC_DELAY)


@pytest.fixture(scope="module")
def adts_parts(media: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Raw AAC (ADTS) streams in three layouts; joined end to end they change format mid-stream."""
    folder = tmp_path_factory.mktemp("adts")
    layouts = {"stereo_44k": ["-ac", "2", "-ar", "44100"], "mono_22k": ["-ac", "1", "-ar", "22050"],
               "mono_44k": ["-ac", "1", "-ar", "44100"]}
    parts = {}
    for name, args in layouts.items():
        ffmpeg("-i", str(media["source"]), *args, "-c:a", "aac", "-f", "adts", str(folder / f"{name}.aac"))
        parts[name] = (folder / f"{name}.aac").read_bytes()
    return parts


@pytest.mark.parametrize("middle", ["mono_22k", "mono_44k"])
def test_a_format_change_mid_stream_keeps_every_sample_at_its_rate(middle: str, adts_parts: dict[str, bytes],
                                                                    tmp_path: Path) -> None:
    path = tmp_path / f"changes_{middle}.aac"
    path.write_bytes(adts_parts["stereo_44k"] + adts_parts[middle] + adts_parts["stereo_44k"])
    frames = frame_by_frame(path)
    layouts = [layout for _, _, layout in frames]
    assert ("fltp", 1) in layouts and layouts[0] == layouts[-1] == ("fltp", 2)  # the decoder did switch
    expected = runs_by_rate([(samples, rate) for samples, rate, _ in frames])
    expected[0] = (expected[0][0], expected[0][1][AAC_DELAY:])  # raw ADTS signals no priming
    got = runs_by_rate(read_blocks(path))
    assert [rate for rate, _ in got] == [rate for rate, _ in expected]
    for i, ((_, samples), (_, want)) in enumerate(zip(got, expected, strict=True)):
        last = i == len(expected) - 1  # only the end can be trimmed to a declared length
        assert 0 <= len(want) - len(samples) <= (TAIL_TRIM_S * 44100 if last else 0)
        np.testing.assert_array_equal(samples, want[: len(samples)])

