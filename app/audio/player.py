"""Playback of the 16 kHz mono samples through sounddevice, with a clock that works without a device.

The player has no Qt. Its position is the playback clock of the whole app: while playing it follows
the audio callback (interpolated between blocks with a monotonic clock, so a 30 fps playhead moves
smoothly); while paused it is whatever `seek` set. Speeds other than 1x go through the WSOLA stretcher,
so the pitch is kept. Without an output device `play` raises `AudioOutputUnavailable` and the player
stays paused; seeking still works. `clock_only=True` runs the clock in real time with no sound at all
(headless use: benchmarks, tests, machines without audio).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from app.audio.stretch import MAX_SPEED, MIN_SPEED, WsolaStretcher
from app.core.errors import VerbatimError

FADE_SAMPLES = 160  # 10 ms: a seek or a speed change crossfades instead of clicking
RATE = 16_000
BLOCK = 512  # 32 ms per callback


class AudioOutputUnavailable(VerbatimError):
    """There is no sound device to play through."""

    def __init__(self, message: str = "No audio output device was found; playback is unavailable.") -> None:
        super().__init__(message)


def _open_stream(callback: Callable):  # pragma: no cover - needs a device
    import sounddevice as sd

    return sd.OutputStream(samplerate=RATE, channels=1, dtype="float32", blocksize=BLOCK, callback=callback)


class Player:
    """Plays, pauses, seeks and changes speed; `position_ms` is the clock everyone reads."""

    def __init__(self, samples: np.ndarray, rate: int = RATE, clock_only: bool = False) -> None:
        if rate != RATE:
            raise ValueError("The player plays 16 kHz audio.")
        self._x = samples
        self._n = len(samples)
        self.clock_only = clock_only
        self._lock = threading.RLock()
        self._speed = 1.0
        self._volume = 1.0
        self._playing = False
        self._stream = None
        self._stretcher: WsolaStretcher | None = None
        self._fade_from: WsolaStretcher | int | None = None  # the stream to fade out after a seek or speed change
        self._pos = 0  # input sample at the anchor time
        self._anchor_time = time.monotonic()
        self._anchor_span = 0  # input samples the current block covers (clamp for interpolation)
        self._stop: int | None = None  # play a range: stop (or loop) at this input sample
        self._loop_from: int | None = None  # looping: go on from here on reaching `_stop`

    # -- state -------------------------------------------------------------------------------

    @property
    def duration_ms(self) -> int:
        return self._n * 1000 // RATE

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def speed(self) -> float:
        return self._speed

    def _position_samples(self) -> int:
        with self._lock:
            if not self._playing:
                return self._pos
            elapsed = (time.monotonic() - self._anchor_time) * RATE * self._speed
            if not self.clock_only:
                elapsed = min(elapsed, self._anchor_span)
            return int(min(self._n, self._pos + elapsed))

    @property
    def position_ms(self) -> int:
        """Where playback is now, in ms of the recording."""
        if self._playing and self._position_samples() >= self._end_sample():
            if self._loop_from is not None and self.clock_only:
                with self._lock:  # the clock alone: wrap around as the audio thread would
                    self._pos, self._anchor_time, self._anchor_span = self._loop_from, time.monotonic(), 0
            elif self._loop_from is None:
                self.pause()  # reached the end (of the range): the stream has stopped itself
                with self._lock:
                    self._pos = min(self._pos, self._end_sample())
        return self._position_samples() * 1000 // RATE

    def _end_sample(self) -> int:
        return self._n if self._stop is None else min(self._stop, self._n)

    def set_range(self, start_ms: int | None, end_ms: int | None, loop: bool = False) -> None:
        """Play only up to `end_ms` (None: to the end of the recording); with `loop`, go on from
        `start_ms` each time playback gets there. The range stays until it is set to (None, None)."""
        with self._lock:
            self._stop = None if end_ms is None else int(max(0, min(self._n, int(end_ms) * RATE // 1000)))
            start = 0 if start_ms is None else int(max(0, min(self._n, int(start_ms) * RATE // 1000)))
            self._loop_from = start if loop and self._stop is not None and start < self._stop else None

    @property
    def range_ms(self) -> tuple[int, int, bool] | None:
        """(start, end, looping) of the range being played (None: none)."""
        if self._stop is None:
            return None
        start = self._loop_from if self._loop_from is not None else 0
        return start * 1000 // RATE, self._stop * 1000 // RATE, self._loop_from is not None

    @property
    def at_end(self) -> bool:
        return self._position_samples() >= self._n

    # -- control -----------------------------------------------------------------------------

    def play(self) -> None:
        """Start (or resume) from the current position. Raises AudioOutputUnavailable without a device."""
        with self._lock:
            if self._playing:
                return
            if self._pos >= self._n:
                self._pos = 0
            if self._stop is not None and self._pos >= self._stop and self._loop_from is not None:
                self._pos = self._loop_from
            if not self.clock_only:
                self._stretcher = None  # made afresh from the current position by render()
                try:
                    self._stream = _open_stream(self._callback)
                except Exception as exc:  # PortAudioError, OSError: no device or no backend
                    self._stream = None
                    raise AudioOutputUnavailable() from exc
            self._anchor_time = time.monotonic()
            self._anchor_span = 0
            self._playing = True
            stream = self._stream
        if stream is not None:
            stream.start()

    def pause(self) -> None:
        """Stop where we are; `position_ms` stays put."""
        with self._lock:
            if not self._playing:
                return
            self._pos = self._position_samples()
            self._anchor_span = 0
            self._playing = False
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort()
            stream.close()

    def toggle(self) -> None:
        """Pause when playing, play when paused."""
        if self._playing:
            self.pause()
        else:
            self.play()

    def seek(self, ms: int) -> None:
        """Jump to `ms` (clamped to the recording); playing continues from there."""
        target = int(max(0, min(self._n, int(ms) * RATE // 1000)))
        with self._lock:
            self._begin_fade()
            self._pos = target
            self._anchor_time = time.monotonic()
            self._anchor_span = 0
            self._stretcher = None

    def set_speed(self, speed: float) -> float:
        """Set the playback speed (clamped to 0.5-2.0, pitch kept); returns the speed in effect."""
        speed = round(float(min(MAX_SPEED, max(MIN_SPEED, speed))), 2)
        with self._lock:
            if speed == self._speed:
                return speed  # F4 at 2x, F3 at 0.5x: nothing to restart
            self._begin_fade()
            # go on from the first sample not yet handed to the device, so nothing is heard twice
            self._pos = min(self._n, self._pos + self._anchor_span)
            self._anchor_time = time.monotonic()
            self._anchor_span = 0
            self._speed = speed
            self._stretcher = None
        return speed

    def set_volume(self, volume: float) -> None:
        self._volume = float(min(1.0, max(0.0, volume)))

    def close(self) -> None:
        """Stop and release the device."""
        self.pause()

    # -- audio thread ------------------------------------------------------------------------

    def _begin_fade(self) -> None:
        """Remember the stream that is playing, so the next block crossfades from it (no click)."""
        if self._playing:
            self._fade_from = self._stretcher if self._stretcher is not None else min(
                self._n, self._pos + self._anchor_span)

    def render(self, frames: int) -> np.ndarray:
        """The next `frames` output samples from the current position, advancing it (the callback's work)."""
        with self._lock:
            start = self._pos + self._anchor_span  # the block after the one that is playing now
            if self._speed != 1.0 and self._stretcher is None:
                self._stretcher = WsolaStretcher(self._x, start, self._speed)
            if self._stretcher is not None:
                block = self._stretcher.read(frames)
                advance = self._stretcher.input_position - start
            else:
                block = np.zeros(frames, dtype=np.float32)
                chunk = self._x[start : start + frames]
                block[: len(chunk)] = chunk
                advance = len(chunk)
            fade, self._fade_from = self._fade_from, None
            if fade is not None:
                block = self._crossfade(fade, block)
            if self._stop is not None and start + advance > self._stop:
                block, start, advance = self._range_end(block, start, advance)
            self._pos = start
            self._anchor_span = max(0, advance)
            self._anchor_time = time.monotonic()
            return block * self._volume if self._volume != 1.0 else block

    def _range_end(self, block: np.ndarray, start: int, advance: int) -> tuple[np.ndarray, int, int]:
        """The block cut at the range's end: silence after it, or (looping) the range's start again."""
        assert self._stop is not None
        block = np.array(block, dtype=np.float32)
        keep = max(0, self._stop - start) if self._stretcher is None else len(block)
        fade = min(keep, FADE_SAMPLES // 2)
        if fade:
            block[keep - fade : keep] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        if self._loop_from is None:
            block[keep:] = 0.0
            return block, start, max(0, self._stop - start)
        rest = len(block) - keep
        self._stretcher = None
        seg = self._x[self._loop_from : self._loop_from + rest]
        block[keep:] = 0.0
        block[keep : keep + len(seg)] = seg
        ramp = min(len(seg), FADE_SAMPLES // 2)
        if ramp:
            block[keep : keep + ramp] *= np.linspace(0.0, 1.0, ramp, dtype=np.float32)
        return block, self._loop_from, len(seg)

    def _crossfade(self, old: WsolaStretcher | int, block: np.ndarray) -> np.ndarray:
        """The first FADE_SAMPLES of `block` blended in from where the old stream would have gone on."""
        n = min(len(block), FADE_SAMPLES)
        if isinstance(old, WsolaStretcher):
            before = old.read(n)
        else:
            before = np.zeros(n, dtype=np.float32)
            seg = self._x[old : old + n]
            before[: len(seg)] = seg
        ramp = np.linspace(1.0, 0.0, n, dtype=np.float32)
        block = np.array(block, dtype=np.float32)
        block[:n] = before * ramp + block[:n] * (1.0 - ramp)
        return block

    def _callback(self, outdata, frames, _time, _status) -> None:  # pragma: no cover - device thread
        import sounddevice as sd

        outdata[:, 0] = self.render(frames)
        if self._pos + self._anchor_span >= self._end_sample() and self._loop_from is None:
            raise sd.CallbackStop()


def output_available() -> bool:
    """True when sounddevice finds a default output device (False without PortAudio or a sound card)."""
    try:
        import sounddevice as sd

        sd.query_devices(kind="output")
    except Exception:  # PortAudioError, OSError (no PortAudio library), ValueError
        return False
    return True
