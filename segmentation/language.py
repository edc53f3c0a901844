"""Offline language identification of segments (ISO 639-1 codes), with Lingua.

Lingua's low-accuracy mode loads in a fraction of a second in each worker and is reliable on
text of a sentence or more; a segment with too few letters to judge gets no language.
"""

from __future__ import annotations

import re
from functools import cache

from lingua import LanguageDetector, LanguageDetectorBuilder

MIN_LETTERS = 12
SAMPLE_CHARS = 2000  # the first part of a long segment tells its language as well as all of it
_LINKS = re.compile(r"!\[[^\]]*\]\([^)]*\)")


@cache
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the text's language, or None when there is too little to tell."""
    sample = _LINKS.sub(" ", text[:SAMPLE_CHARS])
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    language = _detector().detect_language_of(sample)
    return language.iso_code_639_1.name.lower() if language is not None else None
