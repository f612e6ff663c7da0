"""Paragraphs without speakers: a 2b-only transcription of a two-voice recording with pauses gets several
paragraphs, each with its time, in the editor and in the TXT and DOCX exports; Enter / Backspace split and
join them (undoable); the thresholds are a setting."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import numpy as np
import soundfile as sf
from conftest import make_speech
from PySide6.QtCore import Qt
from ui_window_support import new_window, open_and_wait

from app.asr.engines.text_engine import GraniteTextEngine
from app.asr.models.registry import MODELS
from app.core.exporters import ExportOptions, export_document
from app.core.paragraphs import ParagraphRules, ends_sentence
from app.ui.paragraph_settings import apply_paragraph_breaks, paragraph_rules, save_paragraph_rules

TURNS = ["Doctor Osei, thank you for joining us. What did your team find?",
         "We found microplastics in every sample we took.",
         "Which sites were the worst?",
         "The ones below the old factory, by a wide margin."]
SCRIPT = " ".join(TURNS)  # what the double 'hears'; said by two voices with pauses between turns


class ScriptedRunner:
    """Stands in for the loaded 4.1-2b model (a test double): it 'hears' the script in every piece.

    Everything else is the real 2b engine: pieces cut at pauses, words laid over the voiced stretches.
    """

    spec = MODELS["2b"]
    device = "cpu"

    def __init__(self) -> None:
        self.calls = 0

    def generate(self, batch: list[np.ndarray], prompt: str, budget: int) -> list[str]:
        self.calls += 1
        return [SCRIPT for _ in batch]


def _two_voices_with_pauses(folder: Path) -> Path:
    """Two espeak voices taking turns, 2.5 s of silence between turns."""
    parts = []
    rate = 22050
    for i, (voice, text) in enumerate(zip(["en", "en+f3", "en", "en+f3"], TURNS, strict=True)):
        wav = make_speech(folder / f"part{i}.wav", text, voice=voice)
        data, rate = sf.read(wav, dtype="float32")
        parts += [data, np.zeros(int(2.5 * rate), dtype=np.float32)]
    out = folder / "two-voices.wav"
    sf.write(out, np.concatenate(parts), rate)
    return out


def test_a_2b_only_transcript_gets_paragraphs_with_times_in_the_editor_and_exports(qtbot, tmp_path) -> None:
    runner = ScriptedRunner()
    w = new_window(qtbot, tmp_path, engine_factory=lambda model, device: GraniteTextEngine(runner))
    recording = _two_voices_with_pauses(tmp_path)
    open_and_wait(qtbot, w, recording)
    w.transcribe_panel.select(model="2b")
    w.acts["transcribe"].trigger()
    qtbot.waitUntil(lambda: not w.transcription.running, timeout=30_000)
    assert w.transcription.last_error is None and runner.calls >= 1
    doc = w.project.transcript
    assert all(x.speaker is None for x in doc.words)
    segments = doc.segments()
    assert len(segments) >= 3  # not one block for the whole recording
    assert all(ends_sentence(doc.words[s.end - 1].text) for s in segments)  # breaks at sentence ends
    starts = [doc.words[s.start].start_ms for s in segments]
    assert starts == sorted(set(starts)) and starts[-1] > 10_000
    headers = [w.editor.header_text(i) for i in range(len(segments))]
    assert all(re.fullmatch(r"\(no speaker\) \[\d+:\d\d\]", h) for h in headers)
    assert len(set(headers)) == len(headers)  # each paragraph with its own time
    txt = export_document("txt", w.project, tmp_path / "t.txt").read_text(encoding="utf-8")
    stamped = [p for p in txt.split("\n\n") if re.match(r"\[\d\d:\d\d:\d\d\] \S", p)]
    assert len(stamped) == len(segments)
    d = docx.Document(str(export_document("docx", w.project, tmp_path / "t.docx", ExportOptions())))
    body = [p.text for p in d.paragraphs[2:]]
    assert len(body) == len(segments) and all(re.match(r"\[\d\d:\d\d:\d\d\] \S", p) for p in body)
    # Enter / Backspace at a boundary split and join, each one undo step
    view = w.editor.text_view()
    second = segments[1]
    w.editor.move_cursor_to_word(second.start)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Backspace)
    assert len(doc.segments()) == len(segments) - 1
    w.acts["undo"].trigger()
    assert doc.segments() == segments
    middle = second.start + (second.end - second.start) // 2
    w.editor.move_cursor_to_word(middle)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert len(doc.segments()) == len(segments) + 1 and doc.words[middle].starts_segment
    w.acts["undo"].trigger()
    assert doc.segments() == segments


def test_the_thresholds_are_a_setting_and_apply_as_one_undo_step(qtbot, tmp_path) -> None:
    from app.core.document import Word
    from app.core.edits import ReplaceTranscript

    w = new_window(qtbot, tmp_path)
    assert paragraph_rules(w.settings) == ParagraphRules()
    save_paragraph_rules(w.settings, ParagraphRules(pause_ms=800, sentence_pause_ms=400))
    assert paragraph_rules(w.settings).pause_ms == 800
    w.settings.setValue("paragraphs/pause_ms", "nonsense")
    assert paragraph_rules(w.settings).pause_ms == ParagraphRules().pause_ms  # unreadable: the default
    open_and_wait(qtbot, w, _silence(tmp_path))
    words = [Word("one", 0, 300), Word("two", 1_300, 1_600), Word("three", 1_700, 2_000)]
    w.undo_stack.push_command(ReplaceTranscript(words, []))
    assert apply_paragraph_breaks(w.undo_stack, ParagraphRules(pause_ms=900)) == 1
    assert len(w.project.transcript.segments()) == 2 and w.editor.header_text(1).endswith("[00:01]")
    w.acts["undo"].trigger()
    assert len(w.project.transcript.segments()) == 1


def _silence(folder: Path) -> Path:
    path = folder / "quiet.wav"
    sf.write(path, np.zeros(16000 * 3, dtype=np.float32), 16000)
    return path


def test_a_growing_run_re_breaks_only_its_tail_and_gets_the_same_paragraphs(qtbot) -> None:
    import random

    from PySide6.QtWidgets import QWidget

    from app.core.document import Word
    from app.core.paragraphs import add_paragraph_breaks
    from app.ui.transcription_controller import TranscriptionController

    rng = random.Random(3)
    parent = QWidget()
    qtbot.addWidget(parent)
    controller = TranscriptionController(parent)
    try:
        for _trial in range(10):
            words, t = [], 0
            for _ in range(500):
                length, gap = rng.randint(150, 500), rng.choice([0, 0, 0, 100, 300, 800, 2000])
                text = "w." if rng.random() < 0.1 else "w"
                words.append(Word(text, t, t + length, rng.choice([None] * 20 + ["S1"])))
                t += length + gap
            pauses = [(w.end_ms, w.end_ms + rng.randint(200, 3000)) for w in rng.sample(words, 30)]
            controller._words, controller._broken = [], []
            k = 0
            while k < len(words):  # pieces of 1 to 40 words, as a transcription delivers them
                n = rng.randint(1, 40)
                controller._words.extend(words[k:k + n])
                k += n
                start, tail = controller._with_breaks(pauses)
                assert controller._broken[start:] == tail and len(tail) <= len(controller._words)
            assert controller._broken == add_paragraph_breaks(words, pauses=pauses)
    finally:
        controller.shutdown()
