"""`verbatim transcribe MEDIA -o PROJECT.json`: transcribe a recording into a project file, without the GUI.

    verbatim transcribe MEDIA -o PROJECT.json [--model interview|2b|plus|nar|4.0-1b|FOLDER] [--task]
        [--language] [--target] [--keywords "A, B" | --keywords-file F] [--device] [--batch-size N]
        [--no-punctuation] [--quiet]

A progress line on stderr shows pieces, audio time and the time left. The first Ctrl+C stops after the
batch being decoded and still writes the words so far (a second one stops at once, keeping what came
back); the command then says that the project is partial and exits with 130.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from app.core.document import Speaker, Word
from app.core.errors import ProjectError, VerbatimError
from app.core.timecode import format_clock

EXIT_CANCELLED = 130


def read_keywords(args: argparse.Namespace) -> tuple[str, ...]:
    """Keywords from --keywords ("A, B, C") or --keywords-file (one per line, # comments), de-duplicated."""
    raw: list[str] = []
    if getattr(args, "keywords", None):
        raw = args.keywords.split(",")
    elif getattr(args, "keywords_file", None):
        path = Path(args.keywords_file)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise VerbatimError(f"Cannot read the keywords file {path}: {reason}.") from None
        raw = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    out: list[str] = []
    for item in raw:
        word = " ".join(item.split())
        if word and word not in out:
            out.append(word)
    return tuple(out)


def _clock(seconds: float) -> str:
    return format_clock(int(max(0.0, seconds) * 1000))


class ProgressLine:
    """A one-line progress bar on stderr, redrawn with a carriage return."""

    def __init__(self, enabled: bool, stream=None) -> None:
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()
        self.drawn = False

    def show(self, progress) -> None:
        if not self.enabled:
            return
        fraction = min(max(progress.fraction, 0.0), 1.0)
        elapsed = time.monotonic() - self.started
        eta = _clock(elapsed * (1 - fraction) / fraction) if fraction > 0 else "--:--"
        bar = "#" * int(fraction * 24)
        line = (f"\r[{bar:<24}] {progress.pieces_done}/{progress.pieces_total} pieces  "
                f"{_clock(progress.audio_done_s)}/{_clock(progress.audio_total_s)} audio  ETA {eta} ")
        self.stream.write(line)
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def _install_cancel(cancel, say: Callable[[str], None]):
    """First Ctrl+C: cancel after the current batch. Second: KeyboardInterrupt. Returns the old handler."""
    def handler(signum, frame):
        if cancel.cancelled:
            raise KeyboardInterrupt
        cancel.cancel()
        say("\nverbatim: stopping after the current batch (Ctrl+C again to stop now)...")

    try:
        return signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: Ctrl+C keeps its default meaning
        return None


def _quiet_libraries() -> None:
    """No progress bars from transformers / huggingface_hub while loading (--quiet)."""
    try:
        from huggingface_hub.utils import disable_progress_bars
        from transformers.utils import logging as hf_logging

        disable_progress_bars()
        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - both ship with the app
        pass


def _with_paragraphs(words: list, samples) -> list:
    """Paragraph breaks at the recording's long pauses and sentence ends near pauses (as in the editor)."""
    from app.asr.pipeline.segmentation import speech_spans
    from app.core.paragraphs import add_paragraph_breaks, pauses_between

    return add_paragraph_breaks(words, pauses=pauses_between(speech_spans(samples))) if words else words


def run(args: argparse.Namespace) -> int:
    """Transcribe `args.media` into the project `args.output`; 130 when cancelled (partial project written)."""
    from app.asr.catalog import DEFAULT_CHOICE
    from app.asr.engines.base import CancelToken, TranscribeOptions, validate_options
    from app.asr.engines.factory import create_engine, model_capabilities
    from app.audio.cache import load_audio
    from app.audio.decode import check_path
    from app.core.document import Transcript
    from app.core.input_checks import refuse_overwriting_inputs
    from app.core.project import Project, save_project

    check_path(args.media)
    refuse_overwriting_inputs(args.output, {"the recording": args.media,
                                            "the keywords file": getattr(args, "keywords_file", None)})
    output = Path(args.output)
    if not output.parent.resolve().is_dir():
        raise ProjectError(f"The folder {output.parent} does not exist; create it or choose another output.")
    if output.is_dir():
        raise ProjectError(f"{output} is a folder; give a project file name such as {output / 'interview.verbatim'}.")
    if not os.access(output.parent.resolve(), os.W_OK):
        raise ProjectError(f"The folder {output.parent} cannot be written to; choose another output.")
    if args.batch_size < 1:
        raise VerbatimError("--batch-size must be at least 1.")
    options = TranscribeOptions(
        task=args.task,
        language=args.language,
        target_language=args.target,
        keywords=read_keywords(args),
        punctuation=not args.no_punctuation,
        batch_size=args.batch_size,
    )
    args.model = args.model or DEFAULT_CHOICE
    name, caps = model_capabilities(args.model)
    validate_options(name, caps, options)  # before loading anything slow

    def say(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    audio = load_audio(args.media)
    if args.quiet:
        _quiet_libraries()
    say(f"verbatim: loading {name}...")
    engine = create_engine(args.model, args.device, getattr(args, "precision", None))
    cancel = CancelToken()
    bar = ProgressLine(not args.quiet)
    words: list[Word] = []
    speakers: list[Speaker] = []
    interrupted = False
    old_handler = _install_cancel(cancel, say)
    started = time.monotonic()
    try:
        for update in engine.transcribe(audio.samples, options, cancel):
            words.extend(update.words)
            if update.speakers:
                speakers = list(update.speakers)
            bar.show(update.progress)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
        if old_handler is not None:
            signal.signal(signal.SIGINT, old_handler)
    cancelled = interrupted or cancel.cancelled
    if not cancelled:
        from app.asr.models.expected_time import record_engine_speed

        record_engine_speed(args.model, engine, audio.duration_ms / 1000, time.monotonic() - started)

    words = _with_paragraphs(words, audio.samples)
    transcript = Transcript.from_words(words, speakers, options.keywords, engine.settings(options))
    project = Project(transcript, Path(args.media).resolve(), audio.fingerprint, audio.duration_ms)
    save_project(project, output)
    end = _clock(words[-1].end_ms / 1000) if words else "00:00"
    if cancelled:
        print(f"verbatim: cancelled; wrote a partial transcript ({len(words)} words, up to {end}) to {output}.",
              file=sys.stderr)
        return EXIT_CANCELLED
    if not words:
        say(f"verbatim: no speech was found; wrote an empty transcript to {output}.")
    else:
        count = len(transcript.speakers)
        who = f", {count} speaker{'s' if count != 1 else ''}" if count else ""
        say(f"verbatim: wrote {len(words)} words{who} to {output}.")
    return 0
