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


# ---- the CPU: flags, physical cores, free memory (no torch needed) ---------------------------------

def cpu_info_text() -> str:
    """The text of /proc/cpuinfo ("" where there is none: macOS, Windows)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def cpu_flags(text: str | None = None) -> frozenset[str]:
    """The instruction-set flags the CPU reports (Linux /proc/cpuinfo), e.g. "avx512_bf16", "amx_bf16"."""
    text = cpu_info_text() if text is None else text
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def cpu_model_name(text: str | None = None) -> str:
    """The CPU's model name ("CPU" when unknown)."""
    text = cpu_info_text() if text is None else text
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "Hardware") and value.strip():
            return value.strip()
    import platform

    return platform.processor() or platform.machine() or "CPU"


def native_bf16(flags: frozenset[str]) -> bool:
    """Whether the CPU computes bfloat16 in hardware (AVX-512 BF16 or AMX on x86; BF16 on Arm)."""
    return bool(flags & {"avx512_bf16", "amx_bf16", "bf16"})


def physical_cores(text: str | None = None) -> int:
    """Physical cores this process may use: hyper-threads of one core count once; never more than the affinity."""
    allowed = _allowed_cpus()
    text = cpu_info_text() if text is None else text
    cores: set[tuple[str, str]] = set()
    processors = 0
    phys = core = ""
    for line in text.splitlines() + [""]:
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "processor":
            processors += 1
        elif key == "physical id":
            phys = value.strip()
        elif key == "core id":
            core = value.strip()
        elif not line.strip() and core:
            cores.add((phys, core))
            phys = core = ""
    count = len(cores) if cores else (os.cpu_count() or 1)
    if processors and cores and allowed < processors:  # a container limited to some CPUs
        count = max(1, round(allowed * len(cores) / processors))
    return max(1, min(count, allowed))


def _allowed_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def free_memory() -> int | None:
    """Memory available to a new program now, in bytes (MemAvailable on Linux; None when unknown)."""
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def use_physical_cores() -> int:
    """Make torch compute with one thread per physical core (hyper-threads slow matrix work down); returns it.

    Call before a model runs; the audio decoding and resampling threads are I/O-sized and few, so together
    they do not oversubscribe the cores.
    """
    import torch

    n = physical_cores()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def likely_device() -> str:
    """The device a transcription will probably use, guessed without importing torch (for dialogs):
    torch's own answer when it is already loaded, else "cuda" with an NVIDIA driver, "mps" on Apple silicon."""
    import platform
    import sys

    if "torch" in sys.modules:
        return detect_hardware().kind
    if os.path.exists("/proc/driver/nvidia/version"):
        return "cuda"
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return "mps"
    return "cpu"
