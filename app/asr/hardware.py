"""What this machine can run a speech model on, and which model to suggest first.

Never raises: a broken GPU driver must not stop the app from starting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HardwareInfo:
    """What can run a model: `kind` is "cuda", "mps" or "cpu"; memories in bytes (None when unknown)."""

    kind: str
    name: str
    gpu_memory: int | None = None
    system_memory: int | None = None
    cpu_count: int = 1

    def describe(self) -> str:
        if self.kind == "cuda":
            return f"GPU {self.name} with {memory_text(self.gpu_memory or 0)} of memory (CUDA)"
        ram = f", {memory_text(self.system_memory)} shared memory" if self.system_memory else ""
        if self.kind == "mps":
            return f"Apple GPU (Metal/MPS){ram}"
        ram = f", {memory_text(self.system_memory)} memory" if self.system_memory else ""
        return f"No GPU found: CPU only ({self.cpu_count} cores{ram})"


@dataclass(frozen=True, slots=True)
class Recommendation:
    key: str
    reason: str


def format_bytes(n: int | float) -> str:
    """1536 -> "1.5 KB" (decimal units, as disk sizes are shown to people)."""
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def memory_text(n: int) -> str:
    """Memory as vendors label it: binary gigabytes, 24 GiB -> "24 GB"."""
    return f"{n / (1 << 30):.0f} GB" if n >= (1 << 30) else format_bytes(n)


def detect_hardware() -> HardwareInfo:
    """Look for a CUDA GPU (name, memory), then Apple MPS; otherwise the CPU. Never raises."""
    system = _system_memory()
    cpus = os.cpu_count() or 1
    try:
        import torch

        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            return HardwareInfo("cuda", props.name, int(props.total_memory), system, cpus)
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return HardwareInfo("mps", "Apple GPU", None, system, cpus)
    except Exception:  # a broken GPU driver must not stop the app from starting
        pass
    return HardwareInfo("cpu", "CPU", None, system, cpus)


def _system_memory() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def recommend(hw: HardwareInfo) -> Recommendation:
    """The model to suggest first for this hardware, with one sentence of why."""
    gib = 1 << 30
    if hw.kind == "cuda" and (hw.gpu_memory or 0) >= 7.5 * gib:
        return Recommendation("2b", f"Your GPU has {memory_text(hw.gpu_memory or 0)} of memory, enough for "
                              "Granite Speech 4.1 2B, for punctuated transcripts ready to quote.")
    if hw.kind == "mps" and (hw.system_memory or 0) >= 15 * gib:
        return Recommendation("2b", "Your Mac's GPU can run Granite Speech 4.1 2B: punctuated transcripts "
                              "ready to quote.")
    if hw.kind == "cpu":
        return Recommendation("nar", "Without a GPU, the fast NAR model is the one that finishes an interview "
                              "in reasonable time.")
    return Recommendation("nar", "Your GPU has little memory; the fast NAR model fits it best.")
