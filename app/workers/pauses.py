"""The pauses of a recording for paragraph breaks, found by the engines' own speech detector.

The window asks for them off the GUI thread; they live here, below the window, because finding them runs
the speech detector of `app.asr` (Silero VAD, which loads torch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.core.paragraphs import pauses_between


def recording_pauses(samples: Any, rate: int = 16_000) -> list[tuple[int, int]]:
    """The silences of a 16 kHz recording, in ms, as the engines see them (`speech_spans`)."""
    if samples is None or len(samples) == 0:
        return []
    from app.asr.pipeline.segmentation import speech_spans

    return pauses_between(speech_spans(np.asarray(samples, dtype=np.float32).reshape(-1)), rate)
