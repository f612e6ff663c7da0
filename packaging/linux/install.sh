#!/usr/bin/env bash
# Install a PyInstaller build of Verbatim for one user (or system-wide with PREFIX=/usr/local, as root):
# the program folder, a `verbatim` link on PATH, the .desktop entry (opens recordings and .verbatim
# projects), the .verbatim MIME type, the AppStream metainfo and the icons.
#
#   packaging/linux/install.sh [BUILD_DIR]     (default /tmp/verbatim-build; PREFIX default ~/.local)
#   packaging/linux/install.sh --uninstall
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PREFIX="${PREFIX:-$HOME/.local}"
ID="io.github.verbatim_studio.Verbatim"
SHARE="$PREFIX/share"

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$PREFIX/lib/verbatim" "$PREFIX/bin/verbatim" "$SHARE/applications/$ID.desktop" \
    "$SHARE/mime/packages/$ID.xml" "$SHARE/metainfo/$ID.metainfo.xml" "$SHARE"/icons/hicolor/*/apps/"$ID".{png,svg}
else
  APP="${1:-/tmp/verbatim-build}/dist/verbatim"
  [ -x "$APP/verbatim" ] || { echo "install.sh: no build at $APP; run packaging/build.sh first" >&2; exit 1; }
  mkdir -p "$PREFIX/lib" "$PREFIX/bin"
  rm -rf "$PREFIX/lib/verbatim"
  cp -a "$APP" "$PREFIX/lib/verbatim"
  ln -sf "$PREFIX/lib/verbatim/verbatim" "$PREFIX/bin/verbatim"
  sed "s|^Exec=verbatim|Exec=$PREFIX/bin/verbatim|" "$HERE/$ID.desktop" > "$HERE/.$ID.desktop.tmp"
  install -Dm644 "$HERE/.$ID.desktop.tmp" "$SHARE/applications/$ID.desktop" && rm -f "$HERE/.$ID.desktop.tmp"
  install -Dm644 "$HERE/$ID.xml" "$SHARE/mime/packages/$ID.xml"
  install -Dm644 "$HERE/$ID.metainfo.xml" "$SHARE/metainfo/$ID.metainfo.xml"
  for size in 16 22 24 32 48 64 128 256 512; do
    install -Dm644 "$ROOT/resources/icons/verbatim-$size.png" "$SHARE/icons/hicolor/${size}x${size}/apps/$ID.png"
  done
  install -Dm644 "$ROOT/resources/icons/verbatim.svg" "$SHARE/icons/hicolor/scalable/apps/$ID.svg"
fi
# Refresh the desktop's caches where the tools exist (all optional).
command -v update-mime-database > /dev/null && update-mime-database "$SHARE/mime" || true
command -v update-desktop-database > /dev/null && update-desktop-database "$SHARE/applications" || true
command -v gtk-update-icon-cache > /dev/null && gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" || true
echo "done: $PREFIX"
