"""Word units for every language: whitespace words, and real units for Chinese and Japanese text.

Chinese and Japanese are written without spaces, so splitting at whitespace makes a whole piece one
"word" (no word timing, one subtitle per piece, doubled text at seams). Here a token that holds CJK
characters is cut into units by a rule on the writing system of each character:

- one unit per Han character (an iteration mark 々 stays with the character it repeats);
- one unit per run of Hiragana, and one per run of Katakana (with ー and the name dot ・), so a
  Katakana word (loanwords, foreign names: コンピューター, ジョン・スミス) is never split;
- one unit per run of other letters and digits ("AI", "2024", "3.5");
- punctuation is attached: closing marks and commas to the unit before, opening brackets and
  quotes to the unit after ("「東", "京」。").

Why a rule and not a dictionary segmenter (MeCab, jieba): the rule needs no dictionary download and
no native code, gives the same units on every machine, and is *stable*: cutting a unit again gives
the unit back, so words stored in a project, shown in the editor and re-read from the editor's text
always agree. Its units are also what the time stamps need: a Han character or a kana run is a
syllable or a few, about as long as one or two CTC frames, so each unit can be aligned and clicked.
Units are finer than dictionary words, which matters only for line breaking, and there the rule is
safe too: lines break between units, never inside a Katakana word or a number.

When text is rebuilt, no space goes between two units where either side is CJK (`join_words`);
the editor shows such boundaries as a zero-width space (`display_join`) so that every unit is still
a token of its own that a click can find.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

UNIT_SEPARATOR = "\u200b"  # zero-width space: how the editor separates CJK units it shows joined
_SPLIT = re.compile(r"[\s\u200b]+")
_OPENING = set("「『（【〈《〔［｛〘〖([{“‘«¿¡„‚")


def _script(ch: str) -> str:
    """'han', 'hira', 'kata', 'cjkpunct', 'open', 'punct' or 'other' (letters and digits outside CJK)."""
    o = ord(ch)
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3134F:
        return "han"
    if o in (0x3005, 0x3006, 0x3007):  # 々 〆 〇
        return "han"
    if 0x3041 <= o <= 0x309F:
        return "hira"
    if 0x30A0 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F:
        return "kata"
    if ch in _OPENING:
        return "open"
    if 0x3000 <= o <= 0x303F or 0xFF01 <= o <= 0xFF0F or 0xFF1A <= o <= 0xFF20 or 0xFF3B <= o <= 0xFF40 \
            or 0xFF5B <= o <= 0xFF65:
        return "cjkpunct"
    if ch.isalnum():
        return "other"
    return "punct"


_CJK_SCRIPTS = ("han", "hira", "kata", "cjkpunct")


def is_cjk_char(ch: str) -> bool:
    """Whether a character belongs to Chinese or Japanese writing (Han, kana, CJK punctuation, full-width forms)."""
    script = _script(ch)
    return script in _CJK_SCRIPTS or (script == "open" and ord(ch) >= 0x3000) or 0xFF10 <= ord(ch) <= 0xFF5A


def has_cjk(text: str) -> bool:
    """Whether `text` holds any Chinese or Japanese character."""
    return any(is_cjk_char(ch) for ch in text)


def cjk_share(texts: Sequence[str]) -> float:
    """The share of CJK characters among the non-space characters of `texts` (0.0 for no characters)."""
    total = cjk = 0
    for text in texts:
        for ch in text:
            if not ch.isspace():
                total += 1
                cjk += is_cjk_char(ch)
    return cjk / total if total else 0.0


def segment_cjk(token: str) -> list[str]:
    """Units of one whitespace-free token that holds CJK characters (see the module docstring)."""
    units: list[str] = []
    scripts: list[str] = []  # the script of each unit's letters
    closed: list[bool] = []  # punctuation was attached after the unit's letters: the run has ended
    lead = ""
    n = len(token)
    for k, ch in enumerate(token):
        script = _script(ch)
        if ch in "々ゝゞヽヾー" and units and not closed[-1] and not lead:
            units[-1] += ch  # iteration and length marks belong to the character before
            continue
        if ch == "・" and units and scripts[-1] == "kata" and not closed[-1] and k + 1 < n \
                and _script(token[k + 1]) == "kata":
            units[-1] += ch  # the dot between the parts of a foreign name
            continue
        if script == "open":
            lead += ch
            continue
        if script in ("punct", "cjkpunct"):
            inner = (script == "punct" and units and scripts[-1] == "other" and not closed[-1] and not lead
                     and k + 1 < n and _script(token[k + 1]) == "other")
            if inner:  # "3.5", "U.S", "don't": inside a run of letters and digits
                units[-1] += ch
            elif units and not lead:
                units[-1] += ch
                closed[-1] = True
            else:
                lead += ch
            continue
        extend = (units and not lead and not closed[-1] and scripts[-1] == script and script != "han")
        if extend:
            units[-1] += ch
        else:
            units.append(lead + ch)
            scripts.append(script)
            closed.append(False)
            lead = ""
    if lead and units:
        units[-1] += lead
    elif lead:
        units.append(lead)
    return units


def split_units(text: str) -> list[str]:
    """The word units of `text`: whitespace words, with any word holding CJK characters cut into units.

    Text without CJK characters gives exactly `text.split()`. Zero-width spaces separate like spaces.
    """
    out: list[str] = []
    for token in _SPLIT.split(text):
        if not token:
            continue
        if has_cjk(token):
            out.extend(segment_cjk(token))
        else:
            out.append(token)
    return out


def separator_tokens(text: str) -> list[str]:
    """The tokens of text as the editor shows it: runs between spaces and zero-width spaces."""
    return [t for t in _SPLIT.split(text) if t]


def needs_space(left: str, right: str) -> bool:
    """Whether a space goes between two adjacent words: not where either side of the boundary is CJK."""
    if not left or not right:
        return False
    return not (is_cjk_char(left[-1]) or is_cjk_char(right[0]))


def join_words(texts: Sequence[str]) -> str:
    """Words rebuilt into running text: single spaces, none between CJK units."""
    parts: list[str] = []
    for k, text in enumerate(texts):
        if k and needs_space(texts[k - 1], text):
            parts.append(" ")
        parts.append(text)
    return "".join(parts)


def display_join(texts: Sequence[str]) -> str:
    """Words as the editor shows them: a space between words, a zero-width space between CJK units."""
    parts: list[str] = []
    for k, text in enumerate(texts):
        if k:
            parts.append(" " if needs_space(texts[k - 1], text) else UNIT_SEPARATOR)
        parts.append(text)
    return "".join(parts)


def separator_width(left: str, right: str) -> int:
    """Characters between two words when rebuilt: 1 for a space, 0 between CJK units."""
    return 1 if needs_space(left, right) else 0
