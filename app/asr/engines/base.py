"""The one interface every speech engine offers to the GUI worker and to the CLI.

An engine is given 16 kHz mono float32 audio, options, and a cancel token, and yields updates piece by
piece: progress plus the words finished in that step (absolute times in ms, speaker ids like "S1").
Cancelling stops between batches; what was already yielded is a valid partial transcript.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from app.core.document import Speaker, TranscriptionSettings, Word

SAMPLE_RATE = 16_000


@dataclass(frozen=True, slots=True)
class TranscribeOptions:
    """What the user asked for. `language` is the spoken language; `target_language` is for translation."""

    task: str = "transcribe"  # "transcribe" | "translate"
    language: str = "en"
    target_language: str | None = None
    keywords: tuple[str, ...] = ()
    punctuation: bool = True
    batch_size: int = 8


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a run is; `running_s` is the audio (seconds) of the batch being decoded now (0 at the end)."""

    pieces_done: int
    pieces_total: int
    audio_done_s: float
    audio_total_s: float
    running_s: float = 0.0

    @property
    def fraction(self) -> float:
        return self.audio_done_s / self.audio_total_s if self.audio_total_s > 0 else 1.0


@dataclass(frozen=True, slots=True)
class EngineUpdate:
    """One step of a run: progress, and the words that became final in it (possibly none)."""

    progress: Progress
    words: tuple[Word, ...] = ()
    speakers: tuple[Speaker, ...] = ()  # the speaker table so far, where the engine labels speakers


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a model can do; the UI disables the rest and the CLI rejects it with a sentence."""

    languages: tuple[str, ...] = ("en",)
    translation_targets: tuple[str, ...] = ()
    translation_to_english: bool = False
    keywords: bool = False
    punctuation: bool = False
    timestamps: bool = False
    speakers: bool = False
    alignment: bool = False


class CancelToken:
    """A flag set from any thread and checked by the engine between batches."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class Engine(Protocol):
    """A loaded model (or pipeline of models) ready to transcribe."""

    name: str
    capabilities: Capabilities

    def settings(self, options: TranscribeOptions) -> TranscriptionSettings:
        """The settings record that a transcript made with these options should carry."""
        ...

    def transcribe(
        self, audio: np.ndarray, options: TranscribeOptions, cancel: CancelToken | None = None
    ) -> Iterator[EngineUpdate]:
        """Yield updates until the audio is done or `cancel` is set (then return quietly)."""
        ...


@dataclass
class RunResult:
    """Everything an engine produced in one run, collected by `collect`."""

    words: list[Word] = field(default_factory=list)
    speakers: list[Speaker] = field(default_factory=list)
    cancelled: bool = False


def collect(updates: Iterator[EngineUpdate], cancel: CancelToken | None = None) -> RunResult:
    """Drain an engine's updates into one result (the CLI's and tests' way to run an engine)."""
    result = RunResult()
    for update in updates:
        result.words.extend(update.words)
        if update.speakers:
            result.speakers = list(update.speakers)
    result.cancelled = bool(cancel and cancel.cancelled)
    return result


def validate_options(name: str, caps: Capabilities, options: TranscribeOptions) -> None:
    """Raise ModelError with one sentence when the model cannot do what the options ask."""
    from app.core.errors import ModelError

    if options.task not in ("transcribe", "translate"):
        raise ModelError(f"Unknown task '{options.task}': use transcribe or translate.")
    if options.language not in caps.languages:
        raise ModelError(
            f"{name} does not transcribe '{options.language}'; it knows {', '.join(caps.languages)}."
        )
    if options.task == "translate":
        target = options.target_language or "en"
        if target == "en" and not caps.translation_to_english:
            raise ModelError(f"{name} cannot translate; choose granite-speech-4.1-2b for translation.")
        if target != "en" and target not in caps.translation_targets:
            raise ModelError(f"{name} cannot translate into '{target}'.")
        if target != "en" and options.language != "en":
            raise ModelError(
                f"{name} translates into '{target}' only from English; translate into English instead."
            )
        if target == options.language:
            raise ModelError("The translation target is the spoken language; choose transcribe instead.")
    if options.keywords and not caps.keywords:
        raise ModelError(f"{name} does not take keyword lists; remove them or choose another model.")


def audio_seconds(audio: Sequence[float] | np.ndarray) -> float:
    return len(audio) / SAMPLE_RATE
