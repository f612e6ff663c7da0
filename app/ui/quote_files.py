"""Files the quote workflow writes from the window: audio clips, highlight exports and the house style.

Each function asks where to write (a file dialog) unless it is given a path, and turns an error a
person can cause into one sentence in a message box; the open work is never touched. They get what
they need in a `FileContext` (the widget dialogs open over, the open project, where sentences go).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from app.core.errors import VerbatimError
from app.core.project import Project
from app.core.quotes import QuoteStyle, QuoteStyleError, format_quote

CLIP_FILTER = "WAV audio (*.wav);;FLAC audio (*.flac);;MP3 audio (*.mp3);;M4A audio (*.m4a)"
SUBTITLES_FILTER = "SubRip subtitles (*.srt);;WebVTT subtitles (*.vtt)"
HIGHLIGHTS_FILTER = "Word document (*.docx);;Plain text (*.txt);;CSV spreadsheet (*.csv)"


@dataclass(frozen=True)
class FileContext:
    """What a quote file action works with: the widget its dialogs open over, the open project (None:
    none) and `say`, which shows one sentence in the status bar."""

    parent: QWidget | None
    project: Project | None
    say: Callable[[str], None]


def load_style(say: Callable[[str], None]) -> QuoteStyle:
    """The saved house style; the default (and a status-bar sentence) when the saved one is damaged."""
    from app.core.quote_settings import load_quote_style

    try:
        return load_quote_style()
    except QuoteStyleError as exc:
        say(str(exc))
        return QuoteStyle()


def _ask(parent: QWidget | None, title: str, filters: str, path: Path | None) -> Path | None:
    if path is not None:
        return path
    name, _ = QFileDialog.getSaveFileName(parent, title, "", filters)
    return Path(name) if name else None


def export_clip(ctx: FileContext, span: tuple[int, int] | None, words: tuple[int, int] | None,
                style: QuoteStyle, path: Path | None = None) -> Path | None:
    """Cut `span` (ms) from the original recording; the quote of `words` goes into the metadata."""
    from app.audio.clips import write_clip

    project = ctx.project
    if span is None or project is None:
        ctx.say("Select words or a stretch of the waveform (Shift+drag) first.")
        return None
    media = project.media_path
    if media is None or not Path(media).is_file():
        QMessageBox.warning(ctx.parent, "Export Clip", "The recording cannot be found, so no clip can be cut.")
        return None
    path = _ask(ctx.parent, "Export Clip", CLIP_FILTER, path)
    if path is None:
        return None
    doc = project.transcript
    title, artist = "", ""
    if words is not None:
        title = format_quote(doc, words[0], words[1], style)
        ws = doc.words[words[0]:words[1]]
        artist = " / ".join(dict.fromkeys(doc.speaker_name(w.speaker) for w in ws if w.speaker))
    try:
        info = write_clip(media, path, span[0], span[1], duration_ms=project.media_duration_ms, title=title,
                          artist=artist, comment=f"{Path(media).name} (Verbatim)", protect=(project.path,))
    except VerbatimError as exc:
        QMessageBox.warning(ctx.parent, "Export Clip", str(exc))
        return None
    ctx.say(f"Clip saved: {info.path.name} ({(info.end_ms - info.start_ms) / 1000:.1f} s).")
    return info.path


def export_selection_subtitles(ctx: FileContext, span: tuple[int, int] | None,
                               words: tuple[int, int] | None, path: Path | None = None) -> Path | None:
    """The selected words as SRT or WebVTT, timed from the selection's start (to go with its clip)."""
    from app.core.exporters import export_document
    from app.core.project import Project
    from app.core.quote_range import selection_transcript

    project = ctx.project
    if project is None or span is None or words is None:
        ctx.say("Select the words to export as subtitles first.")
        return None
    path = _ask(ctx.parent, "Export Selection as Subtitles", SUBTITLES_FILTER, path)
    if path is None:
        return None
    part = selection_transcript(project.transcript, words[0], words[1], span[0])
    try:
        out = export_document(path.suffix or "srt", Project(part, path=project.path), path)
    except VerbatimError as exc:
        QMessageBox.warning(ctx.parent, "Export Selection as Subtitles", str(exc))
        return None
    ctx.say(f"Subtitles saved: {out.name}.")
    return out


def export_highlights(ctx: FileContext, style: QuoteStyle, path: Path | None = None) -> Path | None:
    """Save the project's highlights alone as DOCX, TXT or CSV (by the file's extension)."""
    from app.core.exporters.highlights_export import export_highlights as write_highlights

    project = ctx.project
    if project is None:
        return None
    path = _ask(ctx.parent, "Export Highlights", HIGHLIGHTS_FILTER, path)
    if path is None:
        return None
    try:
        out = write_highlights(path.suffix or "docx", project, path, style)
    except VerbatimError as exc:
        QMessageBox.warning(ctx.parent, "Export Highlights", str(exc))
        return None
    ctx.say(f"Highlights saved: {out.name}.")
    return out


def edit_style(ctx: FileContext, current: QuoteStyle) -> None:
    """Ask for the house quote template and save it for every project (and `verbatim quote`)."""
    from app.core.quote_settings import save_quote_style

    text, ok = QInputDialog.getText(
        ctx.parent, "Quote Style", "Template ({quote} {text} {speaker} {time} {end}):", text=current.template)
    if not ok or not text.strip():
        return
    try:
        save_quote_style(QuoteStyle(text.strip(), current.check_note))
    except VerbatimError as exc:
        QMessageBox.warning(ctx.parent, "Quote Style", str(exc))
        return
    ctx.say("Quote style saved.")
