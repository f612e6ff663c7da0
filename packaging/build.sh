#!/usr/bin/env bash
# Build the one-folder Verbatim program with PyInstaller, outside the repository.
#
#   packaging/build.sh [BUILD_DIR]        (default /tmp/verbatim-build)
#
# Result: BUILD_DIR/dist/verbatim/verbatim (run it, or packaging/smoke.sh BUILD_DIR to check it).
# BUILD_DIR/build-stats.txt records the build time and the folder size. PYTHON picks the interpreter
# (default: the one on PATH); it needs the project's dependencies and `pip install pyinstaller`.
# This is heavy (minutes, ~1-3 GB with torch): it is not part of the test suite or CI.
#
#   packaging/build.sh --icons            render resources/icons/verbatim-<size>.png (16..512) from verbatim.svg
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PYTHON="${PYTHON:-python3}"

if [ "${1:-}" = "--icons" ]; then
  QT_QPA_PLATFORM=offscreen "$PYTHON" - "$ROOT/resources/icons" <<'PY'
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

app = QGuiApplication([])
folder = Path(sys.argv[1])
renderer = QSvgRenderer(str(folder / "verbatim.svg"))
assert renderer.isValid(), "verbatim.svg does not render"
for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    image.save(str(folder / f"verbatim-{size}.png"), "PNG")
    print(folder / f"verbatim-{size}.png")
PY
  exit 0
fi

BUILD_DIR="${1:-/tmp/verbatim-build}"

mkdir -p "$BUILD_DIR"
BUILD_DIR="$(cd "$BUILD_DIR" && pwd)"
case "$BUILD_DIR/" in
  "$ROOT"/*) echo "build.sh: build outside the repository, not in $BUILD_DIR" >&2; exit 2 ;;
esac
if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
  echo "build.sh: PyInstaller is missing; run: $PYTHON -m pip install pyinstaller" >&2
  exit 2
fi

start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --workpath "$BUILD_DIR/work" --distpath "$BUILD_DIR/dist" \
  "$HERE/pyinstaller/verbatim.spec"
end=$(date +%s)

APP="$BUILD_DIR/dist/verbatim"
size_h=$(du -sh "$APP" | cut -f1)
size_mb=$(du -sm "$APP" | cut -f1)
files=$(find "$APP" -type f | wc -l)
{
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "python: $("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"
  echo "pyinstaller: $("$PYTHON" -c 'import PyInstaller; print(PyInstaller.__version__)')"
  echo "torch: $("$PYTHON" -c 'import torch; print(torch.__version__)')"
  echo "build_seconds: $((end - start))"
  echo "folder_size: $size_h ($size_mb MiB, $files files)"
  echo "program: $APP/verbatim"
} | tee "$BUILD_DIR/build-stats.txt"
