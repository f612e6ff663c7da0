"""Automatic paragraph breaks (pauses, sentence ends near pauses) and the schema-1 -> 2 project migration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.document import Transcript, Word
from app.core.paragraphs import ParagraphRules, add_paragraph_breaks, break_points, ends_sentence
from app.core.project import SCHEMA_VERSION, Project, load_project, save_project


def _words(spec: list[tuple[str, int, int]], speaker: str | None = None) -> list[Word]:
    return [Word(t, s, e, speaker) for t, s, e in spec]


def test_long_pauses_and_sentence_ends_near_pauses_start_paragraphs() -> None:
    words = _words([
        ("we", 0, 300), ("found", 300, 600), ("plastic.", 600, 900),      # short gap after a sentence: same para
        ("It", 1_100, 1_300), ("was", 1_300, 1_500), ("everywhere", 1_500, 2_000),
        ("then", 4_000, 4_300),                                             # a 2 s silence: new paragraph
        ("more.", 4_300, 16_500), ("After", 17_200, 17_400),               # a sentence end, 0.7 s, 12.5 s in: new
        ("that", 17_400, 17_600),
    ])
    assert break_points(words) == [6, 8]
    out = add_paragraph_breaks(words)
    doc = Transcript.from_words(out)
    assert [(s.start, s.end) for s in doc.segments()] == [(0, 6), (6, 8), (8, 10)]
    assert [doc.words[s.start].start_ms for s in doc.segments()] == [0, 4_000, 17_200]


def test_rules_are_settings_and_breaks_are_only_added() -> None:
    words = _words([("a", 0, 100), ("b.", 100, 200), ("c", 1_000, 1_100), ("d", 1_200, 1_300)])
    assert break_points(words) == []
    assert break_points(words, ParagraphRules(pause_ms=700)) == [2]
    kept = [words[0], words[1], words[2], words[3].replace(starts_segment=True)]
    assert [w.starts_segment for w in add_paragraph_breaks(kept, ParagraphRules(pause_ms=700))] == [
        False, False, True, True]
    # a speaker change is a turn already; a silence there adds nothing
    two = _words([("a", 0, 100)], "S1") + _words([("b", 5_000, 5_100)], "S2")
    assert break_points(two) == []
    # silly values from a settings file are clamped, never a paragraph per word
    assert ParagraphRules(pause_ms=0, sentence_pause_ms=-5).checked().pause_ms >= 300


def test_a_long_unpunctuated_run_breaks_at_a_pause_past_the_maximum() -> None:
    words = [Word(f"w{i}", i * 1_000, i * 1_000 + 900) for i in range(80)]  # 100 ms gaps, no punctuation
    words[70] = words[70].replace(start_ms=words[69].end_ms + 600, end_ms=words[69].end_ms + 900)
    assert break_points(words) == [70]


@pytest.mark.parametrize("text, yes", [("end.", True), ("why?", True), ("said.\u201d", True), ("Dr", False),
                                       ("so,", False)])
def test_sentence_ends(text: str, yes: bool) -> None:
    assert ends_sentence(text) is yes


def test_schema_1_projects_get_paragraphs_on_open_and_save_as_schema_2(tmp_path: Path) -> None:
    spec = [("one", 0, 500), ("two.", 500, 900), ("three", 4_000, 4_500), ("four", 4_500, 5_000)]
    v1 = {"app": "verbatim", "schema_version": 1, "media": {"path": None},
          "words": [{"t": t, "s": s, "e": e, "spk": None} for t, s, e in spec]}
    path = tmp_path / "old.verbatim"
    path.write_text(json.dumps(v1), encoding="utf-8")
    project = load_project(path)
    assert [w.starts_segment for w in project.transcript.words] == [False, False, True, False]
    assert json.loads(path.read_text())["schema_version"] == 1  # opening never rewrites the file
    save_project(project, tmp_path / "new.verbatim")
    data = json.loads((tmp_path / "new.verbatim").read_text())
    assert SCHEMA_VERSION == 2 and data["schema_version"] == 2
    assert [w.get("p", False) for w in data["words"]] == [False, False, True, False]


def test_schema_2_projects_keep_exactly_the_breaks_they_hold(tmp_path: Path) -> None:
    words = _words([("one", 0, 500), ("two", 4_000, 4_500), ("three", 4_500, 5_000)])
    words[2] = words[2].replace(starts_segment=True)  # a person joined 0|1 and split 1|2
    save_project(Project(Transcript.from_words(words)), tmp_path / "p.verbatim")
    back = load_project(tmp_path / "p.verbatim")
    assert [w.starts_segment for w in back.transcript.words] == [False, False, True]


def test_a_pause_inside_a_stretched_word_counts_from_the_recording() -> None:
    # 2b words are spread over the voiced stretches: "We" starts before a 2.5 s silence and ends after it
    words = _words([("samples?", 3_700, 4_030), ("We", 4_030, 7_000), ("found", 7_000, 7_300)])
    assert break_points(words) == []  # the words alone show no gap
    assert break_points(words, pauses=[(4_040, 6_540)]) == [1]
    assert break_points(words, pauses=[(4_040, 4_400)]) == []  # a short pause is no paragraph


def test_a_pause_break_moves_to_a_sentence_end_a_word_or_two_away() -> None:
    spec = [("the", 0, 200), ("river?", 200, 600), ("We", 600, 800), ("found", 3_000, 3_300), ("it", 3_300, 3_500)]
    words = _words(spec)  # spread-out times put "We" before the pause; the sentence ended at "river?"
    assert break_points(words) == [2]
    assert break_points(words, ParagraphRules(snap_words=0)) == [3]
    no_end = _words([("a", 0, 200), ("b", 200, 400), ("c", 3_000, 3_200)])
    assert break_points(no_end) == [2]  # no sentence end near: the break stays at the pause


def test_the_command_line_transcript_gets_the_same_paragraphs() -> None:
    import numpy as np

    from app.cli.transcribe import _with_paragraphs

    rng = np.random.default_rng(1)
    speech = (rng.standard_normal(32_000) * 0.2).astype(np.float32)  # 2 s of "speech", 3 s silence, 2 s more
    audio = np.concatenate([speech, np.zeros(48_000, np.float32), speech])
    words = [Word(f"w{i}.", i * 500, i * 500 + 500) for i in range(14)]  # spread evenly, no gaps (as 2b does)
    out = _with_paragraphs(words, audio)
    assert [i for i, w in enumerate(out) if w.starts_segment] == [7]  # where the silence's middle falls
    assert _with_paragraphs([], audio) == []
