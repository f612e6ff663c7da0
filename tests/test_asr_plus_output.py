"""Parsing the plus model's timestamp and speaker tags: realistic outputs, broken outputs, and any string."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.asr.granite.plus_output import (
    SpeakerTurn,
    TimedWord,
    parse_speakers,
    parse_timestamps,
    speaker_words,
    timestamp_words,
)


def assert_monotonic(words: list[TimedWord], lo: int = 0, hi: int | None = None) -> None:
    prev = lo
    for w in words:
        assert prev <= w.start_ms <= w.end_ms, words
        prev = w.end_ms
    if hi is not None:
        assert prev <= hi


# -- realistic outputs ---------------------------------------------------------------------------


def test_the_documented_example() -> None:
    words = parse_timestamps("hello [T:45] world [T:82] _ [T:130] next [T:190]")
    assert words == [
        TimedWord("hello", 0, 450),
        TimedWord("world", 450, 820),
        TimedWord("next", 1300, 1900),  # starts where the silence ended
    ]


def test_wrap_every_ten_seconds_and_offset() -> None:
    text = "so [T:930] we [T:960] went [T:995] there [T:20] and [T:60] back [T:985] again [T:10]"
    words = parse_timestamps(text, offset_ms=60_000)
    ends = [w.end_ms - 60_000 for w in words]
    assert ends == [9300, 9600, 9950, 10200, 10600, 19850, 20100]
    assert words[0].start_ms == 60_000
    assert_monotonic(words, 60_000)


def test_long_silence_marked_with_underscore() -> None:
    words = parse_timestamps("yes [T:40] _ [T:700] okay [T:760] _ [T:300] right [T:350]")
    assert [w.word for w in words] == ["yes", "okay", "right"]
    assert words[1].start_ms == 7000 and words[1].end_ms == 7600
    assert words[2].start_ms == 13_000 and words[2].end_ms == 13_500


def test_words_without_tags_are_spread_between_neighbours() -> None:
    words = parse_timestamps("the [T:10] city council [T:90] met [T:120]")
    assert [w.word for w in words] == ["the", "city", "council", "met"]
    assert words[1].start_ms == 100 and words[2].end_ms == 900
    assert words[1].end_ms == words[2].start_ms
    assert 100 < words[1].end_ms < 900


def test_repetition_loop_and_tags_without_words() -> None:
    words = parse_timestamps("[T:12] [T:12] [T:12] the the [T:12] [T:12] the [T:12] [T:12]")
    assert [w.word for w in words] == ["the", "the", "the"]
    assert_monotonic(words)
    assert words[-1].end_ms == 120


def test_garbled_numbers_are_ignored() -> None:
    words = parse_timestamps("one [T:-5] two [T:abc] three [T:] four [T:1234] five [T:12.5] six [T:1300]")
    assert [w.word for w in words] == ["one", "two", "three", "four", "five", "six"]
    assert_monotonic(words)
    assert words[3].end_ms == 2340  # 1234 read modulo 1000
    assert words[4].end_ms == 10_125  # 12.5 cs after the wrap
    assert words[5].end_ms == 13_000


def test_small_backward_jitter_is_clamped_not_wrapped() -> None:
    words = parse_timestamps("a [T:300] b [T:290] c [T:350]")
    assert [w.end_ms for w in words] == [3000, 3000, 3500]


def test_trailing_words_and_duration() -> None:
    words = parse_timestamps("good [T:50] morning everyone", offset_ms=1000, duration_ms=900)
    assert [w.word for w in words] == ["good", "morning", "everyone"]
    assert words[-1].end_ms <= 1900
    assert_monotonic(words, 1000, 1900)
    clamped = parse_timestamps("late [T:500]", duration_ms=2000)
    assert clamped == [TimedWord("late", 0, 2000)]


def test_missing_bracket_and_glued_tags() -> None:
    words = parse_timestamps("hello[T:45]world [T:82 again [T:99]")
    assert [w.word for w in words] == ["hello", "world", "again"]
    assert [w.end_ms for w in words] == [450, 820, 990]


def test_empty_outputs() -> None:
    assert parse_timestamps("") == []
    assert parse_timestamps("   [T:12] _ [T:40]") == []
    assert parse_speakers("") == []
    assert parse_speakers("[Speaker 1]: [Speaker 2]:") == []


def test_speakers_realistic() -> None:
    text = (
        "[Speaker 1]: thanks for coming in today how long have you worked at the port "
        "[Speaker 2]: about twenty years now [Speaker 1]: and what changed"
    )
    turns = parse_speakers(text)
    assert [t.speaker for t in turns] == [1, 2, 1]
    assert turns[1] == SpeakerTurn(2, "about twenty years now")
    assert len(speaker_words(turns)) == len(text.split()) - 6


def test_speakers_broken_tags() -> None:
    turns = parse_speakers("well i think [Speaker 2]:yes [speaker 2] : indeed [Speaker3]: no [T:40] _ [Speaker 1]")
    assert turns == [SpeakerTurn(2, "well i think yes indeed"), SpeakerTurn(3, "no"), ]
    assert parse_speakers("no tags at all") == [SpeakerTurn(1, "no tags at all")]
    long = parse_speakers("[Speaker 12345678901234]: hi [Speaker 0]: yo")
    assert [t.speaker for t in long] == [0] and long[0].text.startswith("[Speaker")


# -- properties ----------------------------------------------------------------------------------

WORD = st.from_regex(r"[a-z']{1,8}", fullmatch=True)
TAG_VALUE = st.one_of(
    st.integers(0, 999).map(str),
    st.integers(1000, 10**9).map(str),
    st.integers(-999, -1).map(str),
    st.sampled_from(["", "x", "1.5", "..", "12a", "٣"]),
)
TOKEN = st.one_of(
    WORD.map(lambda w: ("word", w)),
    TAG_VALUE.map(lambda v: ("tag", f"[T:{v}]")),
    st.just(("sil", "_")),
    st.just(("spk", "[Speaker 2]:")),
)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_string_parses(text: str) -> None:
    words = parse_timestamps(text, offset_ms=500)
    assert_monotonic(words, 500)
    assert [w.word for w in words] == timestamp_words(text)
    turns = parse_speakers(text)
    assert all(t.text.strip() for t in turns)


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKEN, max_size=40), st.lists(st.booleans(), max_size=40), st.integers(0, 10**7),
       st.one_of(st.none(), st.integers(0, 60_000)))
def test_token_grammar_keeps_every_word(tokens, glue, offset, duration) -> None:
    parts = []
    for i, (kind, text) in enumerate(tokens):
        next_kind = tokens[i + 1][0] if i + 1 < len(tokens) else "end"
        glued = i < len(glue) and glue[i] and "tag" in (kind, next_kind)  # tags may touch their words
        parts.append(text + ("" if glued else " "))
    text = "".join(parts)
    words = parse_timestamps(text, offset_ms=offset, duration_ms=duration)
    expected = [t for kind, t in tokens if kind == "word"]
    got = [w.word for w in words]
    assert got == expected
    assert_monotonic(words, offset, None if duration is None else offset + duration)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(WORD, st.integers(0, 940), st.booleans()), min_size=1, max_size=60))
def test_unwrapping_recovers_true_end_times(steps) -> None:
    """Words whose true end times rise by less than 9.5 s each come back exactly from mod-1000 tags."""
    t, parts, truth = 0, [], []
    for word, step, silence in steps:
        if silence:
            t += step
            parts.append(f"_ [T:{t % 1000}]")
        t += step
        parts.append(f"{word} [T:{t % 1000}]")
        truth.append((word, t * 10))
    words = parse_timestamps(" ".join(parts))
    assert [(w.word, w.end_ms) for w in words] == truth


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.lists(WORD, min_size=1, max_size=6)), max_size=15))
def test_speaker_turns_round_trip(turns) -> None:
    text = " ".join(f"[Speaker {n}]: {' '.join(ws)}" for n, ws in turns)
    parsed = parse_speakers(text)
    assert speaker_words(parsed) == [(w, n) for n, ws in turns for w in ws]
    assert all(a.speaker != b.speaker for a, b in zip(parsed, parsed[1:]))


def test_jitter_just_after_a_wrap_is_not_read_as_ten_seconds_later() -> None:
    # 9.80 s, then 10.10 s (wrapped to 10), then the model says 9.95 s: a 150 ms wobble backwards
    words = parse_timestamps("w [T:980] x [T:10] y [T:995] z [T:30]")
    assert [(w.word, w.start_ms, w.end_ms) for w in words] == [
        ("w", 0, 9800), ("x", 9800, 10100), ("y", 10100, 10100), ("z", 10100, 10300),
    ]
