"""`verbatim batch FILES_OR_FOLDERS --server URL -o OUTDIR`: transcribe many recordings on a server, resumably.

    verbatim batch A.mp3 B.wav interviews/ --server URL -o OUTDIR [--token T] [--model KEY] [--jobs 4]
        [--language] [--task] [--target] [--keywords "A, B"] [--no-punctuation]

Each recording becomes OUTDIR/<name>.verbatim, written only when its job is complete, so running the same
command again after an interruption skips the ones already done. Up to --jobs recordings are on the
server at once; one line per recording says what happened. Ctrl+C cancels the jobs on the server and
exits with 130 (nothing partial is written: those recordings are redone next time).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from app.asr.engines.base import CancelToken, TranscribeOptions
from app.core.errors import VerbatimError
from app.core.project import PROJECT_SUFFIX

MEDIA_SUFFIXES = (".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus", ".wma", ".aif", ".aiff", ".mp4",
                  ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".3gp", ".amr")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The `batch` subcommand's options (app/cli.py registers the subcommand)."""
    p.add_argument("inputs", nargs="+", type=Path, help="recordings, or folders of recordings")
    p.add_argument("--server", required=True, help="the transcription server's URL")
    p.add_argument("--token", help=f"the server's token (default: ${'VERBATIM_SERVER_TOKEN'})")
    p.add_argument("-o", "--output", type=Path, required=True, help="the folder for the project files")
    p.add_argument("--model", help="the server's model key (may be left out when it serves one)")
    p.add_argument("--jobs", type=int, default=4, help="recordings on the server at once")
    p.add_argument("--task", choices=("transcribe", "translate"), default="transcribe")
    p.add_argument("--language", default="en")
    p.add_argument("--target", help="translation target language")
    p.add_argument("--keywords", help='names, places, acronyms to favour: "A, B, C"')
    p.add_argument("--no-punctuation", action="store_true")


def recordings(inputs: list[Path]) -> list[Path]:
    """The recordings named or found (not recursively) in the named folders, in order, each once."""
    found: list[Path] = []
    for item in inputs:
        if item.is_dir():
            found += sorted(p for p in item.iterdir() if p.is_file() and p.suffix.lower() in MEDIA_SUFFIXES)
        elif item.is_file():
            found.append(item)
        else:
            raise VerbatimError(f"{item} does not exist.")
    return list(dict.fromkeys(p.resolve() for p in found))


def output_for(media: Path, outdir: Path) -> Path:
    return outdir / (media.stem + PROJECT_SUFFIX)


def run(args: argparse.Namespace) -> int:
    """Transcribe every recording not yet done; 0 when all are done, 1 when some failed, 130 on Ctrl+C."""
    from app.asr.engines.remote_engine import RemoteEngine, ServerClient
    from app.cli.remote import address_of, served_model, transcribe_to_project

    outdir = Path(args.output)
    outdir.mkdir(parents=True, exist_ok=True)
    if args.jobs < 1:
        raise VerbatimError("--jobs must be at least 1.")
    files = recordings(list(args.inputs))
    names = [output_for(f, outdir).name for f in files]
    if len(set(names)) != len(names):
        raise VerbatimError("Two recordings have the same name; their projects would overwrite each other.")
    address = address_of(args)
    client = ServerClient(address)
    model = served_model(client, args.model)
    keywords = tuple(k.strip() for k in (args.keywords or "").split(",") if k.strip())
    options = TranscribeOptions(task=args.task, language=args.language, target_language=args.target,
                                keywords=keywords, punctuation=not args.no_punctuation)
    cancel = CancelToken()
    lock = threading.Lock()
    failed = 0

    def say(line: str) -> None:
        with lock:
            print(line, flush=True)

    def one(media: Path) -> None:
        nonlocal failed
        out = output_for(media, outdir)
        if out.exists():
            say(f"skipped  {media.name}: {out} is already done")
            return
        if cancel.cancelled:
            return
        partial = out.with_name(out.name + ".part")
        try:
            engine = RemoteEngine(address, model, ServerClient(address))
            count, cancelled = transcribe_to_project(engine, media, partial, options, cancel)
        except VerbatimError as exc:
            with lock:
                failed += 1
            say(f"failed   {media.name}: {exc}")
            partial.unlink(missing_ok=True)
            return
        if cancelled:
            partial.unlink(missing_ok=True)
            say(f"cancelled {media.name}")
            return
        partial.replace(out)
        say(f"done     {media.name}: {count} words -> {out}")

    old = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            list(pool.map(one, files))
    finally:
        signal.signal(signal.SIGINT, old)
    if cancel.cancelled:
        print("verbatim: cancelled; run the same command again to finish the rest.", file=sys.stderr)
        return 130
    return 1 if failed else 0
