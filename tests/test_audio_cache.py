"""The decode cache: decode once to disk, memory-map afterwards, never trust a half-written entry."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from audio_factory import make_truncated, session_media

import app.audio.cache as cache
from app.audio.cache import AudioData, cache_paths, default_cache_dir, load_audio
from app.audio.decode import decode_16k_mono
from app.audio.peaks import PeakPyramid
from app.core.errors import MediaError
from app.core.fingerprint import media_fingerprint


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return session_media(tmp_path_factory)


def _refuse_to_decode(*_args, **_kwargs):
    raise AssertionError("decoded again although the cache was valid")


def test_first_load_decodes_to_a_read_only_memmap(media: dict[str, Path], tmp_path: Path) -> None:
    audio = load_audio(media["m4a"], cache_dir=tmp_path)
    assert isinstance(audio, AudioData)
    assert isinstance(audio.samples, np.memmap) and audio.samples.dtype == np.float32
    assert not audio.samples.flags.writeable and audio.sample_rate == 16_000
    np.testing.assert_array_equal(np.asarray(audio.samples), decode_16k_mono(media["m4a"]))
    assert audio.fingerprint == media_fingerprint(media["m4a"]) and audio.source == media["m4a"]
    assert audio.duration_ms == round(len(audio.samples) / 16)
    raw, sidecar, peaks = cache_paths(audio.fingerprint, tmp_path)
    assert audio.cache_file == raw and raw.stat().st_size == 4 * len(audio.samples)
    meta = json.loads(sidecar.read_text())
    assert meta["samples"] == len(audio.samples) and meta["format_version"] == cache.FORMAT_VERSION
    assert peaks.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([raw.name, sidecar.name, peaks.name])


def test_reopening_maps_the_cache_without_decoding(media: dict[str, Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_audio(media["mp3"], cache_dir=tmp_path)
    monkeypatch.setattr(cache, "iter_16k_mono", _refuse_to_decode)
    monkeypatch.setattr(PeakPyramid, "from_samples", _refuse_to_decode)
    again = load_audio(media["mp3"], cache_dir=tmp_path)
    assert isinstance(again.samples, np.memmap)
    np.testing.assert_array_equal(np.asarray(again.samples), np.asarray(first.samples))
    # the peaks come from the npz written while decoding
    times, mins, maxs = again.peaks.envelope(0.0, again.duration_s, 50)
    x = np.asarray(again.samples)
    assert mins.min() == x.min() and maxs.max() == x.max() and len(times) >= 50


def test_saved_peaks_equal_peaks_built_from_the_samples(media: dict[str, Path], tmp_path: Path) -> None:
    audio = load_audio(media["flac"], cache_dir=tmp_path)
    fresh = PeakPyramid.from_samples(np.asarray(audio.samples))
    for (m1, x1), (m2, x2) in zip(audio.peaks.levels, fresh.levels, strict=True):
        np.testing.assert_array_equal(m1, m2)
        np.testing.assert_array_equal(x1, x2)


def test_environment_variable_picks_the_folder(media: dict[str, Path], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "from_env"))
    assert default_cache_dir() == tmp_path / "from_env"
    audio = load_audio(media["wav"])
    assert audio.cache_file is not None and audio.cache_file.parent == tmp_path / "from_env"


def test_default_folder_is_the_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    folder = default_cache_dir()
    assert folder.name == "audio" and "verbatim" in str(folder).lower()


def test_a_damaged_entry_is_decoded_again(media: dict[str, Path], tmp_path: Path) -> None:
    audio = load_audio(media["ogg"], cache_dir=tmp_path)
    raw, sidecar, _ = cache_paths(audio.fingerprint, tmp_path)
    expected = np.asarray(audio.samples).copy()
    del audio
    raw.write_bytes(raw.read_bytes()[:1000])  # as if the disk filled up while writing
    again = load_audio(media["ogg"], cache_dir=tmp_path)
    np.testing.assert_array_equal(np.asarray(again.samples), expected)
    sidecar.write_text("{not json")
    np.testing.assert_array_equal(np.asarray(load_audio(media["ogg"], cache_dir=tmp_path).samples), expected)


def test_a_failed_decode_leaves_nothing_behind(media: dict[str, Path], tmp_path: Path) -> None:
    cut = make_truncated(media["m4a"], tmp_path / "cut.m4a")  # its index (at the end) is gone
    folder = tmp_path / "cache"
    with pytest.raises(MediaError, match="truncated"):
        load_audio(cut, cache_dir=folder)
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_cut_recording_is_salvaged_and_remembered_as_cut(media: dict[str, Path], tmp_path: Path) -> None:
    cut = make_truncated(media["flac"], tmp_path / "cut.flac")
    audio = load_audio(cut, cache_dir=tmp_path / "cache")
    assert audio.truncation is not None and abs(audio.truncation.held_s - audio.duration_s) < 0.01
    again = load_audio(cut, cache_dir=tmp_path / "cache")  # from the cache: still known to be cut
    assert again.truncation == audio.truncation and again.duration_ms == audio.duration_ms


def test_bad_inputs_and_an_unusable_folder_raise_media_errors(media: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="does not exist"):
        load_audio(tmp_path / "nothing.wav", cache_dir=tmp_path)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(MediaError, match="could not be saved"):
        load_audio(media["wav"], cache_dir=blocker / "cache")


def test_in_memory_audio_data_builds_its_peaks(media: dict[str, Path]) -> None:
    x = decode_16k_mono(media["wav"])
    audio = AudioData(x, media_fingerprint(media["wav"]), round(len(x) / 16), media["wav"])
    _, mins, maxs = audio.peaks.envelope(0.0, audio.duration_s, 10)
    assert mins.min() == x.min() and maxs.max() == x.max()


def test_a_recording_edited_in_place_is_decoded_again(tmp_path) -> None:
    import os
    import wave

    import numpy as np

    from app.audio.cache import load_audio

    def write(x: np.ndarray) -> None:
        with wave.open(str(tmp_path / "a.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes((x * 32767).astype("<i2").tobytes())

    x = np.zeros(16000 * 140, np.float32)  # 4.5 MB: the fingerprint samples only parts of it
    write(x)
    first = load_audio(tmp_path / "a.wav", cache_dir=tmp_path / "cache")
    assert float(np.abs(first.samples).max()) == 0.0
    x[600_000:610_000] = 0.5  # re-exported after an edit: same size, same sampled parts
    write(x)
    st = os.stat(tmp_path / "a.wav")
    os.utime(tmp_path / "a.wav", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    second = load_audio(tmp_path / "a.wav", cache_dir=tmp_path / "cache")
    assert second.fingerprint == first.fingerprint
    assert float(np.abs(second.samples).max()) > 0.49
