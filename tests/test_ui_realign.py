"""Re-align Edited Words in the window: the demo interview, typed corrections, the tiny NAR model's CTC head.

The window finds its aligner through `AlignerFactory(folders=...)`, so the fixture model (with the
tiny tokenizer) is used without touching the Hugging Face cache; the alignment itself is the real one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from test_nar_tokenizer import install_tiny_tokenizer
from ui_window_support import new_window, open_demo

from app.asr.align.realign import AlignerFactory, interpolated_runs
from app.core.document import TimingSource, Word
from app.workers.align_worker import AlignThread, RealignRequest

INTERP, A = TimingSource.INTERPOLATED, TimingSource.ALIGNED
LONG = "the mayor said the bridge opens in may and the city will open a new station near the river"


@pytest.fixture(scope="module")
def nar_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_tiny_tokenizer(tmp_path_factory.mktemp("ui_realign") / "nar")


def _select_word(w, index: int) -> None:
    w.editor.select_span(*w.editor.layout_model().word_span(index))


def _type_after(qtbot, w, index: int, text: str) -> None:
    end = w.editor.layout_model().word_span(index)[1]
    w.editor.select_span(end, end)
    qtbot.keyClicks(w.editor.text_view(), text)


def _realign(qtbot, w) -> None:
    w.acts["realign"].trigger()
    assert w.realign.running and w.realign.widget.isVisible()
    assert w.editor.text_view().isReadOnly()  # no typing while the words are being re-timed
    assert not w.acts["realign"].isEnabled() and not w.acts["transcribe"].isEnabled()
    qtbot.waitUntil(lambda: not w.realign.running, timeout=20_000)
    assert not w.editor.text_view().isReadOnly() and not w.realign.widget.isVisible()


def _check_aligned(before: list[Word], after: list[Word], run: tuple[int, int]) -> None:
    i, j = run
    assert [(w.text, w.speaker) for w in after[i:j]] == [(w.text, w.speaker) for w in before[i:j]]
    assert all(w.source == A for w in after[i:j])
    edges = [after[i - 1].end_ms] + [t for w in after[i:j] for t in (w.start_ms, w.end_ms)] + [after[j].start_ms]
    assert edges == sorted(edges)  # monotonic and inside the neighbours' span


def test_typed_corrections_are_realigned_as_one_undo_step(qtbot, tmp_path, nar_folder) -> None:
    w = new_window(qtbot, tmp_path, aligner_factory=AlignerFactory({"nar": nar_folder}))
    open_demo(qtbot, w, tmp_path)
    doc, stack = w.project.transcript, w.undo_stack
    act = w.acts["realign"]
    assert act.shortcut().toString() == "Ctrl+Shift+A"
    transcribe_menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Transcribe")
    assert act in transcribe_menu.actions()
    assert not act.isEnabled() and act.toolTip().startswith("No edited words to re-align")
    # three corrections, from the end backwards: a word added, a long insertion that cannot fit, a word changed
    _type_after(qtbot, w, 40, " said")
    _select_word(w, 19)
    qtbot.keyClicks(w.editor.text_view(), LONG)
    _select_word(w, 14)
    qtbot.keyClicks(w.editor.text_view(), "bridge")
    typed = list(doc.words)
    runs = interpolated_runs(typed)
    assert len(runs) == 3 and runs[0] == (14, 15) and typed[14].text == "bridge"
    assert act.isEnabled() and "Re-time the words you typed" in act.toolTip()
    steps = stack.count()

    # with a selection: only the run touching it
    spans = w.editor.layout_model()
    w.editor.select_span(spans.word_span(runs[2][0] - 1)[0], spans.word_span(runs[2][0])[1])  # "They said"
    _realign(qtbot, w)
    once = list(doc.words)
    _check_aligned(typed, once, runs[2])
    assert once[: runs[2][0]] == typed[: runs[2][0]] and once[runs[2][1]:] == typed[runs[2][1]:]
    assert stack.count() == steps + 1 and "Re-aligned 1 word" in w.statusBar().currentMessage()

    # without a selection: the rest; the long run cannot fit in its gap and keeps its times
    w.editor.move_cursor_to_word(0)
    _realign(qtbot, w)
    after = list(doc.words)
    _check_aligned(once, after, runs[0])
    long_run = slice(*runs[1])
    assert after[long_run] == once[long_run] and all(x.source == INTERP for x in after[long_run])
    changed = set(range(*runs[0]))
    assert [x for k, x in enumerate(after) if k not in changed] == [x for k, x in enumerate(once) if k not in changed]
    assert stack.count() == steps + 2
    message = w.statusBar().currentMessage()
    assert "Re-aligned 1 word" in message and "1 run could not be aligned" in message
    assert w.realign.last_failed_runs == 1
    assert act.isEnabled()  # the long run is still interpolated

    w.acts["undo"].trigger()  # one step back: the interpolated times return
    assert list(doc.words) == once
    w.acts["undo"].trigger()
    assert list(doc.words) == typed
    w.acts["redo"].trigger()
    assert list(doc.words) == once
    thread = w.realign._thread
    w.shutdown()
    assert thread is not None and not thread.running  # the worker leaves no thread running


def test_disabled_with_a_reason_when_no_model_can_align(qtbot, tmp_path) -> None:
    w = new_window(qtbot, tmp_path, aligner_factory=AlignerFactory({}))
    act = w.acts["realign"]
    assert not act.isEnabled() and "Open a project" in act.toolTip()
    open_demo(qtbot, w, tmp_path)
    _select_word(w, 14)
    qtbot.keyClicks(w.editor.text_view(), "bridge")
    assert w.project.transcript.words[14].source == INTERP
    assert act.isEnabled()  # choosing it offers the model it needs
    assert act.toolTip().startswith("No model that can align words is on this computer")
    before = list(w.project.transcript.words)
    qtbot.keyClick(w, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert not w.realign.running and w.realign._thread is None
    assert w.statusBar().currentMessage().startswith("No model that can align words")
    assert list(w.project.transcript.words) == before
    offer = w.model_flow.missing_dialog
    assert offer is not None and offer.isVisible() and "Re-align Edited Words" in offer.text()
    assert [m.spec.key for m in offer.missing] == ["nar"] and "~4.7 GB" in offer.text()
    offer.reject()


def test_worker_cancels_between_runs_and_reports_load_failures(qtbot, nar_folder, speech_16k) -> None:
    words = [Word("hello", 0, 400), Word("from", 400, 700, source=INTERP), Word("the", 700, 900),
             Word("newsroom", 900, 1500, source=INTERP), Word("the", 1500, 1700)]
    thread = AlignThread(AlignerFactory({"nar": nar_folder}))
    w = thread.worker
    got: list[tuple[int, int]] = []
    w.run_aligned.connect(lambda i, j, new: got.append((i, j)), Qt.ConnectionType.DirectConnection)
    try:
        with qtbot.waitSignal(w.finished, timeout=20_000) as done:
            thread.start(words, speech_16k, RealignRequest(str(nar_folder)))
            thread.cancel()  # asked before the worker began: nothing is aligned
        assert done.args == [True] and got == []
        with qtbot.waitSignal(w.finished, timeout=20_000) as done:
            thread.start(words, speech_16k, RealignRequest(str(nar_folder), first=3, last=4))
        assert done.args == [False] and got == [(3, 4)]
        with qtbot.waitSignal(w.failed, timeout=20_000) as failed:
            thread.start(words, speech_16k, RealignRequest(str(Path(nar_folder).parent / "missing")))
        assert failed.args[0].endswith(".") and "\n" not in failed.args[0]
        qtbot.waitUntil(lambda: not thread.busy, timeout=5_000)
    finally:
        thread.shutdown()
    assert not thread.running
