"""`verbatim serve`: run the transcription server (Ray Serve) on this machine or join a Ray cluster.

    verbatim serve [--host 127.0.0.1] [--port 8000] [--models 2b,plus,nar,interview|FOLDER,...]
        [--token-file FILE] [--replicas N | --min-replicas A --max-replicas B] [--max-batch N]
        [--address auto] [--device cpu|cuda] [--max-upload-mb N] [--max-minutes N] [--jobs-per-token N]
        [--retention-minutes N]

It prints the URL and what it serves once ready and stops cleanly on Ctrl+C. It refuses to listen on
anything but localhost without a token file.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import TYPE_CHECKING

from app.core.errors import VerbatimError

if TYPE_CHECKING:
    from app.server.config import ServerConfig


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The `serve` subcommand's options (app/cli.py registers the subcommand)."""
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--models", default="nar", help="comma-separated catalog keys or local model folders")
    p.add_argument("--token-file", help="a file with one token per line (required off localhost)")
    p.add_argument("--replicas", type=int, help="replicas per model (fixed)")
    p.add_argument("--min-replicas", type=int, help="autoscaling: the fewest replicas per model")
    p.add_argument("--max-replicas", type=int, help="autoscaling: the most replicas per model")
    p.add_argument("--max-batch", type=int, default=8, help="pieces decoded together by one replica")
    p.add_argument("--batch-wait", type=float, default=0.05, help="seconds a replica waits to fill a batch")
    p.add_argument("--address", help="'auto' joins the Ray cluster of this machine; default: start a local one")
    p.add_argument("--device", choices=("cpu", "cuda", "mps"), help="default: the best the replica's node has")
    p.add_argument("--max-upload-mb", type=float, default=2048.0)
    p.add_argument("--max-minutes", type=float, default=360.0, help="longest recording accepted")
    p.add_argument("--jobs-per-token", type=int, default=4, help="jobs one token may run at once")
    p.add_argument("--retention-minutes", type=float, default=60.0, help="results not fetched are deleted after")


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """A ServerConfig from the parsed options (one sentence for a bad combination)."""
    from app.server.config import ServerConfig, read_tokens

    models = tuple(m.strip() for m in str(args.models).split(",") if m.strip())
    if not models:
        raise VerbatimError("--models names no model; use for example --models nar,interview.")
    low = args.min_replicas or args.replicas or 1
    high = args.max_replicas or args.replicas or low
    if low < 1 or high < low:
        raise VerbatimError("Replicas must be at least 1, and --max-replicas at least --min-replicas.")
    if args.max_batch < 1:
        raise VerbatimError("--max-batch must be at least 1.")
    gpus = 1.0 if args.device == "cuda" or (args.device is None and _has_cuda()) else 0.0
    return ServerConfig(models=models, host=args.host, port=args.port,
                        tokens=read_tokens(args.token_file) if args.token_file else (),
                        min_replicas=low, max_replicas=high, max_batch=args.max_batch, batch_wait_s=args.batch_wait,
                        device=args.device, num_gpus=gpus, max_upload_bytes=int(args.max_upload_mb * 1e6),
                        max_duration_s=args.max_minutes * 60, max_jobs_per_token=args.jobs_per_token,
                        retention_s=args.retention_minutes * 60)


def _has_cuda() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # no torch build with CUDA: CPU replicas
        return False


def run(args: argparse.Namespace) -> int:
    """Start the server, print where it is, and wait for Ctrl+C."""
    try:
        import ray  # noqa: F401
        from ray import serve  # noqa: F401
    except ImportError:
        raise VerbatimError("The server needs Ray Serve: pip install 'verbatim-studio[server]'.") from None
    from app.server import application
    from app.server.config import check_address

    config = config_from_args(args)
    check_address(config)
    stop = threading.Event()
    old = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        served = application.start(config, address=args.address)
        print(f"verbatim: serving at {config.url}" + ("" if config.tokens else " (no token: this machine only)"))
        for entry in served:
            caps = entry["capabilities"]
            extras = "".join(f", {name}" for name, on in (("keywords", caps["keywords"]),
                                                          ("translation", caps["translation_targets"])) if on)
            print(f"  {entry['key']}: {entry['label']} - languages {', '.join(caps['languages'])}{extras}")
        print("Press Ctrl+C to stop.", flush=True)
        stop.wait()
        print("verbatim: stopping the server...", file=sys.stderr, flush=True)
    finally:
        signal.signal(signal.SIGINT, old)
        application.stop()
    return 0
