"""`verbatim quote`, `verbatim clip` and `verbatim export --only highlights` / `--from --to`.

    verbatim quote PROJECT --from T --to T [--style TEMPLATE]
    verbatim clip PROJECT --from T --to T -o CLIP.wav|flac|mp3|m4a [--pad-before MS] [--pad-after MS] [--fade MS]
    verbatim export PROJECT --format docx|txt|csv --only highlights -o FILE
    verbatim export PROJECT --format srt|vtt --from T --to T -o FILE   (cue times from the range start)

T is m:ss, m:ss.s, h:mm:ss(.s) or whole milliseconds; a range holds the words whose middle lies in it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.core.errors import ImportExportError, MediaError, VerbatimError
from app.core.project import Project, load_project
from app.core.quote_range import check_range, parse_range_time, selection_transcript, words_in_range
from app.core.quotes import QuoteStyle, QuoteStyleError, format_quote


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The `quote` and `clip` subcommands (registered by app/cli.py)."""
    q = sub.add_parser("quote", help="print the words of a time range as a quote in the house style")
    q.add_argument("project", type=Path)
    q.add_argument("--from", dest="start", required=True, metavar="T", help="m:ss, m:ss.s, h:mm:ss(.s) or ms")
    q.add_argument("--to", dest="end", required=True, metavar="T")
    q.add_argument("--style", help='a template such as "\u201c{quote}\u201d said {speaker}. [{time}]"')
    c = sub.add_parser("clip", help="write a time range of the recording as a WAV, FLAC, MP3 or M4A clip")
    c.add_argument("project", type=Path)
    c.add_argument("--from", dest="start", required=True, metavar="T")
    c.add_argument("--to", dest="end", required=True, metavar="T")
    c.add_argument("-o", "--output", type=Path, required=True, help="the clip file (.wav .flac .mp3 .m4a)")
    c.add_argument("--pad-before", type=int, default=0, metavar="MS", help="extra audio before the range")
    c.add_argument("--pad-after", type=int, default=0, metavar="MS", help="extra audio after the range")
    c.add_argument("--fade", type=int, default=15, metavar="MS", help="fade in and out (at most 20 ms)")


def add_export_options(exp: argparse.ArgumentParser) -> None:
    """`export --only highlights` and `export --from --to` (a selection as SRT/VTT)."""
    exp.add_argument("--only", choices=("highlights",), help="DOCX/TXT/CSV of the highlights alone")
    exp.add_argument("--from", dest="start", metavar="T", help="SRT/VTT: only the words from this time")
    exp.add_argument("--to", dest="end", metavar="T", help="SRT/VTT: only the words up to this time")


def run(args: argparse.Namespace) -> int:
    if args.command == "quote":
        return run_quote(args)
    if args.command == "clip":
        return run_clip(args)
    raise VerbatimError(f'"{args.command}" is not a quote command.')


def _style(template: str | None) -> QuoteStyle:
    if template:
        return QuoteStyle(template).validate()
    from app.core.quote_settings import load_quote_style

    try:
        return load_quote_style()
    except QuoteStyleError as exc:
        print(f"verbatim: warning: {exc}", file=sys.stderr)
        return QuoteStyle()


def _range(project: Project, args: argparse.Namespace) -> tuple[int, int]:
    start, end = parse_range_time(args.start), parse_range_time(args.end)
    doc = project.transcript
    duration = project.media_duration_ms if project.media_duration_ms else (doc.duration_ms or None)
    check_range(start, end, duration)
    return start, end


def run_quote(args: argparse.Namespace) -> int:
    """Print the quote of a time range."""
    project = load_project(args.project)
    start, end = _range(project, args)
    i, j = words_in_range(project.transcript, start, end)
    print(format_quote(project.transcript, i, j, _style(args.style)))
    return 0


def run_clip(args: argparse.Namespace) -> int:
    """Write the audio of a time range, cut from the original recording."""
    from app.audio.clips import write_clip
    from app.core.quote_range import RangeError

    project = load_project(args.project)
    start, end = _range(project, args)
    media = project.media_path
    if media is None or not Path(media).is_file():
        raise MediaError("The project's recording cannot be found, so no clip can be cut from it.")
    doc = project.transcript
    try:
        i, j = words_in_range(doc, start, end)
        title = format_quote(doc, i, j, _style(None))
        speakers = list(dict.fromkeys(doc.speaker_name(w.speaker) for w in doc.words[i:j] if w.speaker))
    except RangeError:
        title, speakers = "", []
    info = write_clip(media, args.output, start, end, pad_before_ms=args.pad_before, pad_after_ms=args.pad_after,
                      fade_ms=args.fade, duration_ms=project.media_duration_ms, title=title,
                      artist=" / ".join(speakers), comment=f"{Path(media).name} {args.start}-{args.end} (Verbatim)",
                      protect=(project.path, Path(args.project)))
    seconds = (info.end_ms - info.start_ms) / 1000
    print(f"{info.path}: {seconds:.2f} s, {info.sample_rate} Hz, {info.channels} channel(s), {info.codec}")
    return 0


def run_export_selection(args: argparse.Namespace) -> int | None:
    """`export --only highlights` or `--from/--to`; None when neither was asked for (a normal export)."""
    only = getattr(args, "only", None)
    ranged = getattr(args, "start", None) is not None or getattr(args, "end", None) is not None
    if not only and not ranged:
        if args.format == "csv":
            raise ImportExportError("CSV export is for highlights: add --only highlights.")
        return None
    project = load_project(args.project)
    if project.media_path is not None and Path(args.output).resolve() == Path(project.media_path).resolve():
        raise ImportExportError("The export would overwrite the recording; choose another output file.")
    if only == "highlights":
        if ranged:
            raise ImportExportError("--only highlights exports every highlight; leave out --from and --to.")
        if args.format not in ("docx", "txt", "csv"):
            raise ImportExportError("Highlights are exported as docx, txt or csv.")
        from app.core.exporters.highlights_export import export_highlights, highlight_rows

        path = export_highlights(args.format, project, args.output, _style(None))
        print(f"{path}: {args.format}, {len(highlight_rows(project.transcript))} highlights")
        return 0
    if args.format not in ("srt", "vtt") or args.start is None or args.end is None:
        raise ImportExportError("A range (--from and --to together) can be exported as srt or vtt.")
    from app.core.exporters import ExportOptions, export_document

    start, end = _range(project, args)
    i, j = words_in_range(project.transcript, start, end)
    part = selection_transcript(project.transcript, i, j, start)
    options = ExportOptions(speakers=not getattr(args, "no_speakers", False))
    path = export_document(args.format, Project(part, path=project.path), args.output, options)
    print(f"{path}: {args.format}, {j - i} words from {args.start} to {args.end}")
    return 0
