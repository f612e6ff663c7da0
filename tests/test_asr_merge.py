"""Merging the punctuated text, the timestamps pass and the speakers pass into one word list."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from app.asr.granite.plus_output import parse_speakers, parse_timestamps, speaker_words
from app.asr.pipeline.merge import align_sequences, merge_passes, normalize_word, split_words
from app.core.document import TimingSource

PUNCTUATED = "Good morning, Mr. Jones. How long have you worked at the port? About 20 years now. And what changed?"
TIMESTAMPS = (
    "good [T:40] morning [T:85] mister [T:120] jones [T:160] _ [T:210] how [T:230] long [T:260] have [T:275] "
    "you [T:290] worked [T:330] at [T:345] the [T:360] port [T:410] _ [T:480] about [T:520] twenty [T:570] "
    "years [T:610] now [T:650] and [T:690] what [T:720] changed [T:790]"
)
SPEAKERS = (
    "[Speaker 1]: good morning mister jones how long have you worked at the port "
    "[Speaker 2]: about twenty years now [Speaker 1]: and what changed"
)


def test_normalize_and_split() -> None:
    assert normalize_word("Port?") == "port"
    assert normalize_word("I'm") == "im"
    assert normalize_word("Ça") == "ça"
    assert split_words('Hello , world — really ?') == ["Hello,", "world —", "really?"]
    assert split_words('" Quote" ok') == ['"Quote"', "ok"]
    assert split_words("...") == ["..."]


def test_interview_merge_keeps_punctuation_times_and_speakers() -> None:
    primary = split_words(PUNCTUATED)
    words = merge_passes(primary, parse_timestamps(TIMESTAMPS, offset_ms=30_000),
                         speaker_words(parse_speakers(SPEAKERS)), 30_000, 38_000)
    assert [w.text for w in words] == primary
    by_text = {w.text: w for w in words}
    assert by_text["Jones."].start_ms == 31_200 and by_text["Jones."].end_ms == 31_600
    assert by_text["Jones."].source == TimingSource.MODEL
    # "Mr." and "20" differ from "mister"/"twenty": spread between their neighbours
    assert by_text["Mr."].source == TimingSource.INTERPOLATED
    assert by_text["morning,"].end_ms <= by_text["Mr."].start_ms <= by_text["Mr."].end_ms <= by_text["Jones."].start_ms
    assert by_text["20"].source == TimingSource.INTERPOLATED
    assert 34_800 <= by_text["20"].start_ms and by_text["20"].end_ms <= 35_700
    assert [w.speaker for w in words] == ["1"] * 12 + ["2"] * 4 + ["1"] * 3
    assert all(x.end_ms <= y.start_ms for x, y in zip(words, words[1:]))


def test_speaker_change_inside_an_unmatched_stretch_goes_to_the_sentence_end() -> None:
    primary = split_words("Where were you? Outside, at home. Sure.")
    spk = [("where", 1), ("xx", 1), ("yy", 2), ("zz", 2), ("sure", 2)]
    words = merge_passes(primary, speakers=spk)
    assert [w.speaker for w in words] == ["1", "1", "1", "2", "2", "2", "2"][: len(words)]
    assert [w.text for w in words] == primary


def test_plus_only_merge_keeps_the_timestamp_words() -> None:
    timed = parse_timestamps("so [T:40] uh [T:60] we [T:90] left [T:130]")
    spk = speaker_words(parse_speakers("[Speaker 1]: so we [Speaker 2]: left"))
    words = merge_passes(None, timed, spk)
    assert [(w.text, w.speaker, w.start_ms, w.end_ms) for w in words] == [
        ("so", "1", 0, 400), ("uh", "1", 400, 600), ("we", "1", 600, 900), ("left", "2", 900, 1300)]


def test_without_times_the_text_is_spread_over_the_span() -> None:
    words = merge_passes(["One", "two", "three."], start_ms=1000, end_ms=2000)
    assert words[0].start_ms == 1000 and words[-1].end_ms == 2000
    assert all(w.source == TimingSource.INTERPOLATED and w.speaker is None for w in words)


def test_extra_words_at_both_ends() -> None:
    timed = parse_timestamps("middle [T:100] part [T:200]", offset_ms=5000)
    words = merge_passes(["Intro", "middle", "part", "outro."], timed, start_ms=4000, end_ms=9000)
    assert words[0].start_ms == 4000 and words[0].end_ms == 5000
    assert words[1].start_ms == 5000 and words[2].end_ms == 7000
    assert 7000 <= words[3].start_ms <= words[3].end_ms <= 9000
    assert merge_passes([], timed) == []


def test_long_interview_aligns() -> None:
    rnd = random.Random(7)
    common = "the a of and to in is it that was i you we they said".split()
    rare = [f"name{i}" for i in range(300)]
    truth = [rnd.choice(common) if rnd.random() < 0.6 else rnd.choice(rare) for _ in range(5000)]
    parts, t = [], 0
    for w in truth:
        if rnd.random() < 0.03:
            continue  # the timestamps pass missed it
        t += rnd.randint(20, 60)
        parts.append(f"{w} [T:{t % 1000}]")
    primary = [w.capitalize() if rnd.random() < 0.1 else w for w in truth]
    words = merge_passes(primary, parse_timestamps(" ".join(parts)))
    assert [w.text for w in words] == primary
    assert sum(w.source == TimingSource.MODEL for w in words) > 0.95 * len(words)
    assert all(x.end_ms <= y.start_ms for x, y in zip(words, words[1:]))


VOCAB = st.sampled_from("the a mayor said bridge no yes vote week port council city twenty".split())


@settings(max_examples=150, deadline=None)
@given(
    st.lists(VOCAB, max_size=40),
    st.lists(st.tuples(st.sampled_from(["keep", "drop", "swap", "insert"]), VOCAB), max_size=40),
    st.lists(st.integers(1, 3), max_size=40),
    st.integers(0, 100_000),
)
def test_merge_property(truth, edits, labels, offset) -> None:
    primary = [w.capitalize() + ("." if i % 7 == 6 else "") for i, w in enumerate(truth)]
    other: list[str] = []
    for k, w in enumerate(truth):
        op, extra = edits[k] if k < len(edits) else ("keep", w)
        if op == "keep":
            other.append(w)
        elif op == "swap":
            other.append(extra)
        elif op == "insert":
            other.extend([extra, w])
    t, parts = 0, []
    for w in other:
        t += 37
        parts.append(f"{w} [T:{t % 1000}]")
    timed = parse_timestamps(" ".join(parts), offset_ms=offset)
    spk = [(w, labels[k % len(labels)] if labels else 1) for k, w in enumerate(other)]
    words = merge_passes(primary, timed, spk, offset, offset + 60_000)
    assert [w.text for w in words] == primary  # every primary word once, in order
    assert all(x.start_ms <= x.end_ms <= y.start_ms for x, y in zip(words, words[1:]))
    assert all(offset <= w.start_ms and w.end_ms <= offset + 60_000 for w in words)
    if spk:
        assert all(w.speaker in {str(lab) for _, lab in spk} for w in words)
    for (i, j) in align_sequences([normalize_word(p) for p in primary], [t.word for t in timed]):
        assert words[i].source == TimingSource.MODEL
        assert (words[i].start_ms, words[i].end_ms) == (timed[j].start_ms, timed[j].end_ms)


def test_spaced_out_opening_marks_go_to_the_next_word() -> None:
    from app.asr.pipeline.merge import split_words

    assert split_words('He said " hello " and ( maybe ) yes') == ["He", "said", '"hello"', "and", "(maybe)", "yes"]
    assert split_words("¿ Qué ? « oui » , fine") == ["¿Qué?", "«oui»,", "fine"]
    assert split_words('"Quote" he said , " again " .') == ['"Quote"', "he", "said,", '"again".']
