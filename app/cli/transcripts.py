"""`verbatim import` and `verbatim export`: transcripts in and out of project files, without the GUI.

    verbatim import SUBTITLES --media MEDIA -o PROJECT.json
    verbatim export PROJECT.json --format srt|vtt|docx|txt|json -o OUT [--timestamps] [--no-speakers] [--title T]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.core.errors import ImportExportError, MediaError, VerbatimError
from app.core.exporters import ExportOptions, export_document
from app.core.importers import import_transcript
from app.core.timecode import FAR_PAST_MS, format_timecode

# a transcript may end a little after the recording (rounding, a last word's tail) without a warning
OVERRUN_TOLERANCE_MS = 1000


def run(args: argparse.Namespace) -> int:
    """Run the `import` or `export` subcommand; errors a user can cause raise VerbatimError."""
    if args.command == "import":
        return run_import(args)
    if args.command == "export":
        return run_export(args)
    raise VerbatimError(f'"{args.command}" is not a transcript command.')


def run_import(args: argparse.Namespace) -> int:
    """Make a project from a subtitle or Verbatim JSON file and the recording it belongs to."""
    from app.audio.decode import probe
    from app.core.fingerprint import media_fingerprint
    from app.core.input_checks import check_input_file, refuse_overwriting_inputs
    from app.core.project import Project, save_project

    media = check_input_file(Path(args.media), "recording")
    check_input_file(Path(args.subtitles), "transcript")
    refuse_overwriting_inputs(args.output, {"the recording": media, "the transcript being imported": args.subtitles})
    transcript = import_transcript(args.subtitles)
    info = probe(media)
    duration_ms = int(round(info.duration_s * 1000)) if info.duration_s is not None else None
    try:
        fingerprint = media_fingerprint(media)
    except OSError as exc:
        raise MediaError(f"Cannot read the recording {media}: {exc.strerror or exc}.") from exc
    if duration_ms is not None and transcript.duration_ms > duration_ms + FAR_PAST_MS:
        raise ImportExportError(
            f"The transcript runs to {format_timecode(transcript.duration_ms)}, far past the end of {media.name} "
            f"({format_timecode(duration_ms)}); import it with the recording it belongs to.")
    if duration_ms is not None and transcript.duration_ms > duration_ms + OVERRUN_TOLERANCE_MS:
        print(
            f"verbatim: warning: the transcript runs to {format_timecode(transcript.duration_ms)}, "
            f"past the end of {media.name} ({format_timecode(duration_ms)}).",
            file=sys.stderr,
        )
    project = Project(
        transcript=transcript,
        media_path=media.resolve(),
        media_fingerprint=fingerprint,
        media_duration_ms=duration_ms,
    )
    output = Path(args.output)
    if not output.parent.is_dir():
        raise ImportExportError(f"Cannot write {output}: the folder {output.parent} does not exist.")
    save_project(project, output)
    print(f"{output}: {len(transcript)} words, {len(transcript.speakers)} speakers")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write a project as SRT, WebVTT, DOCX, plain text or Verbatim JSON."""
    from app.cli.quotes import run_export_selection
    from app.core.exporters import EXTENSIONS
    from app.core.input_checks import check_input_file, refuse_other_kind, refuse_overwriting_inputs
    from app.core.project import load_project

    check_input_file(Path(args.project), "project")
    refuse_overwriting_inputs(args.output, {"the project being exported": args.project})
    if args.format in EXTENSIONS:
        refuse_other_kind(args.output, EXTENSIONS[args.format])
    project = load_project(args.project)
    refuse_overwriting_inputs(args.output, {"the project's recording": project.media_path})
    selected = run_export_selection(args)  # --only highlights, or --from/--to
    if selected is not None:
        return selected
    if len(project.transcript) == 0:
        raise ImportExportError(f"The project {Path(args.project).name} has no words to export.")
    options = ExportOptions(
        timestamps=True if getattr(args, "timestamps", False) else None,  # None: the format's default
        speakers=not getattr(args, "no_speakers", False),
        title=getattr(args, "title", None),
    )
    path = export_document(args.format, project, args.output, options)
    print(f"{path}: {args.format}, {len(project.transcript)} words")
    return 0
