"""Benchmark: decode + cache + peaks of a two-hour recording against the bare decoders. Run by hand:

    /work/venv/bin/python tests/perf/bench_decode.py [--format m4a|mp3] [--hours 2] [--rounds 2]

It makes (once, kept in --workdir) a synthetic interview: espeak-ng speech looped for the whole length,
mixed with pink noise, 44.1 kHz stereo, encoded by ffmpeg as AAC in M4A or as MP3. Each measurement
runs in its own child process, whose peak RSS is read with os.wait4:

  pyav      PyAV decodes every frame and throws it away (the bare decoder Verbatim sits on)
  ffmpeg    `ffmpeg -i FILE -f null -`
  reader    app.audio.pyav_reader.PyavReader alone: decode and mix to mono at the source rate, in one thread
            (the decode thread of `verbatim`, its critical path on two cores)
  verbatim  app.audio.cache.load_audio into an empty cache folder (decode, mix, soxr to 16 kHz, write the
            raw file, build the peak level 0), then the peak pyramid and one whole-file envelope
  reopen    load_audio again on the same cache (memory-mapped) and the same envelope

Times are the best of --rounds (wall-clock and CPU each the least of the rounds); the ratios to pyav and
ffmpeg are given both in wall-clock time (decoding runs in a thread beside resampling and writing) and in CPU
time (user + sys, which a busy machine disturbs less).
`verbatim` also reports the CPU time of its decode thread (sampled from /proc): on two free cores its
wall-clock time cannot be shorter than that, so decode thread CPU / pyav CPU is about the ratio a quiet machine
shows.
Targets: verbatim within 1.5x of the bare PyAV decode, peak RSS under 400 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEXT = (
    "Thank you for taking the time to talk to us today. Let us start with the bridge. "
    "The council approved the budget in March, and the mayor said the bridge opens in May. "
    "[[_::_]] Some residents told us they were never asked. Others said the new road will help the market."
)
CODECS = {"m4a": ["-c:a", "aac", "-b:a", "96k"], "mp3": ["-c:a", "libmp3lame", "-b:a", "128k"]}


def make_recording(workdir: Path, fmt: str, hours: float) -> Path:
    """The synthetic interview, made once and reused."""
    out = workdir / f"interview_{hours:g}h.{fmt}"
    if out.exists():
        return out
    workdir.mkdir(parents=True, exist_ok=True)
    speech = workdir / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "en", "-s", "150", "-w", str(speech), TEXT], check=True)
    part = out.with_suffix(".part" + out.suffix)
    t0 = time.perf_counter()
    subprocess.run([
        "ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(speech),
        "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.03:sample_rate=44100",
        "-filter_complex",
        "[0:a]aresample=44100[s];[s][1:a]amix=inputs=2:duration=shortest,aformat=channel_layouts=stereo",
        "-t", str(hours * 3600), "-ar", "44100", "-ac", "2", *CODECS[fmt], str(part),
    ], check=True)
    part.rename(out)
    print(f"made {out} ({out.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return out


class _ThreadCpu:
    """Samples /proc/self/task every 20 ms: the CPU seconds of the busiest thread besides the main one (Linux).

    In `verbatim` that is the decode thread, the critical path on two cores; a busy machine stretches wall-clock
    time but hardly this.
    """

    def __init__(self) -> None:
        import threading

        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._me = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import threading

        self._me = threading.get_native_id()
        tick = os.sysconf("SC_CLK_TCK")
        while not self._stop.wait(0.02):
            for task in Path("/proc/self/task").iterdir():
                try:
                    fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue  # the thread ended meanwhile
                self._seen[int(task.name)] = (int(fields[11]) + int(fields[12])) / tick

    def busiest(self) -> float:
        """Stop sampling; the CPU seconds of the busiest other thread (0.0 where /proc is missing)."""
        self._stop.set()
        self._thread.join()
        others = [cpu for tid, cpu in self._seen.items() if tid not in (os.getpid(), self._me)]
        return max(others, default=0.0)


def _child(mode: str, media: Path, cache_dir: Path) -> dict[str, float]:
    """Runs inside a child process: one measurement."""
    sys.path.insert(0, str(REPO))
    t0 = time.perf_counter()
    if mode == "pyav":
        import av

        with av.open(str(media)) as container:
            samples = sum(frame.samples for frame in container.decode(audio=0))
        result = {"decoded_s": samples / 44100}
    elif mode == "reader":
        from app.audio.pyav_reader import PyavReader

        reader = PyavReader(media)
        samples = sum(len(block) for block, _ in reader.blocks())
        result = {"decoded_s": samples / reader.facts.sample_rate}
    else:
        from app.audio.cache import load_audio

        threads = _ThreadCpu()
        audio = load_audio(media, cache_dir=cache_dir)
        times, _, _ = audio.peaks.envelope(0.0, audio.duration_s, 2000)
        result = {"decoded_s": audio.duration_s, "bins": float(len(times)), "memmap": float(
            type(audio.samples).__name__ == "memmap"), "decode_thread_cpu_s": threads.busiest()}
    result["seconds"] = time.perf_counter() - t0
    return result


def measure(cmd: list[str]) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds, peak RSS in MB, stdout) of a child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed with {proc.returncode}")
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--format", choices=sorted(CODECS), default="m4a")
    p.add_argument("--hours", type=float, default=2.0)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "verbatim-bench")
    p.add_argument("--child", nargs=3, metavar=("MODE", "MEDIA", "CACHE"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        mode, media, cache = args.child
        print(json.dumps(_child(mode, Path(media), Path(cache))))
        return 0
    media = make_recording(args.workdir, args.format, args.hours)
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    best: dict[str, dict[str, float]] = {}  # per measurement: the fastest round, and the least CPU of all rounds
    least: dict[str, dict[str, float]] = {}
    for round_no in range(args.rounds):
        cache = Path(tempfile.mkdtemp(prefix="cache", dir=args.workdir))
        runs = {
            "pyav": me + ["pyav", str(media), str(cache)],
            "ffmpeg": ["ffmpeg", "-nostdin", "-v", "error", "-i", str(media), "-f", "null", "-"],
            "reader": me + ["reader", str(media), str(cache)],
            "verbatim": me + ["verbatim", str(media), str(cache)],
            "reopen": me + ["reopen", str(media), str(cache)],
        }
        for name, cmd in runs.items():
            wall, cpu, rss, out = measure(cmd)
            child = json.loads(out) if out.strip() else {}
            inner = child.get("seconds", wall)
            row = {"seconds": inner, "wall_s": wall, "cpu_s": cpu, "rss_mb": rss}
            cpus = {"cpu_s": cpu, "decode_thread_cpu_s": child.get("decode_thread_cpu_s", 0.0)}
            thread = f", decode thread CPU {cpus['decode_thread_cpu_s']:5.2f} s" if name == "verbatim" else ""
            print(f"round {round_no + 1} {name:9s} {inner:8.2f} s  (process {wall:6.2f} s, CPU {cpu:6.2f} s{thread})  "
                  f"peak RSS {rss:6.0f} MB", file=sys.stderr)
            if name not in best or inner < best[name]["seconds"]:
                best[name] = row
            least[name] = {k: min(v, least.get(name, cpus)[k]) for k, v in cpus.items()}
        shutil.rmtree(cache)
    summary = {
        "media": str(media), "format": args.format, "hours": args.hours,
        "best": best,
        "ratio_verbatim_to_pyav": best["verbatim"]["seconds"] / best["pyav"]["seconds"],
        "ratio_verbatim_to_ffmpeg": best["verbatim"]["seconds"] / best["ffmpeg"]["seconds"],
        "ratio_reader_to_pyav": best["reader"]["seconds"] / best["pyav"]["seconds"],
        "least_cpu": least,
        "cpu_ratio_verbatim_to_pyav": least["verbatim"]["cpu_s"] / least["pyav"]["cpu_s"],
        "cpu_ratio_verbatim_to_ffmpeg": least["verbatim"]["cpu_s"] / least["ffmpeg"]["cpu_s"],
        "cpu_ratio_reader_to_pyav": least["reader"]["cpu_s"] / least["pyav"]["cpu_s"],
        "decode_thread_cpu_ratio_to_pyav": least["verbatim"]["decode_thread_cpu_s"] / least["pyav"]["cpu_s"],
        "verbatim_peak_rss_mb": best["verbatim"]["rss_mb"],
        "load_average": os.getloadavg(),
        "targets": {"ratio_to_pyav": 1.5, "peak_rss_mb": 400},
    }
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
