"""Offline language identification of segments (ISO 639-1 codes), with Lingua.

Lingua's low-accuracy mode loads in a fraction of a second in each worker and is reliable on
text of a sentence or more; a segment with too few letters to judge gets no language. The
detector compares the text with the languages in `LANGUAGES` only: each one added costs time on
every segment, and these cover the documents docseg is used on (add to the list to widen it).
"""

from __future__ import annotations

import re
from functools import cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

MIN_LETTERS = 12
SAMPLE_CHARS = 300  # a segment's first sentences tell its language as well as all of it, at a fraction of the cost
_LINKS = re.compile(r"!\[[^\]]*\]\([^)]*\)")


LANGUAGES = (
    "ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr", "he", "hi", "hr", "hu",
    "id", "it", "ja", "ko", "lt", "lv", "nl", "nb", "pl", "pt", "ro", "ru", "sk", "sl", "sr", "sv", "th",
    "tr", "uk", "vi", "zh",
)


@cache
def _detector() -> LanguageDetector:
    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the text's language, or None when there is too little to tell."""
    sample = _LINKS.sub(" ", text[:SAMPLE_CHARS])
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    language = _detector().detect_language_of(sample)
    return language.iso_code_639_1.name.lower() if language is not None else None
