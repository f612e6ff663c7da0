"""Benchmark: how much continuous typing a kill -9 loses, at random moments. Run by hand:

    PYTHONPATH=. python tests/perf/bench_crash_typing.py [--runs 20] [--min 3] [--max 15] [--seed N]

Each run starts a real Verbatim window in a child process (offscreen) on a copy of the demo project, types
one keystroke every 60 ms without a pause, and after a random time between --min and --max seconds sends
SIGKILL. The journal left behind is read back; the typing lost is the time from the first keystroke the
journal lacks to the kill. The promise (issue 9): at most the last 3 s, whatever the moment.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from typing_child import typing_lost_at_kill


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--min", type=float, default=3.0)
    parser.add_argument("--max", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    losses = []
    for run in range(1, args.runs + 1):
        moment = rng.uniform(args.min, args.max)
        folder = Path(tempfile.mkdtemp(prefix="verbatim-crash-"))
        try:
            lost, typed, saved = typing_lost_at_kill(folder, moment)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        losses.append(lost)
        print(f"run {run:2d}: kill -9 after {moment:5.1f} s, {typed:3d} keys typed, {saved:3d} journaled, "
              f"lost {lost:.2f} s", flush=True)
    print(f"max lost {max(losses):.2f} s, mean {sum(losses) / len(losses):.2f} s over {len(losses)} runs")
    return 0 if max(losses) <= 3.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
