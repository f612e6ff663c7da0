"""Never lose a journalist's work: continuous typing is journaled, and the session's end flushes it.

These run a real Verbatim window in a child process (offscreen) that types without a pause, then kill it
for real. The measured figures over many random moments come from tests/perf/bench_crash_typing.py.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest
from typing_child import typing_lost_at_kill

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def test_kill_9_after_20_seconds_of_continuous_typing_loses_at_most_3_seconds(tmp_path: Path) -> None:
    lost_s, typed, journaled = typing_lost_at_kill(tmp_path, 20.0)
    assert typed > 20, "the child typed almost nothing: the test would prove nothing"
    assert journaled > 0, "continuous typing was never journaled"
    assert lost_s <= 3.0, f"{lost_s:.1f} s of typing lost ({journaled} of {typed} keystrokes journaled)"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_write_everything_typed_to_the_journal(tmp_path: Path, sig: int) -> None:
    lost_s, typed, journaled = typing_lost_at_kill(tmp_path, 4.0, sig)
    assert typed > 0
    assert journaled >= typed and lost_s == 0.0
