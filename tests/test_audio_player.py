"""The player: its audio blocks, its clock, speed changes, and life without a sound device."""

from __future__ import annotations

import time

import numpy as np
import pytest
import sounddevice as sd

from app.audio.player import AudioOutputUnavailable, Player, output_available

RATE = 16_000


def _ramp(seconds: float) -> np.ndarray:
    return (np.arange(int(RATE * seconds)) / (RATE * seconds)).astype(np.float32)


def test_blocks_follow_the_samples_and_seek() -> None:
    x = _ramp(2.0)
    p = Player(x)
    np.testing.assert_array_equal(p.render(512), x[:512])
    np.testing.assert_array_equal(p.render(512), x[512:1024])
    p.seek(1000)
    np.testing.assert_array_equal(p.render(256), x[16000:16256])
    p.seek(1990)  # near the end: the block is padded with silence
    block = p.render(512)
    np.testing.assert_array_equal(block[:160], x[-160:])
    assert not block[160:].any()


def test_speed_consumes_input_faster_with_pitch_kept() -> None:
    t = np.arange(RATE * 2) / RATE
    x = (0.5 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    p = Player(x)
    assert p.set_speed(2.0) == 2.0
    out = np.concatenate([p.render(512) for _ in range(12)])  # 6144 samples heard
    # the clock stands at the start of the last block heard: 11 blocks of 512 at 2x = 11264 input samples
    assert abs(p.position_ms - 11264 * 1000 // RATE) <= 40
    spectrum = np.abs(np.fft.rfft(out[1024:5120] * np.hanning(4096)))
    assert abs(np.fft.rfftfreq(4096, 1 / RATE)[np.argmax(spectrum)] - 300) < 8
    assert p.set_speed(7) == 2.0 and p.set_speed(0.2) == 0.5


def test_clock_only_runs_in_real_time_pauses_and_seeks() -> None:
    p = Player(_ramp(10.0), clock_only=True)
    p.seek(2000)
    p.play()
    time.sleep(0.15)
    pos = p.position_ms
    assert 2100 <= pos <= 2600
    p.pause()
    frozen = p.position_ms
    time.sleep(0.05)
    assert p.position_ms == frozen and not p.playing
    p.set_speed(2.0)
    p.play()
    time.sleep(0.1)
    assert p.position_ms - frozen >= 180  # two ms of recording per ms of clock
    p.seek(9990)
    time.sleep(0.05)
    assert p.position_ms == 10000 and not p.playing  # stops at the end
    assert p.duration_ms == 10000


def test_no_output_device_raises_one_sentence_and_seeking_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_device(*_a: object, **_k: object) -> None:
        raise sd.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sd, "OutputStream", no_device)
    monkeypatch.setattr(sd, "query_devices", no_device)
    assert output_available() is False
    p = Player(_ramp(3.0))
    with pytest.raises(AudioOutputUnavailable) as info:
        p.play()
    assert str(info.value) == "No audio output device was found; playback is unavailable."
    assert not p.playing
    p.seek(1500)
    assert p.position_ms == 1500
    p.close()


def test_only_16k_audio() -> None:
    with pytest.raises(ValueError):
        Player(_ramp(1.0), rate=44_100)


def test_a_speed_change_while_playing_never_replays_what_was_heard() -> None:
    ramp = np.arange(RATE * 4, dtype=np.float32)  # each output sample tells which input it came from
    p = Player(ramp)
    p._playing = True  # as the device callback sees it, without a device
    first = p.render(512)
    time.sleep(0.016)  # half of that block has been heard
    assert p.set_speed(1.0) == 1.0  # unchanged (Ctrl+0 at 1x): nothing restarts
    second = p.render(512)
    assert second[0] == first[-1] + 1
    p.set_speed(1.5)  # a real change goes on from the first sample not yet handed out
    assert p._pos == 1024
    p.render(512)
    assert p._pos >= 1024  # the stretcher reads onwards from there, nothing earlier


@pytest.mark.parametrize(("speed_before", "change"), [(1.0, "seek"), (1.5, "seek"), (1.0, 1.5), (1.5, 1.0)])
def test_a_seek_or_speed_change_while_playing_does_not_click(speed_before: float, change: object) -> None:
    t = np.arange(RATE * 10) / RATE
    x = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    largest_step = float(np.abs(np.diff(x)).max())  # what the sine itself does from one sample to the next
    p = Player(x)
    p.set_speed(speed_before)
    p._playing = True  # as the device callback sees it, without a device
    blocks = [p.render(512) for _ in range(4)]
    if change == "seek":
        p.seek(5000)
    else:
        p.set_speed(float(change))
    blocks += [p.render(512) for _ in range(2)]
    out = np.concatenate(blocks)
    seam = 4 * 512
    assert abs(out[seam] - out[seam - 1]) <= largest_step * 1.2
