"""Shared test material for the editor tests: an interview transcript and an editor showing it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.core.document import Speaker, TimingSource, Transcript, Word

SENTENCES = [
    "Thank you for joining us today, Mayor.",
    "Let us start with the bridge, which has been closed since March.",
    "When will it open again, and what went wrong with the inspection?",
    "The engineers told us in January that the cables needed replacing.",
    "We ordered new ones right away, but the supplier was late by six weeks.",
    "I can confirm the bridge opens in May, on the fourteenth, before the holiday traffic.",
    "Our crews are working nights so that the river traffic is not blocked during the day.",
    "How much has the repair cost the city so far?",
    "About four point two million, most of it covered by the state grant we received last autumn.",
    "Residents on the east side say the detour adds forty minutes to every trip.",
]

SPEAKERS = (Speaker("S1", "Anna Reyes", "#1f77b4"), Speaker("S2", "Mayor Ben Ortiz", "#d62728"),
            Speaker("S3", "Cleo Park", "#2ca02c"))


def interview(n_words: int = 300, turn: int = 37) -> Transcript:
    """A transcript of `n_words` words in turns of about `turn` words, rotating over three speakers."""
    tokens = " ".join(SENTENCES).split()
    words: list[Word] = []
    t = 500
    for i in range(n_words):
        text = tokens[i % len(tokens)]
        length = 120 + 35 * len(text)
        speaker = SPEAKERS[(i // turn) % 3].id
        confidence = 0.3 if i % 23 == 11 else 0.93
        words.append(Word(text, t, t + length, speaker, confidence, TimingSource.MODEL))
        t += length + (400 if text.endswith((".", "?")) else 60)
    return Transcript.from_words(words, SPEAKERS)


def word_center(editor, index: int) -> QPoint:
    """Viewport point in the middle of word `index` (scrolled into view first)."""
    view = editor.text_view()
    start = editor.layout_model().word_span(index)[0]
    cursor = view.textCursor()
    cursor.setPosition(start)
    view.setTextCursor(cursor)
    view.ensureCursorVisible()
    return editor.word_rect(index).center()


def click_word(qtbot, editor, index: int) -> None:
    """A real left click on the middle of word `index`."""
    point = word_center(editor, index)
    qtbot.mouseClick(editor.text_view().viewport(), Qt.MouseButton.LeftButton, pos=point)


def put_cursor(editor, index: int, offset: int = 0) -> None:
    """Text cursor `offset` characters into word `index` (negative: from the word's end)."""
    start, end = editor.layout_model().word_span(index)
    cursor = editor.text_view().textCursor()
    cursor.setPosition(start + offset if offset >= 0 else end + offset + 1)
    editor.text_view().setTextCursor(cursor)


def block_texts(editor) -> list[str]:
    doc = editor.text_view().document()
    return [doc.findBlockByNumber(i).text() for i in range(doc.blockCount())]


def expected_texts(doc: Transcript) -> list[str]:
    return [" ".join(w.text for w in doc.words[s.start:s.end]) for s in doc.segments()]


def type_keys(view, text: str) -> None:
    QTest.keyClicks(view, text)
