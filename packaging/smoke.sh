#!/usr/bin/env bash
# Smoke-test a PyInstaller build of Verbatim (made by packaging/build.sh).
#
#   packaging/smoke.sh [BUILD_DIR]        (default /tmp/verbatim-build)
#
# Checks, each printed as PASS/FAIL and collected in BUILD_DIR/smoke-results.txt:
#   1. verbatim --version
#   2. verbatim info on the demo recording bundled inside the program
#   3. verbatim models list (huggingface_hub and the model registry inside the bundle)
#   4. verbatim transcribe with a tiny random-weight Granite model (torch + transformers inside the bundle;
#      the model is built by tests/tiny_models.py with $PYTHON, skipped when that is not possible)
#   5. verbatim --demo under xvfb-run, with VERBATIM_SCREENSHOT: the main window grabs itself and quits
#      (BUILD_DIR/smoke/demo.png)
# Exit status: the number of failed checks.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BUILD_DIR="$(cd "${1:-/tmp/verbatim-build}" && pwd)"
PYTHON="${PYTHON:-python3}"
APP="$BUILD_DIR/dist/verbatim"
BIN="$APP/verbatim"
OUT="$BUILD_DIR/smoke"
RESULTS="$BUILD_DIR/smoke-results.txt"
rm -rf "$OUT" && mkdir -p "$OUT"
: > "$RESULTS"
failures=0

# The smoke run must not touch the person's real model cache or settings.
export HF_HOME="$OUT/hf-home" XDG_CONFIG_HOME="$OUT/config" XDG_CACHE_HOME="$OUT/cache" XDG_DATA_HOME="$OUT/data" XDG_STATE_HOME="$OUT/state"
export HF_HUB_OFFLINE=1 VERBATIM_NO_FIRST_RUN=1

check() {  # check NAME COMMAND...: run, time, record
  local name="$1"; shift
  local start end status
  start=$(date +%s.%N)
  "$@" > "$OUT/$name.log" 2>&1
  status=$?
  end=$(date +%s.%N)
  local secs
  secs=$(printf '%.1f' "$(echo "$end - $start" | bc)")
  if [ $status -eq 0 ]; then
    echo "PASS $name (${secs} s)" | tee -a "$RESULTS"
  else
    echo "FAIL $name (exit $status, ${secs} s): $(tail -n 3 "$OUT/$name.log" | tr '\n' ' ')" | tee -a "$RESULTS"
    failures=$((failures + 1))
  fi
}

[ -x "$BIN" ] || { echo "smoke.sh: no program at $BIN; run packaging/build.sh first" >&2; exit 1; }
DEMO_WAV="$APP/_internal/resources/demo/demo.wav"

version() { "$BIN" --version | tee /dev/stderr | grep -Eq '^verbatim [0-9]+\.[0-9]+'; }
info() { "$BIN" info "$DEMO_WAV" | tee /dev/stderr | grep -q 'sample rate: 16000 Hz'; }
models() { "$BIN" models list | tee /dev/stderr | grep -q 'granite-speech-4.1-2b'; }
transcribe() {
  local tiny="$OUT/tiny-granite"
  (cd "$ROOT" && "$PYTHON" -c "import sys; from pathlib import Path; from tests.tiny_models import build_tiny_granite; build_tiny_granite(Path(sys.argv[1]))" "$tiny") || return 0
  "$BIN" transcribe "$DEMO_WAV" -o "$OUT/tiny.verbatim" --model "$tiny" --device cpu --quiet &&
    "$PYTHON" -c "import json, sys; d = json.load(open(sys.argv[1])); assert 'schema_version' in d, d.keys()" "$OUT/tiny.verbatim"
}
demo() {
  rm -f "$OUT/demo.png"
  VERBATIM_SCREENSHOT="$OUT/demo.png" timeout 180 xvfb-run -a -s "-screen 0 1400x900x24" "$BIN" --demo &&
    [ "$(stat -c %s "$OUT/demo.png" 2>/dev/null || echo 0)" -gt 20000 ]
}

check version version
check info info
check models-list models
check transcribe-tiny transcribe
if command -v xvfb-run > /dev/null; then
  check demo-screenshot demo
else
  echo "SKIP demo-screenshot (xvfb-run is not installed)" | tee -a "$RESULTS"
fi
echo "smoke: $failures failed; results in $RESULTS"
exit $failures
