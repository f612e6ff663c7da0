"""House-style quotes, the quote check, the saved style and the time ranges people type."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.edits import History, ReplaceText
from app.core.project import load_project
from app.core.quote_range import RangeError, check_range, parse_range_time, words_in_range
from app.core.quote_settings import load_quote_style, save_quote_style
from app.core.quotes import QuoteStyle, QuoteStyleError, check_quote, format_quote, quote_body

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo" / "demo.verbatim"


@pytest.fixture
def doc():
    return load_project(DEMO).transcript


def _index(doc, text: str, start: int = 0) -> int:
    return next(k for k in range(start, len(doc)) if doc.words[k].text == text)


def test_one_speaker_in_the_default_house_style(doc) -> None:
    i = _index(doc, "We")
    quote = format_quote(doc, i, i + 6)
    assert quote == "\u201cWe found microplastics at every site,\u201d said Dr. Amal Osei. [00:06]"


def test_several_speakers_become_separate_attributed_quotes(doc) -> None:
    i, j = _index(doc, "higher.") - 2, _index(doc, "respond?") + 1  # "four times higher." / "Four times ..."
    assert format_quote(doc, i, j).split("\n") == [
        "\u201cfour times higher,\u201d said Dr. Amal Osei. [00:12]",
        "\u201cFour times higher. Did the company respond?\u201d said Interviewer. [00:13]",
    ]


def test_estimated_and_low_confidence_words_are_flagged(doc) -> None:
    hist = History(doc)
    i = _index(doc, "We")
    assert not check_quote(doc, i, i + 6).needs_check
    hist.push(ReplaceText(i + 2, i + 3, "micro-plastics"))  # typed by hand: its time is now estimated
    check = check_quote(doc, i, i + 6)
    assert check.needs_check and check.reasons() == "1 edited or estimated word"
    assert format_quote(doc, i, i + 6) == (
        "\u201cWe found micro-plastics at every site,\u201d said Dr. Amal Osei. [00:06] (check against audio)")
    k = _index(doc, "Downstream")
    doc.splice(k, k + 1, [doc.words[k].replace(confidence=0.3)])
    assert check_quote(doc, k, k + 2).reasons() == "1 low-confidence word"
    assert format_quote(doc, i, k + 1).endswith("(check against audio)")


def test_quote_bodies_keep_questions_and_turn_inner_quotes_single() -> None:
    assert quote_body("It works.") == "It works,"
    assert quote_body("Does it work?") == "Does it work?"
    assert quote_body("It said \u201cno\u201d") == "It said \u2018no\u2019,"
    assert quote_body("first, second;") == "first, second,"


def test_a_custom_style_and_bad_styles(doc) -> None:
    i = _index(doc, "We")
    style = QuoteStyle("{speaker}: \u201c{text}\u201d ({time}-{end})")
    quote = format_quote(doc, i, i + 6, style)
    assert quote == "Dr. Amal Osei: \u201cWe found microplastics at every site.\u201d (00:06-00:09)"
    with pytest.raises(QuoteStyleError, match=r"\{name\}"):
        QuoteStyle("{quote} {name}").validate()
    with pytest.raises(QuoteStyleError, match="needs"):
        QuoteStyle("said {speaker}").validate()
    with pytest.raises(QuoteStyleError, match="brace"):
        QuoteStyle("{quote").validate()


def test_the_style_is_saved_once_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "quote_style.json"
    assert load_quote_style(path) == QuoteStyle()  # nothing saved yet: the default
    style = QuoteStyle("{speaker} said: \u201c{text}\u201d [{time}]", "[VERIFY]")
    save_quote_style(style, path)
    assert load_quote_style(path) == style
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(QuoteStyleError, match="cannot be read"):
        load_quote_style(path)


@pytest.mark.parametrize(("text", "ms"), [
    ("75000", 75_000), ("1:15", 75_000), ("1:15.5", 75_500), ("0:06.25", 6_250), ("1:01:15.25", 3_675_250),
    ("12:03", 723_000),
])
def test_range_times(text: str, ms: int) -> None:
    assert parse_range_time(text) == ms


@pytest.mark.parametrize("text", ["1:75", "abc", "1.5", "-3", "1:2:3:4", "1:01:75"])
def test_bad_range_times_are_one_sentence(text: str) -> None:
    with pytest.raises(RangeError, match="is not a time"):
        parse_range_time(text)


def test_ranges_are_checked_against_the_recording(doc) -> None:
    with pytest.raises(RangeError, match="reversed"):
        check_range(9000, 6000, 29_682)
    with pytest.raises(RangeError, match="after the recording ends \\(0:29.6\\)"):
        check_range(6000, 40_000, 29_682)
    with pytest.raises(RangeError, match="starts after"):
        check_range(30_000, 40_000, 29_682)
    check_range(6000, 9400, 29_682)
    i, j = words_in_range(doc, 6000, 9400)
    assert doc.text(i, j) == "We found microplastics at every site."
    with pytest.raises(RangeError, match="No words"):
        words_in_range(doc, 6250, 6700)  # the pause between the two speakers
