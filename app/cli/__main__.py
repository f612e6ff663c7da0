"""`python -m app.cli` is the `verbatim` command."""

import sys

from app.cli.main import main

sys.exit(main())
