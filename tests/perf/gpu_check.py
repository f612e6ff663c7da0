"""The GPU check: four measurements in one command, each in its own process with a time guard.

    bash tests/perf/gpu_check.sh            # on a CUDA machine (H100/H200): under 8 minutes
    bash tests/perf/gpu_check.sh --tiny     # tiny models on the CPU: checks that this script still works

1. fixtures: the NAR golden fixture (tests/data/granite_nar_tiny, or --fixture) through the app's NAR model
   on the device in fp32 with SDPA (ids must equal expected.json) and in bf16 with flash-attn if importable,
   else SDPA (whose flash kernel torch picks where it applies): ids equal, or the first difference with
   fp32's top-two margin there.
2. nar: full-size random-weight NAR, RTFx and peak memory at batch 1/32/128/256 on 30 s clips.
3. speculative: full-size random-weight 4.1-2b, plain greedy vs self-speculative at batch 1/32/128,
   100 tokens per piece (end of text suppressed): RTFx and tokens/s. Random weights make the CTC head's
   draft useless, so the drafts are the plain output (upper bound) and the plain output with one token in
   ten edited (realistic); the CTC-head run shows what an unhelpful draft costs after the fallback.
4. interview: the interview pipeline (4.1-2b text + 4.1-2b-plus times and speakers, random full-size
   weights) on a one-hour synthetic recording, outputs capped at 64 tokens per piece: wall time.

Results go to $OUT/gpu_check.json and a section of tests/perf/RESULTS.md (--results; --tiny writes none
unless given). No network is needed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
STEPS = {"fixtures": 75, "nar": 120, "speculative": 140, "interview": 130}  # seconds each, 465 in all
TINY_STEPS = {"fixtures": 120, "nar": 120, "speculative": 180, "interview": 180}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tiny", action="store_true", help="tiny models on the CPU (the suite runs this)")
    p.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or ROOT / "gpu_check_out"))
    p.add_argument("--results", type=Path, help="the RESULTS.md to add a section to (default: tests/perf's)")
    p.add_argument("--fixture", type=Path, default=ROOT / "tests" / "data" / "granite_nar_tiny")
    p.add_argument("--step", choices=tuple(STEPS), help=argparse.SUPPRESS)  # run one step in this process
    p.add_argument("--deadline", type=float, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.step:
        from gpu_check_steps import run_step

        result = run_step(args.step, args.tiny, args.fixture, args.deadline or time.time() + 60)
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    return run_all(args)


def run_all(args: argparse.Namespace) -> int:
    """Every step in its own process, killed at its time guard; a failed step does not stop the others."""
    args.out.mkdir(parents=True, exist_ok=True)
    budget = TINY_STEPS if args.tiny else STEPS
    started = time.time()
    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "tiny": args.tiny}
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{Path(__file__).parent}{os.pathsep}"
           + os.environ.get("PYTHONPATH", ""), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "VERBATIM_CONFIG_DIR": str(args.out / "config")}  # no user folders (and no platformdirs) needed
    for step, seconds in budget.items():
        t0 = time.time()
        cmd = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--fixture", str(args.fixture),
               "--deadline", str(t0 + seconds - 10)] + (["--tiny"] if args.tiny else [])
        try:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds)
            lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
            if done.returncode == 0 and lines:
                results[step] = json.loads(lines[-1][7:])
            else:
                results[step] = {"error": f"exit {done.returncode}: {done.stderr.strip()[-1500:]}"}
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            lines = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
            results[step] = json.loads(lines[-1][7:]) if lines else {}  # the rows measured before the guard
            results[step]["error"] = f"stopped by its time guard after {seconds} s"
        results[step]["wall_s"] = round(time.time() - t0, 1)
        print(f"gpu_check: {step} done in {results[step]['wall_s']} s", flush=True)
        (args.out / "gpu_check.json").write_text(json.dumps(results, indent=1))
    results["total_s"] = round(time.time() - started, 1)
    (args.out / "gpu_check.json").write_text(json.dumps(results, indent=1))
    section = markdown(results)
    (args.out / "RESULTS_gpu_check.md").write_text(section)
    target = args.results or (None if args.tiny else ROOT / "tests" / "perf" / "RESULTS.md")
    if target is not None:
        with open(target, "a", encoding="utf-8") as f:
            f.write("\n" + section)
    print(section)
    return 0 if all("error" not in results[s] for s in budget) else 1


def markdown(r: dict[str, Any]) -> str:
    """The RESULTS.md section for one run."""
    env = next((r[s]["env"] for s in STEPS if isinstance(r.get(s), dict) and "env" in r[s]), {})
    lines = [f"## GPU check (`tests/perf/gpu_check.sh`{' --tiny' if r['tiny'] else ''})", "",
             f"{r['started']}, {env.get('device', '?')}, torch {env.get('torch', '?')}, transformers "
             f"{env.get('transformers', '?')}, flash-attn {env.get('flash_attn', '?')}; total {r.get('total_s')} s.",
             ""]
    for step in STEPS:
        res = r.get(step, {})
        failed = f": failed: {res['error']}" if "error" in res else ""
        lines.append(f"**{step}** ({res.get('wall_s', '?')} s){failed}")
        lines.append("")
        rows = res.get("rows", [])
        if rows:
            keys = list(dict.fromkeys(k for row in rows for k in row))  # every column, first-seen order
            lines.append("| " + " | ".join(keys) + " |")
            lines.append("|" + "---|" * len(keys))
            for row in rows:
                lines.append("| " + " | ".join(str(row.get(k, "")) for k in keys) + " |")
            lines.append("")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
