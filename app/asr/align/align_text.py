"""Text as a CTC head spells it: what forced alignment feeds the heads, while the display keeps the words.

Both BPE CTC heads (the NAR model's, and the `out_llm` head of 4.1-2b) were trained on normalised
transcripts and emit lowercase text without punctuation, with numbers written out as words. A
capitalised, punctuated word ("Osei," "$110", "3.5%") is spelled with tokens the head rarely or never
emits, and the alignment suffers. `ctc_form` gives the spelling the head would emit:

- Unicode compatibility forms folded (full-width digits and letters become ASCII);
- numbers spelled out in the language (num2words: "110" -> "one hundred and ten", "3.5" ->
  "three point five", "1st" -> "first", four-digit years in English as spoken, "1995" ->
  "nineteen ninety-five"), "%" as the word for per cent, a currency sign read after its number;
- lowercase; hyphens and slashes become spaces; every other punctuation mark is dropped, apostrophes
  inside a word are kept ("don't", "l'homme");
- Chinese and Japanese: punctuation dropped, characters kept.

A word whose form is empty (a lone dash) cannot be aligned; the aligner times it from its neighbours.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

_PERCENT = {"en": "percent", "fr": "pour cent", "de": "prozent", "es": "por ciento", "pt": "por cento",
            "it": "per cento"}
_CURRENCY = {"$": {"en": "dollars", "fr": "dollars", "de": "dollar", "es": "dólares", "pt": "dólares"},
             "€": {"en": "euros", "fr": "euros", "de": "euro", "es": "euros", "pt": "euros"},
             "£": {"en": "pounds", "fr": "livres", "de": "pfund", "es": "libras", "pt": "libras"}}
_NUM2WORDS_LANG = {"en": "en", "fr": "fr", "de": "de", "es": "es", "pt": "pt", "it": "it", "ja": "ja"}
_NUMBER = re.compile(r"(?P<cur>[$€£])?(?P<num>\d+(?:[.,]\d{3})*(?:[.,]\d+)?)(?P<ord>st|nd|rd|th)?(?P<pct>%)?")
_DROP = re.compile(r"[^\w\s']", re.UNICODE)
_EDGE_APOSTROPHES = re.compile(r"(?<!\w)'|'(?!\w)")


def _spell_number(raw: str, language: str, ordinal: bool) -> str:
    """A number as words in `language` (digits kept when num2words is missing or cannot say it)."""
    speller = _speller()
    if speller is None:
        return raw
    decimal_comma = language in ("fr", "de", "es", "pt", "it")
    text = raw.replace(".", "").replace(",", ".") if decimal_comma else raw.replace(",", "")
    if not decimal_comma and text.count(".") > 1:
        text = text.replace(".", "")
    lang = _NUM2WORDS_LANG.get(language, "en")
    try:
        value: float | int = float(text) if "." in text else int(text)
        if ordinal and isinstance(value, int):
            return speller(value, lang=lang, to="ordinal")
        if lang == "en" and isinstance(value, int) and len(text) == 4 and 1100 <= value <= 2099 and value % 1000 >= 10:
            return speller(value, lang=lang, to="year")
        return speller(value, lang=lang)
    except (ValueError, NotImplementedError, OverflowError, TypeError):
        return raw


def _speller() -> Callable[..., str] | None:
    try:
        from num2words import num2words
    except ImportError:  # optional at run time: digits then stay digits
        return None
    speller: Callable[..., str] = num2words  # the package ships no type information
    return speller


def ctc_form(text: str, language: str = "en") -> str:
    """The spelling a lowercase, unpunctuated CTC head would emit for a displayed word (see the module)."""
    text = unicodedata.normalize("NFKC", text)

    def number(m: re.Match[str]) -> str:
        words = _spell_number(m.group("num"), language, bool(m.group("ord")))
        if m.group("pct"):
            words += " " + _PERCENT.get(language, "percent")
        if m.group("cur"):
            words += " " + _CURRENCY[m.group("cur")].get(language, _CURRENCY[m.group("cur")]["en"])
        return f" {words} "

    text = _NUMBER.sub(number, text)
    text = text.replace("&", " and " if language == "en" else " ").replace("’", "'")
    text = re.sub(r"[-‐‑–—/_]", " ", text).lower()
    text = _DROP.sub("", text)
    text = _EDGE_APOSTROPHES.sub("", text)
    return " ".join(text.split())
