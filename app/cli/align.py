"""`verbatim align PROJECT [--range START_MS END_MS] [--model nar|2b|PATH] [--device] [-o OUT]`.

Re-times the project's INTERPOLATED words (those typed or changed by hand) against the recording with
a BPE CTC head: the NAR model's, or the one granite-speech-4.1-2b ships (`out_llm.safetensors`).
Each run of interpolated words is aligned together with its kept neighbours as anchors, on the audio
from the previous anchor's start to the next anchor's end; the new times stay between the anchors
(the logic lives in `app.asr.align.realign`). The project is saved atomically (to OUT when given, else in place).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.asr.align.realign import interpolated_runs, load_aligner, retime_runs
from app.core.errors import ProjectError


def run(args: argparse.Namespace) -> int:
    from app.audio.decode import decode_16k_mono
    from app.core.input_checks import check_input_file, refuse_overwriting_inputs
    from app.core.project import load_project, save_project

    check_input_file(args.project, "project")
    project = load_project(args.project)
    if args.output is not None:
        refuse_overwriting_inputs(args.output, {"the recording": project.media_path})
    if project.media_path is None:
        raise ProjectError("The project names no recording, so there is nothing to align against.")
    start_ms, end_ms = (args.range if args.range else (None, None))
    if start_ms is not None and end_ms <= start_ms:
        raise ProjectError("The range must end after it starts (START_MS END_MS in milliseconds).")
    words = list(project.transcript.words)
    if not interpolated_runs(words, start_ms, end_ms):
        print("No interpolated words to align.")
        if args.output:
            save_project(project, args.output)
        return 0
    audio = decode_16k_mono(project.media_path)
    aligner = load_aligner(args.model, args.device, project.transcript.settings.language or "en")
    new_words, report = retime_runs(words, audio, aligner, start_ms, end_ms)
    project.transcript.splice(0, len(words), new_words)
    target = Path(args.output) if args.output else project.path
    if target is None:
        raise ProjectError("The project has no file to save into; give one with -o.")
    save_project(project, target)
    for line in report.failed:
        print(f"verbatim: could not align {line}", file=sys.stderr)
    placed = report.stretches - len(report.failed)
    print(f"Aligned {report.aligned} words in {placed} of {report.stretches} stretches; saved {target}.")
    return 0
