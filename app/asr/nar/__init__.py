"""Granite Speech 4.1 2B NAR, implemented in the app (no remote code): load_nar, NarModel, NarEngine."""

from __future__ import annotations

from app.asr.nar.model import NarModel, NarResult, ctc_collapse, insertion_slots, load_nar

__all__ = ["NarModel", "NarResult", "ctc_collapse", "insertion_slots", "load_nar", "NarEngine"]


def __getattr__(name: str) -> object:
    if name == "NarEngine":
        from app.asr.nar.engine import NarEngine

        return NarEngine
    raise AttributeError(name)
