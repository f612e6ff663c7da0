"""The transcription server on a local Ray cluster: throughput with 1 and 2 replicas, latency under 4 clients.

    python tests/perf/bench_server.py --replicas 1        # then --replicas 2; each run starts its own cluster
    python tests/perf/bench_server.py --replicas 2 --clients 4 --jobs 8 --seconds 60

Each client uploads 1-minute recordings (tones over noise, `tests/server_support.recording`) to the server
(`granite` = the tiny random-weight 2b-topology model, or `nar`) and waits for the result, `--jobs` in all.
Throughput = audio seconds transcribed / wall seconds for all jobs; latency = upload to result per job
(p50, p95). The same recordings are also run locally, one after the other, in this process, for the
overhead. CPU only; on a shared machine the numbers move with the load, so compare rows of one run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from app.asr.engines.base import TranscribeOptions, collect  # noqa: E402
from app.asr.engines.remote_engine import RemoteEngine, ServerAddress  # noqa: E402
from tests.server_support import recording, running_server  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--replicas", type=int, default=1)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--jobs", type=int, default=8)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--model", choices=("granite", "nar"), default="granite")
    p.add_argument("--cpus", type=int, default=2, help="CPUs the local Ray cluster may use")
    p.add_argument("--local-threads", type=int, default=1, help="torch threads of the local comparison run")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="verbatim-bench-server-") as tmp:
        folder = Path(tmp)
        files = [recording(folder / f"rec{i}.wav", args.seconds, seed=i) for i in range(args.jobs)]
        started = time.monotonic()
        with running_server(folder, num_cpus=args.cpus, min_replicas=args.replicas, max_replicas=args.replicas,
                            replica_cpus=0, max_jobs_per_token=args.clients) as server:
            print(f"server ready in {time.monotonic() - started:.0f} s with {args.replicas} replica(s)", flush=True)
            address = ServerAddress(server.url, server.token)
            collect(RemoteEngine(address, args.model).transcribe_file(files[0], TranscribeOptions()))  # warm-up
            todo = list(files)
            lock = threading.Lock()
            latencies: list[float] = []

            def client() -> None:
                engine = RemoteEngine(address, args.model)
                while True:
                    with lock:
                        if not todo:
                            return
                        media = todo.pop()
                    t0 = time.monotonic()
                    collect(engine.transcribe_file(media, TranscribeOptions()))
                    with lock:
                        latencies.append(time.monotonic() - t0)

            t0 = time.monotonic()
            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.monotonic() - t0
            folder_of = server.granite if args.model == "granite" else server.nar
        import torch

        from app.asr.engines.factory import create_engine
        from app.audio.cache import load_audio

        torch.set_num_threads(args.local_threads)  # Ray gives each replica one thread (OMP_NUM_THREADS=1)

        engine = create_engine(str(folder_of), "cpu")
        collect(engine.transcribe(load_audio(files[0]).samples, TranscribeOptions()))  # warm-up
        t0 = time.monotonic()
        for media in files:
            collect(engine.transcribe(load_audio(media).samples, TranscribeOptions()))
        local = time.monotonic() - t0
    audio = args.seconds * args.jobs
    print(f"| {args.model} | {args.replicas} | {args.clients} | {args.jobs} x {args.seconds:.0f} s | "
          f"{audio / wall:.1f} | {percentile(latencies, 0.5):.1f} s | {percentile(latencies, 0.95):.1f} s | "
          f"{audio / local:.1f} | {wall / local:.2f} |")
    print("columns: model | replicas | clients | jobs | server audio s per wall s | p50 | p95 | "
          "local audio s per wall s (one process, sequential) | server wall / local wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
