"""SRT and WebVTT import: our own tolerant parsers, then words spread over each cue's time.

A cue is not a paragraph: a new segment starts only where the speaker changes or where the silence
between cues is at least `PARAGRAPH_GAP_MS`. Speakers come from WebVTT voice spans (`<v Name>`) and,
in SRT, from a name of one to three capitalised words and a colon ("MAYOR:", "Jane Doe:") only in the
forms exporters write: at the start of a cue where the same name recurs, in capitals ("MAYOR OKAFOR:"),
or opening the file's first cue (Verbatim's own SRT names the speaker there and at every change); once
a file is labelled so, every cue that opens with a name is a turn. Otherwise "Look: we never..." is
text, never a speaker. A name holds until the next one. Only the tags SRT defines (b, i, u, s, font,
and {\\...} overrides) are dropped: "<laughs>" is text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from app.core.document import Speaker, Transcript, Word, default_color
from app.core.errors import ImportExportError
from app.core.timecode import parse_srt, parse_vtt
from app.core.timing import spread_words
from app.core.word_units import split_units

PARAGRAPH_GAP_MS = 2000


@dataclass(frozen=True, slots=True)
class RawCue:
    """A cue as read: its times, the line number of its timing line, and (speaker name, text) runs."""

    start_ms: int
    end_ms: int
    line: int
    runs: tuple[tuple[str | None, str], ...]


# -- SRT ----------------------------------------------------------------------------------------

_SRT_TIMING = re.compile(r"^\s*([\d:.,]+)\s*-->\s*([\d:.,]+)(?:\s.*)?$")
_SRT_TAG = re.compile(r"</?(?:[biusBIUS]|font|FONT|Font)(?:\s[^<>]*)?>|\{\\[^}]*\}")
_SRT_SPEAKER = re.compile(r"^\s*([^\W\d_][^\s:]*(?:[ \t]+[^\s:]+){0,2}):(?:[ \t]+|$)(.*)$")
_NAME_PARTICLES = {"de", "da", "di", "del", "van", "von", "der", "den", "la", "le", "bin", "al", "el", "du"}


def _speaker_prefix(line: str) -> tuple[str, str] | None:
    """("Name", rest) when the line starts with a plausible speaker name and a colon."""
    m = _SRT_SPEAKER.match(line)
    if m is None:
        return None
    name, rest = m.group(1).strip(), m.group(2)
    parts = name.split()
    if len(name) > 40 or not parts[0][0].isupper():
        return None
    if not all(p[0].isupper() or p[0].isdigit() or p in _NAME_PARTICLES for p in parts):
        return None
    return name, rest


def parse_srt_text(text: str, name: str = "the file") -> list[RawCue]:
    """Cues of an SRT document (numbers may be missing; blank lines inside a cue's text are kept)."""
    lines = text.split("\n")
    blocks: list[tuple[int, int, int, list[str]]] = []
    for n, line in enumerate(lines, start=1):
        m = _SRT_TIMING.match(line) if "-->" in line else None
        if m is not None:
            if blocks:
                prev_text = blocks[-1][3]
                # a cue number straight after the previous cue's text (a missing blank line)
                if len(prev_text) > 1 and prev_text[-1].strip().isdigit():
                    prev_text.pop()
            try:
                start, end = parse_srt(m.group(1)), parse_srt(m.group(2))
            except ImportExportError as exc:
                raise ImportExportError(f"Line {n} of {name}: {_lower_first(str(exc))}") from None
            if end < start:
                raise ImportExportError(f"The subtitle at line {n} of {name} ends before it starts.")
            blocks.append((start, end, n, []))
        elif blocks:
            blocks[-1][3].append(line)
        elif line.strip() and not line.strip().isdigit():
            raise ImportExportError(f"{name} is not an SRT file: line {n} comes before any subtitle time.")
    if not blocks:
        raise ImportExportError(f"{name} holds no SRT subtitles.")
    cleaned = [[line for line in (_SRT_TAG.sub("", raw).strip() for raw in text_lines) if line]
               for _, _, _, text_lines in blocks]
    accepted = _speaker_names(cleaned)
    cues: list[RawCue] = []
    speaker: str | None = None
    for (start, end, n, _), lines in zip(blocks, cleaned, strict=True):
        runs: list[tuple[str | None, str]] = []
        for k, line in enumerate(lines):
            found = _speaker_prefix(line)
            if found is not None and found[0] in accepted and (k == 0 or found[0].isupper()):
                speaker, line = found
                if not line.strip():
                    continue
            runs.append((speaker, line))
        cues.append(RawCue(start, end, n, tuple(runs)))
    return cues


def _speaker_names(cues: list[list[str]]) -> set[str]:
    """The names that label speakers in this SRT file (see the module docstring)."""
    openers: dict[str, int] = {}
    capitals: set[str] = set()
    first = _speaker_prefix(cues[0][0]) if cues and cues[0] else None
    for lines in cues:
        for k, line in enumerate(lines):
            found = _speaker_prefix(line)
            if found is None:
                continue
            if k == 0:
                openers[found[0]] = openers.get(found[0], 0) + 1
            if found[0].isupper() and sum(c.isalpha() for c in found[0]) >= 2:
                capitals.add(found[0])
    accepted = {name for name, count in openers.items() if count >= 2} | capitals
    if first is not None:  # Verbatim's own SRT names the speaker of the very first cue
        accepted.add(first[0])
    return accepted | set(openers) if accepted else set()


# -- WebVTT -------------------------------------------------------------------------------------

_VTT_HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?$")
_VTT_TIMING = re.compile(r"^\s*(\S+)[ \t]+-->[ \t]+(\S+)(?:[ \t]+.*)?$")
_VTT_TAG = re.compile(r"<[^>]*>")
_VTT_VOICE = re.compile(r"^<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>$")
_VTT_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")


def _vtt_runs(text: str) -> tuple[tuple[str | None, str], ...]:
    """Split cue text at voice spans; drop every other tag; unescape entities."""
    runs: list[tuple[str | None, str]] = []
    voice: str | None = None
    buf: list[str] = []
    pos = 0
    for m in _VTT_TAG.finditer(text):
        buf.append(text[pos : m.start()])
        pos = m.end()
        tag = m.group(0)
        v = _VTT_VOICE.match(tag)
        if v is not None or tag.startswith("</v"):
            runs.append((voice, html.unescape("".join(buf))))
            buf = []
            voice = (" ".join(html.unescape(v.group(1) or "").split()) or None) if v is not None else None
    buf.append(text[pos:])
    runs.append((voice, html.unescape("".join(buf))))
    return tuple((v, t) for v, t in runs if t.strip())


def parse_vtt_text(text: str, name: str = "the file") -> list[RawCue]:
    """Cues of a WebVTT document (header, NOTE, STYLE and REGION blocks and cue settings are skipped)."""
    lines = text.split("\n")
    if not _VTT_HEADER.match(lines[0].lstrip("\ufeff")):
        raise ImportExportError(f"{name} is not a WebVTT file: it does not start with WEBVTT.")
    cues: list[RawCue] = []
    n = 1
    while n < len(lines) and lines[n].strip():  # header lines up to the first blank line
        n += 1
    block: list[tuple[int, str]] = []
    for number, line in list(enumerate(lines, start=1))[n:] + [(len(lines) + 1, "")]:
        if line.strip():
            block.append((number, line))
            continue
        if block:
            cue = _vtt_cue(block, name)
            if cue is not None:
                cues.append(cue)
            block = []
    if not cues:
        raise ImportExportError(f"{name} holds no WebVTT cues.")
    return cues


def _vtt_cue(block: list[tuple[int, str]], name: str) -> RawCue | None:
    first = block[0][1]
    if first.split(maxsplit=1)[0] in _VTT_SKIPPED_BLOCKS and "-->" not in first:
        return None
    at = 0 if "-->" in first else 1 if len(block) > 1 and "-->" in block[1][1] else None
    if at is None:
        return None  # not a cue: WebVTT readers drop such blocks
    number, timing = block[at]
    m = _VTT_TIMING.match(timing)
    if m is None:
        raise ImportExportError(f"Line {number} of {name} is not a valid WebVTT cue timing.")
    try:
        start, end = parse_vtt(m.group(1)), parse_vtt(m.group(2))
    except ImportExportError as exc:
        raise ImportExportError(f"Line {number} of {name}: {_lower_first(str(exc))}") from None
    if end < start:
        raise ImportExportError(f"The cue at line {number} of {name} ends before it starts.")
    body = "\n".join(line for _, line in block[at + 1 :])
    return RawCue(start, end, number, _vtt_runs(body))


# -- cues to a transcript -----------------------------------------------------------------------


def _lower_first(sentence: str) -> str:
    return sentence[:1].lower() + sentence[1:] if sentence[:1] != '"' else sentence


def cues_to_transcript(cues: list[RawCue], name: str = "the file") -> Transcript:
    """Words spread over each cue (timing source INTERPOLATED); speakers named in the file become rows."""
    ids: dict[str, str] = {}
    speakers: list[Speaker] = []
    words: list[Word] = []
    prev_end: int | None = None
    for cue in sorted(cues, key=lambda c: c.start_ms):
        texts: list[str] = []
        who: list[str | None] = []
        for speaker_name, text in cue.runs:
            sid = None
            if speaker_name:
                if speaker_name not in ids:
                    ids[speaker_name] = f"S{len(ids) + 1}"
                    speakers.append(Speaker(ids[speaker_name], speaker_name, default_color(len(speakers))))
                sid = ids[speaker_name]
            tokens = split_units(text)
            texts += tokens
            who += [sid] * len(tokens)
        if not texts:
            continue
        start = cue.start_ms if prev_end is None else max(cue.start_ms, prev_end)  # overlapping cues
        end = max(cue.end_ms, start)
        spread = spread_words(texts, start, end)
        new_paragraph = prev_end is not None and cue.start_ms - prev_end >= PARAGRAPH_GAP_MS
        for k, w in enumerate(spread):
            words.append(w.replace(speaker=who[k], starts_segment=(k == 0 and new_paragraph)))
        prev_end = end
    if not words:
        raise ImportExportError(f"{name} has subtitles but no words in them.")
    return Transcript.from_words(words, speakers)
