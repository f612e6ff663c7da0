"""The GPU check's `--tiny` dry run: the same script, its steps and its report, on the CPU with tiny models,
so that it still runs the day a GPU is available."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_check_dry_run_on_the_cpu(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n")
    env = {**os.environ, "OUT": str(tmp_path / "out"), "PYTHON": sys.executable, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["bash", str(ROOT / "tests" / "perf" / "gpu_check.sh"), "--tiny", "--results", str(results)],
                          env=env, capture_output=True, text=True, timeout=400)
    report = json.loads((tmp_path / "out" / "gpu_check.json").read_text())
    assert done.returncode == 0, {k: v.get("error") for k, v in report.items() if isinstance(v, dict)}
    fixture_rows = report["fixtures"]["rows"]
    assert report["fixtures"]["fp32_ids_equal"] is True  # the app's NAR reproduces the golden ids in fp32
    assert {r["dtype"] for r in fixture_rows} == {"float32", "bfloat16"}
    assert all(r["first difference"] == "" or r["fp32 margin there"] != "" for r in fixture_rows)
    assert [r["batch"] for r in report["nar"]["rows"]] == [1, 2] and all(r["RTFx"] > 0 for r in report["nar"]["rows"])
    spec = {r["decoding"]: r for r in report["speculative"]["rows"]}
    assert spec["spec, draft = plain output"]["same ids as plain"] == "2/2"  # exact, and fewer LLM passes
    assert spec["spec, draft = plain output"]["LLM passes"] < 12
    assert spec["spec, draft 90% right"]["same ids as plain"] == "2/2"
    interview = report["interview"]["rows"][0]
    assert interview["finished"] is True and interview["pieces"].startswith(interview["pieces"].split("/")[1])
    text = results.read_text()
    assert text.startswith("# Benchmark results\n") and "## GPU check (`tests/perf/gpu_check.sh` --tiny)" in text
    assert "| batch | decoding | wall s | RTFx | tokens/s |" in text
