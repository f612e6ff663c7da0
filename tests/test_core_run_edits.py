"""A transcription run as steps: the first replaces, later ones append, all of it one undo step."""

from __future__ import annotations

from app.core.document import Change, ChangeKind, Speaker, Transcript, TranscriptionSettings, Word
from app.core.history import History
from app.core.run_edits import TranscriptionStep


def _old_doc() -> Transcript:
    return Transcript.from_words([Word("Old", 0, 300, "A"), Word("text.", 300, 700, "A")],
                                 [Speaker("A", "Dr. Osei", "#336699")], keywords=("Osei",))


def _state(doc: Transcript) -> tuple:
    return list(doc.words), doc.speakers, doc.keywords, doc.settings


def test_later_steps_change_only_their_new_words() -> None:
    doc = _old_doc()
    before = _state(doc)
    history = History(doc)
    events: list[Change] = []
    doc.subscribe(events.append)
    settings = TranscriptionSettings("plus", "r1", "en", "transcribe", None, "cpu")
    run = ("transcription", 1)
    history.push(TranscriptionStep([Word("w0", 0, 500, "S1")], [Speaker("S1", "Speaker 1", "#aa0000")], run, True,
                                   settings, ("Mayor",)))
    for piece in range(1, 200):
        events.clear()
        history.push(TranscriptionStep([Word(f"w{piece}", piece * 1000, piece * 1000 + 500, "S1")], [], run, False))
        words = [e for e in events if e.kind == ChangeKind.WORDS]
        assert len(words) == 1 and (words[0].start, words[0].removed, words[0].inserted) == (piece, 0, 1)
        assert all(e.kind == ChangeKind.WORDS for e in events)  # the speaker table did not change
    assert len(history) == 1  # the run merged into its first step
    assert doc.text() == " ".join(f"w{i}" for i in range(200))
    assert doc.settings == settings and doc.keywords == ("Mayor",)
    done = _state(doc)
    history.undo()
    assert _state(doc) == before
    history.redo()
    assert _state(doc) == done


def test_new_speakers_get_rows_and_are_undone_with_the_run() -> None:
    doc = _old_doc()
    history = History(doc)
    run = "run-7"
    history.push(TranscriptionStep([Word("hello", 0, 400, "S1")], [], run, True))
    history.push(TranscriptionStep([Word("hi", 500, 800, "S2")], [], run, False))
    ids = [s.id for s in doc.speakers]
    assert "S1" in ids and "S2" in ids
    named = [Speaker("S1", "Reporter", "#111111"), Speaker("S2", "Mayor", "#222222")]
    history.push(TranscriptionStep([Word("yes", 900, 1000, "S2")], named, run, False))
    assert {s.id: s.name for s in doc.speakers}["S2"] == "Mayor"
    done = _state(doc)
    assert len(history) == 1
    history.undo()
    assert [s.name for s in doc.speakers] == ["Dr. Osei"] and doc.text() == "Old text."
    history.redo()
    assert _state(doc) == done


def test_steps_of_different_runs_do_not_merge() -> None:
    doc = _old_doc()
    history = History(doc)
    history.push(TranscriptionStep([Word("a", 0, 10)], [], "run-1", True))
    history.push(TranscriptionStep([Word("b", 20, 30)], [], "run-2", True))
    assert len(history) == 2 and doc.text() == "b"
    history.undo()
    assert doc.text() == "a"
    # an append step that stands alone (its run's first step was undone elsewhere) reverts by itself
    lone = TranscriptionStep([Word("c", 40, 50)], [], "run-3", False)
    lone.apply(doc)
    assert doc.text() == "a c"
    lone.revert(doc)
    assert doc.text() == "a"


def test_a_step_that_re_breaks_the_tail_replaces_it_and_undo_restores_the_transcript_before_the_run() -> None:
    """A later step may replace the run's last paragraph (its breaks moved) as well as add words."""
    from app.core.document import Transcript, Word
    from app.core.history import History
    from app.core.run_edits import TranscriptionStep

    doc = Transcript.from_words([Word("before", 0, 100)])
    history = History(doc)
    run = ("transcription", 1, 1)
    a = [Word("one", 0, 100), Word("two", 200, 300)]
    history.push(TranscriptionStep(a, [], run, True))
    tail = [Word("two.", 200, 300), Word("three", 900, 1000).replace(starts_segment=True)]
    history.push(TranscriptionStep(tail, [], run, False, replace_from=1))
    assert [w.text for w in doc.words] == ["one", "two.", "three"]
    assert doc.words[2].starts_segment
    history.undo()
    assert [w.text for w in doc.words] == ["before"]
    history.redo()
    assert [w.text for w in doc.words] == ["one", "two.", "three"] and doc.words[2].starts_segment
