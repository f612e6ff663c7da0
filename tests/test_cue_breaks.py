"""Subtitle line and cue breaks keep names, number phrases and a word's punctuation together.

Measured on the demo interview and on a generated two-hour transcript full of names and numbers:
no line (or cue) ends inside such a run unless the run alone is longer than a line. Breaks that a
cue must make whatever the text (a speaker change, a silence of `hard_pause_ms` or more) are not
line-breaking choices and are left out of the count.
"""

from __future__ import annotations

import random
from pathlib import Path

from app.core.cue_glue import glued
from app.core.cues import CueRules, build_cues, wrap_lines
from app.core.document import Speaker, Transcript, Word
from app.core.exporters import render_srt
from app.core.project import load_project
from app.core.word_units import join_words, separator_width

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo" / "demo.verbatim"


def _line_ends(doc: Transcript, rules: CueRules) -> list[int]:
    """Boundaries k (a break between words k-1 and k) where a line or a cue ends by choice."""
    words = doc.words
    cues = build_cues(words, rules, doc.speaker_name)
    ends: list[int] = []
    for cue in cues:
        k = cue.first
        for n, line in enumerate(cue.lines):
            if n == 0 and cue.new_speaker and rules.speaker_prefix:
                line = line.split(": ", 1)[1] if ": " in line else ""
            taken: list[str] = []
            while k < cue.end and join_words(taken) != line:
                taken.append(words[k].text)
                k += 1
            assert join_words(taken) == line, (line, taken)
            if k < len(words):
                ends.append(k)
    forced = {k for k in range(1, len(words)) if words[k].speaker != words[k - 1].speaker
              or words[k].start_ms - words[k - 1].end_ms >= rules.hard_pause_ms}
    return [k for k in ends if k not in forced]


def _run_length(texts: list[str], marks: list[bool], k: int) -> int:
    """Characters of the glued run that boundary k lies inside."""
    a = k - 1
    while a > 0 and marks[a]:
        a -= 1
    b = k
    while b + 1 < len(texts) and marks[b + 1]:
        b += 1
    gaps = sum(separator_width(texts[i - 1], texts[i]) for i in range(a + 1, b + 1))
    return sum(len(t) for t in texts[a : b + 1]) + gaps


def _violations(doc: Transcript, rules: CueRules) -> tuple[int, int]:
    """(line ends inside a run that fits on a line, glued boundaries in the text)."""
    texts = [w.text for w in doc.words]
    marks = glued(texts)
    bad = [k for k in _line_ends(doc, rules) if marks[k] and _run_length(texts, marks, k) <= rules.max_chars]
    return len(bad), sum(marks)


NAMES = ["Dr. Amal Osei", "Mayor Ben Ortiz", "New York City", "Ludwig van Beethoven", "Mrs. J. Smith",
         "the Environmental Protection Agency", "Anna Reyes", "Prof. Li Wei", "São Paulo", "the River Thames"]
NUMBERS = ["one hundred and ten million", "3.5 per cent", "$110 million", "twenty-five percent", "2019",
           "four thousand two hundred", "1.2 billion", "forty-two", "7 million", "eleven thousand"]
TEMPLATES = [
    "We spoke with {n} about the {x} dollars the council approved.",
    "According to {n}, about {x} people crossed the bridge, and the numbers keep rising.",
    "{n} said the budget grew by {x} in a single year — nobody expected that.",
    "Did {n} really say {x}? Yes, {n} did, twice.",
    "The report from {n} counts {x} samples, so the levels were far higher than anyone thought.",
    "In {x}, {n} visited the plant with the inspectors and the press.",
]


def generated(hours: float = 2.0, seed: int = 11) -> Transcript:
    """A long interview of template sentences about names and numbers, two speakers, natural pauses."""
    rng = random.Random(seed)
    words: list[Word] = []
    t, speaker = 0, "S1"
    while t < hours * 3600_000:
        if rng.random() < 0.25:
            speaker = "S2" if speaker == "S1" else "S1"
        sentence = rng.choice(TEMPLATES).format(n=rng.choice(NAMES), x=rng.choice(NUMBERS))
        for text in sentence.split():
            length = 120 + 45 * len(text)
            words.append(Word(text, t, t + length, speaker))
            t += length + rng.choice((20, 40, 60, 120, 300))
        t += rng.choice((200, 400, 700, 1600))
    speakers = [Speaker("S1", "Reporter", "#1f77b4"), Speaker("S2", "Dr. Amal Osei", "#ff7f0e")]
    return Transcript.from_words(words, speakers)


def test_the_issue_examples_never_break_inside() -> None:
    for width in range(len("Dr. Amal Osei"), 40):  # the run fits on a line
        lines = wrap_lines("Thank you for joining us today, Dr. Amal Osei".split(), width=width)
        assert any("Dr. Amal Osei" in line for line in lines), lines
    lines = wrap_lines("They said it cost one hundred and ten million in the end".split(), width=36)
    assert any("one hundred and ten million" in line for line in lines), lines
    assert wrap_lines(["We", "waited", "—"], width=9) == ("We", "waited —")


def test_demo_interview_has_no_break_inside_a_name_or_number() -> None:
    project = load_project(DEMO)
    for rules in (CueRules(speaker_prefix=True), CueRules(max_chars=24), CueRules(max_chars=32, max_lines=1)):
        bad, glued_count = _violations(project.transcript, rules)
        assert glued_count >= 1 and bad == 0, rules  # "Dr. Osei"
    assert "Dr.\nOsei" not in render_srt(project)


def test_two_hour_transcript_has_no_break_inside_a_name_or_number() -> None:
    doc = generated()
    assert doc.duration_ms >= 2 * 3600_000
    for rules in (CueRules(speaker_prefix=True), CueRules(max_chars=32)):
        bad, glued_count = _violations(doc, rules)
        assert glued_count > 2_000
        assert bad == 0, f"{bad} line ends inside a name or number ({rules})"
