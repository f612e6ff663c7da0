"""Linking speaker labels across pieces by majority over the words both pieces heard."""

from __future__ import annotations

from app.asr.granite.plus_output import parse_speakers, parse_timestamps, speaker_words
from app.asr.pipeline.merge import merge_passes
from app.asr.pipeline.speaker_link import SpeakerLinker
from app.asr.pipeline.stitch import align_overlap, stitch
from app.core.document import Word


def test_first_piece_numbers_speakers_in_order() -> None:
    linker = SpeakerLinker()
    assert linker.link(["2", "1", "2", "3"]) == {"2": "S1", "1": "S2", "3": "S3"}
    assert [s.name for s in linker.speakers] == ["Speaker 1", "Speaker 2", "Speaker 3"]
    assert len({s.color for s in linker.speakers}) == 3


def test_swapped_labels_are_mapped_back() -> None:
    linker = SpeakerLinker()
    linker.link(["1", "2"])
    # the next piece starts with the guest, so the model calls the guest "1" there
    shared = [("S2", "1")] * 6 + [("S1", "2")] * 4 + [("S1", "1")]  # one word mislabelled
    assert linker.link(["1", "2"], shared) == {"1": "S2", "2": "S1"}
    assert len(linker.speakers) == 2


def test_a_new_speaker_gets_a_new_id() -> None:
    linker = SpeakerLinker()
    linker.link(["1", "2"])
    # the overlap holds the guest (S2) only; the previous piece's other speaker (S1) is still unclaimed
    mapping = linker.link(["1", "2", "3"], [("S2", "1")] * 5, recent=["S2", "S1"])
    assert mapping == {"1": "S2", "2": "S1", "3": "S3"}
    assert [s.id for s in linker.speakers] == ["S1", "S2", "S3"]


def test_labels_without_evidence_take_known_speakers_before_new_ones() -> None:
    linker = SpeakerLinker()
    linker.link(["1", "2"])
    mapping = linker.link(["1", "2", "3"], [("S2", "1")] * 5)
    assert mapping == {"1": "S2", "2": "S1", "3": "S3"}  # a third voice at once: only then a new speaker
    assert linker.link(["1"], []) == {"1": "S3"}  # the most recently heard


def test_a_speaker_back_after_a_long_answer_keeps_their_id() -> None:
    linker = SpeakerLinker()
    assert linker.link(["1", "2"]) == {"1": "S1", "2": "S2"}  # question and answer
    assert linker.link(["1"], [("S2", "1")] * 8, recent=["S2"]) == {"1": "S2"}  # the answer fills a piece
    # the interviewer is back; the overlap holds only the answer's end, the previous piece only S2
    assert linker.link(["1", "2"], [("S2", "1")] * 6, recent=["S2"]) == {"1": "S2", "2": "S1"}
    assert [s.id for s in linker.speakers] == ["S1", "S2"]


def test_unclaimed_previous_speakers_fill_in_by_talkativeness() -> None:
    linker = SpeakerLinker()
    linker.link(["1", "2", "3"])
    assert linker.link(["1", "2"], [], recent=["S3", "S1", "S2"]) == {"1": "S3", "2": "S1"}


def test_two_local_labels_never_share_one_global_id() -> None:
    linker = SpeakerLinker()
    linker.link(["1"])
    mapping = linker.link(["1", "2"], [("S1", "1")] * 3 + [("S1", "2")] * 5)
    assert mapping["2"] == "S1" and mapping["1"] != "S1"


def piece(ts: str, spk: str, offset: int) -> list[Word]:
    return merge_passes(None, parse_timestamps(ts, offset_ms=offset), speaker_words(parse_speakers(spk)))


def test_link_and_stitch_two_plus_pieces() -> None:
    """Two pieces of plus output sharing 'where do you live i live by the river'; the second numbers speakers
    the other way round. After linking, the reporter and the guest keep one id each."""
    a = piece(
        "hello [T:50] and [T:80] welcome [T:130] thanks [T:200] where [T:260] do [T:280] you [T:300] live [T:350] "
        "i [T:400] live [T:430] by [T:450] the [T:470] river [T:520]",
        "[Speaker 1]: hello and welcome [Speaker 2]: thanks [Speaker 1]: where do you live "
        "[Speaker 2]: i live by the river",
        0,
    )
    b = piece(
        "you [T:40] live [T:90] i [T:140] live [T:170] by [T:190] the [T:210] river [T:260] nice [T:330] "
        "yes [T:400]",
        "[Speaker 2]: you live [Speaker 1]: i live by the river [Speaker 2]: nice [Speaker 1]: yes",
        2600,
    )
    linker = SpeakerLinker()
    mapping_a = linker.link([w.speaker for w in a])
    a = [w.replace(speaker=mapping_a[w.speaker]) for w in a]
    pairs = align_overlap(a, b, 2600, 5200)
    assert len(pairs) >= 5
    mapping_b = linker.link([w.speaker for w in b], [(a[i].speaker, b[j].speaker) for i, j in pairs])
    b = [w.replace(speaker=mapping_b[w.speaker]) for w in b]
    joined = stitch(a, b, 2600, 5200, pairs=pairs)
    assert " ".join(w.text for w in joined) == (
        "hello and welcome thanks where do you live i live by the river nice yes")
    by = {w.text: w.speaker for w in joined}
    assert by["hello"] == by["where"] == by["nice"] == "S1"
    assert by["thanks"] == by["river"] == by["yes"] == "S2"
