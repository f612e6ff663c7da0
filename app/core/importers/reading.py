"""Reading a transcript file as text: BOMs, UTF-8 or legacy Windows encodings, CRLF; clear errors."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from app.core.errors import ImportExportError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
MAX_BYTES = 200 * 1024 * 1024  # no transcript is this large; refuse rather than exhaust memory


def read_text(path: str | os.PathLike[str]) -> str:
    """The file's text with `\\n` line ends and no BOM; ImportExportError when it is missing, empty or binary."""
    from app.core.input_checks import check_input_file

    p = check_input_file(Path(path), "transcript")  # folders, FIFOs, devices: refused before reading
    try:
        if p.stat().st_size > MAX_BYTES:
            raise ImportExportError(f"{p.name} is too large to be a transcript.")
        data = p.read_bytes()
    except OSError as exc:
        raise ImportExportError(f"Cannot read {p}: {exc.strerror or exc}.") from exc
    text = _decode(data)
    if "\x00" in text:
        raise ImportExportError(f"{p.name} is not a text file.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ImportExportError(f"{p.name} is empty.")
    return text


def _decode(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")
