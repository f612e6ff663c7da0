"""Subtitle cue rules, checked on random transcripts (hypothesis) and on cases a person can read."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.cues import CueRules, build_cues, wrap_lines
from app.core.document import Word
from app.core.timing import spread_words

RULES = CueRules(speaker_prefix=True)
NAMES = {"S1": "Ana", "S2": "Dr. Robert Oppenheimer", "S3": "Li"}

word_text = st.one_of(
    st.text("abcdefghijklmnopqrstuvwxyzÄé", min_size=1, max_size=12),
    st.text("abcdefghij", min_size=43, max_size=55),  # longer than a line: must stand alone, unsplit
).flatmap(lambda t: st.sampled_from([t, t + ".", t + ",", t + "?", t + "!"]))

word_spec = st.tuples(
    word_text,
    st.integers(0, 2500),  # silence before the word
    st.integers(0, 1500),  # length of the word
    st.sampled_from([None, "S1", "S2", "S3"]),
)


def _words(specs: list[tuple[str, int, int, str | None]]) -> list[Word]:
    words, t = [], 0
    for text, gap, length, speaker in specs:
        words.append(Word(text, t + gap, t + gap + length, speaker))
        t += gap + length
    return words


@settings(max_examples=150, deadline=None)
@given(st.lists(word_spec, min_size=1, max_size=120), st.booleans())
def test_cue_rules_hold_on_any_transcript(specs, prefix: bool) -> None:
    words = _words(specs)
    rules = CueRules(speaker_prefix=prefix)
    cues = build_cues(words, rules, lambda s: NAMES.get(s or "", ""))

    # every word exactly once, in order, never cut: the cues' tokens are the words themselves
    assert [i for c in cues for i in range(c.first, c.end)] == list(range(len(words)))
    for n, c in enumerate(cues):
        text = " ".join(c.lines)
        name = NAMES.get(c.speaker or "", "")
        if prefix and c.new_speaker and name:
            assert text.startswith(name + ": ") or text == name + ":"
            text = text[len(name) + 2 :]
        assert text.split(" ") == [w.text for w in words[c.first : c.end]]
        assert len(c.lines) <= rules.max_lines
        for line in c.lines:
            assert len(line) <= rules.max_chars or " " not in line.removeprefix(name + ": " if name else "")
        # one speaker per cue, and a speaker change always starts a new cue
        assert {w.speaker for w in words[c.first : c.end]} == {c.speaker}
        # times: first word's start; at least the last word's end; bounded length
        span = words[c.end - 1].end_ms - words[c.first].start_ms
        assert c.start_ms == words[c.first].start_ms and c.end_ms >= words[c.end - 1].end_ms
        if c.end - c.first > 1:
            assert span <= rules.max_duration_ms
        assert c.end_ms - c.start_ms <= max(span, rules.min_duration_ms)
        nxt = cues[n + 1] if n + 1 < len(cues) else None
        if nxt is not None:
            assert c.end_ms <= nxt.start_ms  # the words do not overlap, so neither do the cues
        if c.end_ms - c.start_ms < rules.min_duration_ms:
            assert nxt is not None and c.end_ms == nxt.start_ms  # only the next cue may keep it short


def _timed(text: str, start: int, end: int, speaker: str | None = "S1") -> list[Word]:
    return spread_words(text.split(), start, end, speaker)


def test_sentence_end_is_preferred_to_a_comma_and_to_filling_the_cue() -> None:
    words = _timed(
        "The council met on Tuesday evening in the town hall. "
        "After a long debate, the members voted to fund the bridge.",
        0,
        6500,
    )
    cues = build_cues(words, CueRules())
    assert cues[0].text.replace("\n", " ") == "The council met on Tuesday evening in the town hall."
    assert " ".join(" ".join(c.lines) for c in cues) == " ".join(w.text for w in words)


def test_comma_then_pause_when_no_sentence_ends() -> None:
    comma = _timed("we looked at the budget for the bridge, and the numbers did not add up at all for anyone", 0, 6000)
    assert build_cues(comma)[0].text.replace("\n", " ").endswith("bridge,")
    first = _timed("we looked at the budget for the whole bridge project", 0, 3000)
    second = _timed("and the numbers did not add up for the people in the town", 3600, 6500)
    cues = build_cues(first + second)
    assert cues[0].end == len(first)  # the 600 ms pause is where the cue ends


def test_speaker_change_and_long_silence_start_new_cues_with_a_prefix_only_on_change() -> None:
    a = _timed("Good morning.", 0, 1000, "S1")
    b = _timed("Morning. Thanks for coming in.", 1100, 3000, "S2")
    c = _timed("Shall we start?", 5000, 6000, "S2")  # 2 s of silence before it
    cues = build_cues(a + b + c, RULES, lambda s: NAMES[s])
    assert [cue.text for cue in cues] == [
        "Ana: Good morning.",
        "Dr. Robert Oppenheimer: Morning.\nThanks for coming in.",
        "Shall we start?",
    ]


def test_short_cue_is_lengthened_only_into_free_time() -> None:
    words = [Word("Yes.", 0, 200, "S1"), Word("No.", 500, 700, "S2"), Word("Maybe.", 3000, 3100, "S1")]
    cues = build_cues(words)
    assert [(c.start_ms, c.end_ms) for c in cues] == [(0, 500), (500, 1200), (3000, 3700)]
    assert build_cues(words, end_limit_ms=3300)[-1].end_ms == 3300


def test_lines_are_balanced() -> None:
    lines = wrap_lines("the mayor said that the new bridge will open to traffic in May".split())
    assert len(lines) == 2 and abs(len(lines[0]) - len(lines[1])) <= 8
    assert wrap_lines(["short", "cue"]) == ("short cue",)
