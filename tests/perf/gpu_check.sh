#!/usr/bin/env bash
# The GPU check in one command (see tests/perf/gpu_check.py): under 8 minutes on an H100/H200, no network.
#   bash tests/perf/gpu_check.sh           results in $OUT (default ./gpu_check_out) and tests/perf/RESULTS.md
#   bash tests/perf/gpu_check.sh --tiny    tiny models on the CPU (the test suite runs this)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"
if [ -x "$root/.venv/bin/python" ] && [ -z "${PYTHON:-}" ]; then python="$root/.venv/bin/python"; fi
# every step has its own guard inside; this outer one only catches a hang in the driver itself
exec timeout 475 "$python" "$here/gpu_check.py" "$@"
