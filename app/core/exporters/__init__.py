"""Exporters: SRT, WebVTT, DOCX, plain text and Verbatim JSON, from a Transcript or a Project.

Every `export_<fmt>(source, path, options=None) -> Path` writes atomically and raises
`ImportExportError` with one sentence when the file cannot be written. `export_document` picks
the exporter by format name, as the CLI and the GUI's export dialog do.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.core.errors import ImportExportError
from app.core.exporters.common import ExportOptions
from app.core.exporters.docx_export import build_docx, export_docx
from app.core.exporters.json_export import export_json, render_json, transcript_to_dict
from app.core.exporters.srt import export_srt, render_srt
from app.core.exporters.text import export_txt, render_text
from app.core.exporters.vtt import export_vtt, render_vtt

EXPORTERS: dict[str, Callable[..., Path]] = {
    "srt": export_srt,
    "vtt": export_vtt,
    "docx": export_docx,
    "txt": export_txt,
    "json": export_json,
}

# file-name extension for each format (the GUI's save dialog uses it)
EXTENSIONS = {"srt": ".srt", "vtt": ".vtt", "docx": ".docx", "txt": ".txt", "json": ".json"}


def export_document(
    fmt: str, source: Any, path: str | os.PathLike[str], options: ExportOptions | None = None
) -> Path:
    """Write `source` (a Transcript or a Project) to `path` in format `fmt` (srt, vtt, docx, txt, json)."""
    exporter = EXPORTERS.get(fmt.lower().lstrip("."))
    if exporter is None:
        raise ImportExportError(f'"{fmt}" is not an export format; choose one of {", ".join(EXPORTERS)}.')
    project_path = getattr(source, "path", None)
    if project_path is not None and Path(path).resolve() == Path(project_path).resolve():
        raise ImportExportError("The export would overwrite the project itself; choose another output file.")
    from app.core.input_checks import refuse_overwriting_inputs

    refuse_overwriting_inputs(path, {"the project": project_path, "the recording": getattr(source, "media_path", None)})
    return exporter(source, path, options)


__all__ = [
    "EXPORTERS",
    "EXTENSIONS",
    "ExportOptions",
    "build_docx",
    "export_document",
    "export_docx",
    "export_json",
    "export_srt",
    "export_txt",
    "export_vtt",
    "render_json",
    "render_srt",
    "render_text",
    "render_vtt",
    "transcript_to_dict",
]
