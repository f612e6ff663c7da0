"""Transcribing on a server from the command line: `verbatim transcribe FILE --server URL` and the batch command.

The recording is uploaded as it is (the server decodes it exactly as the app does), the job is followed
with the same progress line as a local run, and Ctrl+C cancels the job on the server (the words done so far
are still written, and the command exits with 130). The token comes from --token or VERBATIM_SERVER_TOKEN.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Any

from app.asr.engines.base import CancelToken, TranscribeOptions
from app.asr.engines.remote_engine import TOKEN_ENV, RemoteEngine, ServerAddress, ServerClient
from app.core.errors import VerbatimError

EXIT_CANCELLED = 130


def address_of(args: argparse.Namespace) -> ServerAddress:
    url = str(args.server).strip()
    if not url.startswith(("http://", "https://")):
        raise VerbatimError(f"--server must be a URL such as http://gpu-box:8000, not '{url}'.")
    return ServerAddress(url, getattr(args, "token", None) or os.environ.get(TOKEN_ENV, ""))


def served_model(client: ServerClient, wanted: str | None) -> str:
    """The server's key to use: `wanted`, or the only model it serves (one sentence otherwise)."""
    keys = [str(m.get("key")) for m in client.capabilities().get("models", [])]
    if wanted:
        if wanted not in keys:
            raise VerbatimError(f"The server does not serve '{wanted}'; it serves {', '.join(keys) or 'nothing'}.")
        return wanted
    if len(keys) != 1:
        raise VerbatimError(f"The server serves {', '.join(keys)}; choose one with --model.")
    return keys[0]


def transcribe_to_project(engine: RemoteEngine, media: Path, output: Path, options: TranscribeOptions,
                          cancel: CancelToken, show: Any = None) -> tuple[int, bool]:
    """Run one recording on the server and write its project; (words, cancelled)."""
    from app.audio.decode import probe
    from app.core.document import Speaker, Transcript, Word
    from app.core.fingerprint import media_fingerprint
    from app.core.project import Project, save_project

    words: list[Word] = []
    speakers: list[Speaker] = []
    for update in engine.transcribe_file(media, options, cancel):
        words.extend(update.words)
        if update.speakers:
            speakers = list(update.speakers)
        if show is not None:
            show(update.progress)
    transcript = Transcript.from_words(words, speakers, options.keywords, engine.settings(options))
    duration = int(round(probe(media).duration_s * 1000))
    save_project(Project(transcript, media.resolve(), media_fingerprint(media), duration), output)
    return len(words), cancel.cancelled


def run(args: argparse.Namespace) -> int:
    """`verbatim transcribe MEDIA -o OUT --server URL`: the same options, progress and Ctrl+C as a local run."""
    from app.audio.decode import check_path
    from app.cli.transcribe import ProgressLine, _install_cancel, read_keywords

    check_path(args.media)
    output = Path(args.output)
    if output.is_dir() or not output.parent.resolve().is_dir():
        raise VerbatimError(f"{output} is not a project file in an existing folder; choose another output.")
    options = TranscribeOptions(task=args.task, language=args.language, target_language=args.target,
                                keywords=read_keywords(args), punctuation=not args.no_punctuation,
                                batch_size=max(int(args.batch_size), 1))
    address = address_of(args)
    client = ServerClient(address)
    engine = RemoteEngine(address, served_model(client, args.model), client)

    def say(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    say(f"verbatim: sending {args.media.name} to {address.url} ({engine.name})...")
    cancel = CancelToken()
    bar = ProgressLine(not args.quiet)
    old = _install_cancel(cancel, say)
    try:
        count, cancelled = transcribe_to_project(engine, Path(args.media), Path(args.output), options, cancel,
                                                 bar.show)
    finally:
        bar.close()
        if old is not None:
            signal.signal(signal.SIGINT, old)
    if cancelled:
        print(f"verbatim: cancelled; wrote a partial transcript ({count} words) to {args.output}.", file=sys.stderr)
        return EXIT_CANCELLED
    say(f"verbatim: wrote {count} words to {args.output}.")
    return 0
