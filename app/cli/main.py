"""The `verbatim` command: the headless path (info, import, export, transcribe, models, align) and the GUI.

`verbatim` with no subcommand (optionally a media or project path, or `--demo`) starts the editor.
Each subcommand's work lives in `app/cli/<name>.py` as `run(args) -> int`; this module only
parses arguments and turns errors a user can cause into one line on stderr (exit 1; usage errors exit 2).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from app import __version__
from app.core.errors import VerbatimError

EXPORT_FORMATS = ("srt", "vtt", "docx", "txt", "json", "csv")  # csv: --only highlights


def _subcommand_parser() -> argparse.ArgumentParser:
    from app.asr import catalog

    p = argparse.ArgumentParser(prog="verbatim", description="Transcribe and check interviews.")
    p.add_argument("--version", action="version", version=f"verbatim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = sub.add_parser("info", help="describe a recording: duration, sample rate, channels, codec")
    info.add_argument("media", type=Path)
    info.add_argument("--json", action="store_true", help="print JSON instead of text")

    imp = sub.add_parser("import", help="make a project from an SRT, WebVTT or Verbatim JSON transcript")
    imp.add_argument("subtitles", type=Path)
    imp.add_argument("--media", type=Path, required=True, help="the recording the transcript belongs to")
    imp.add_argument("-o", "--output", type=Path, required=True, help="the project file to write")

    exp = sub.add_parser("export", help="write a project as SRT, WebVTT, DOCX, plain text or JSON")
    exp.add_argument("project", type=Path)
    exp.add_argument("--format", choices=EXPORT_FORMATS, required=True)
    exp.add_argument("-o", "--output", type=Path, required=True)
    exp.add_argument("--timestamps", action="store_true", help="DOCX/TXT: a [hh:mm:ss] time per paragraph")
    exp.add_argument("--no-speakers", action="store_true", help="leave speaker names out")
    exp.add_argument("--title", help="DOCX: the document title (default: the media name)")
    _add_quote_commands(sub, exp)

    tr = sub.add_parser("transcribe", help="transcribe a recording into a project file")
    tr.add_argument("media", type=Path)
    tr.add_argument("-o", "--output", type=Path, required=True, help="the project file to write")
    tr.add_argument("--model", help=f"{catalog.choices_help()} (default: {catalog.DEFAULT_CHOICE}; "
                    "with --server: the server's key, may be left out when it serves one)")
    tr.add_argument("--task", choices=("transcribe", "translate"), default="transcribe")
    tr.add_argument("--language", choices=("en", "fr", "de", "es", "pt", "ja"), default="en")
    tr.add_argument("--target", help="translation target language (en fr de es pt ja it zh)")
    kw = tr.add_mutually_exclusive_group()
    kw.add_argument("--keywords", help='names, places, acronyms to favour: "A, B, C"')
    kw.add_argument("--keywords-file", type=Path, help="a file with one keyword per line")
    tr.add_argument("--device", choices=("cpu", "cuda", "mps"), help="default: the best available")
    tr.add_argument("--batch-size", type=int, default=8)
    tr.add_argument("--precision", choices=("auto", "fp32", "bf16", "int8"),
                    help="number format on this computer (default: measured once per machine; see `verbatim system`)")
    tr.add_argument("--no-punctuation", action="store_true", help="2b: raw lowercase transcription")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_server_commands(sub, tr)

    models = sub.add_parser("models", help="list or download the speech models")
    msub = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    msub.add_parser("list", help="what is known, what is downloaded, and where")
    dl = msub.add_parser("download", help="download a model once into the Hugging Face cache")
    dl.add_argument("name")

    al = sub.add_parser("align", help="re-time a project's interpolated words against the audio")
    al.add_argument("project", type=Path)
    al.add_argument("--range", nargs=2, type=int, metavar=("START_MS", "END_MS"))
    al.add_argument("--model", default=catalog.ALIGNER_ORDER[0],
                    help=f"a model with a CTC head: {', '.join(catalog.ALIGNER_ORDER)} or a local folder")
    al.add_argument("--device", choices=("cpu", "cuda", "mps"))
    al.add_argument("-o", "--output", type=Path, help="write here instead of updating the project")
    _add_system_parser(sub)
    return p


def _add_quote_commands(sub: argparse._SubParsersAction, exp: argparse.ArgumentParser) -> None:
    """`quote`, `clip` and the highlight/range options of `export` (app/cli/quotes.py)."""
    from app.cli.quotes import add_export_options, add_parsers

    add_parsers(sub)
    add_export_options(exp)


def _add_server_commands(sub: argparse._SubParsersAction, tr: argparse.ArgumentParser) -> None:
    """The transcription server's commands (`serve`, `batch`) and `transcribe --server`."""
    from app.cli.batch import add_arguments as add_batch_arguments
    from app.cli.serve import add_arguments as add_serve_arguments

    tr.add_argument("--server", help="transcribe on this Verbatim server (URL) instead of this machine")
    tr.add_argument("--token", help="the server's token (default: $VERBATIM_SERVER_TOKEN)")
    add_serve_arguments(sub.add_parser("serve", help="run a transcription server (Ray Serve) for other machines"))
    add_batch_arguments(sub.add_parser("batch", help="transcribe many recordings on a server (resumable)"))


def _add_system_parser(sub: argparse._SubParsersAction) -> None:
    sy = sub.add_parser("system", help="what a transcription would use here: device, precision, threads, speed")
    sy.add_argument("--device", choices=("cpu", "cuda", "mps"), help="default: the best available")
    sy.add_argument("--precision", choices=("auto", "fp32", "bf16", "int8"), help="default: the saved choice")
    sy.add_argument("--measure", action="store_true", help="measure this computer's speed again (a few seconds)")
    sy.add_argument("--json", action="store_true", help="print JSON instead of text")


def _gui_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="verbatim",
        description="Open the Verbatim editor. Subcommands: " + ", ".join(SUBCOMMANDS) + ".",
    )
    p.add_argument("--version", action="version", version=f"verbatim {__version__}")
    p.add_argument("path", nargs="?", type=Path, help="a recording or a .verbatim project to open")
    p.add_argument("--demo", action="store_true", help="open the bundled demo interview")
    return p


SUBCOMMANDS = ("info", "import", "export", "transcribe", "models", "align", "quote", "clip", "serve", "batch",
               "system")
_HANDLERS = {
    "info": "app.cli.info",
    "import": "app.cli.transcripts",
    "export": "app.cli.transcripts",
    "transcribe": "app.cli.transcribe",
    "models": "app.cli.models",
    "align": "app.cli.align",
    "quote": "app.cli.quotes",
    "clip": "app.cli.quotes",
    "serve": "app.cli.serve",
    "batch": "app.cli.batch",
    "system": "app.cli.system",
}


def _handler(args: argparse.Namespace) -> str:
    """The module that runs a subcommand (`transcribe --server` runs on a server: app/cli/remote.py)."""
    if args.command == "transcribe" and getattr(args, "server", None):
        return "app.cli.remote"
    return _HANDLERS[args.command]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `verbatim` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] in SUBCOMMANDS:
            args = _subcommand_parser().parse_args(args_list)
            module = importlib.import_module(_handler(args))
            return int(module.run(args) or 0)
        if args_list and args_list[0] in ("-h", "--help"):
            _gui_parser().print_help()
            print("\nsubcommands: " + ", ".join(SUBCOMMANDS) + " (verbatim COMMAND --help)")
            return 0
        args = _gui_parser().parse_args(args_list)
        from app.ui.app import run_gui

        return run_gui(path=args.path, demo=args.demo)
    except VerbatimError as exc:
        print(f"verbatim: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("verbatim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # a bug: one line for the user, the traceback in a log file
        log = _write_crash_log()
        print(f"verbatim: unexpected error ({type(exc).__name__}: {exc}); details in {log}", file=sys.stderr)
        return 1


def _write_crash_log() -> Path:
    from platformdirs import user_log_dir

    folder = Path(user_log_dir("verbatim", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "crash.log"
    with log.open("a", encoding="utf-8") as f:
        traceback.print_exc(file=f)
    return log


if __name__ == "__main__":
    raise SystemExit(main())
