"""The `verbatim` command line: `main` parses arguments; one module per subcommand (`run(args) -> int`)."""

from app.cli.main import main

__all__ = ["main"]
