"""Timecodes: every format parses what it formats, bad text gives one clear ImportExportError."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.errors import ImportExportError
from app.core.timecode import (
    format_duration,
    format_srt,
    format_stamp,
    format_timecode,
    format_vtt,
    parse_srt,
    parse_stamp,
    parse_timecode,
    parse_vtt,
)

MS = st.integers(min_value=0, max_value=400 * 3_600_000)  # hours past 99 included


@given(MS)
def test_every_format_round_trips(ms: int) -> None:
    assert parse_timecode(format_timecode(ms)) == ms
    assert parse_srt(format_srt(ms)) == ms
    assert parse_vtt(format_vtt(ms)) == ms
    assert parse_stamp(format_stamp(ms)) == ms - ms % 1000


def test_known_values() -> None:
    assert format_timecode(3_723_004) == "01:02:03.004"
    assert format_srt(3_723_004) == "01:02:03,004"
    assert format_vtt(0) == "00:00:00.000"
    assert format_vtt(100 * 3_600_000 + 5) == "100:00:00.005"
    assert format_stamp(3_723_999) == "[01:02:03]"
    assert format_duration(3_723_600) == "1:02:04"


def test_webvtt_short_form_and_long_hours() -> None:
    assert parse_vtt("01:02.500") == 62_500
    assert parse_vtt("123:00:00.001") == 123 * 3_600_000 + 1


def test_srt_accepts_what_real_files_hold() -> None:
    assert parse_srt("00:00:01,5") == 1_500  # a short fraction means tenths
    assert parse_srt("0:00:01.250") == 1_250  # a dot and a one-digit hour
    assert parse_srt(" 00:00:02,000 ") == 2_000


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (parse_srt, "00:01,000"),  # SRT needs hours
        (parse_srt, "00:00:01"),  # and milliseconds
        (parse_vtt, "00:00:01,000"),  # WebVTT uses a dot
        (parse_vtt, "00:61.000"),
        (parse_vtt, "00:00.5"),  # WebVTT needs three digits
        (parse_timecode, "1:2:3.000"),
        (parse_timecode, "abc"),
        (parse_timecode, ""),
        (parse_stamp, "00:01:02"),
        (parse_stamp, "[00:99:00]"),
    ],
)
def test_bad_text_is_refused_with_one_sentence(parser, text: str) -> None:
    with pytest.raises(ImportExportError) as info:
        parser(text)
    message = str(info.value)
    assert message.endswith(".") and "\n" not in message


@pytest.mark.parametrize("value", [-1, 1.5, "10", True])
def test_formatting_refuses_what_is_not_a_time(value) -> None:
    with pytest.raises(ImportExportError):
        format_timecode(value)


def test_the_clocks_people_read() -> None:
    from app.core.timecode import format_clock, format_position

    assert format_clock(6_400) == "00:06" and format_clock(3_725_000) == "1:02:05" and format_clock(-5) == "00:00"
    assert format_position(125_470) == "2:05.4" and format_position(3_723_400) == "1:02:03.4"
    assert format_position(125_470, tenths=False) == "2:05"


def test_positions_typed_by_a_person() -> None:
    from app.core.errors import VerbatimError
    from app.core.timecode import parse_position

    assert parse_position("90") == 90_000 and parse_position("1:30") == 90_000
    assert parse_position(" 1:02:03.5 ") == 3_723_500
    with pytest.raises(VerbatimError, match="is not a time"):
        parse_position("1:2:3:4")
    with pytest.raises(VerbatimError, match="is not a time"):
        parse_position("9" * 5000)  # never handed to float() or int() whole
