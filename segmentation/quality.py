"""Measures of extracted text against a reference, for tests and benchmarks."""

from __future__ import annotations


def normalise(text: str) -> str:
    """Whitespace collapsed to single spaces, ends stripped: layout is not what OCR is judged on."""
    return " ".join(text.split())


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions), in O(len(a) * len(b)) time."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def character_error_rate(hypothesis: str, reference: str) -> float:
    """Whitespace-normalised Levenshtein distance over the reference's length."""
    reference, hypothesis = normalise(reference), normalise(hypothesis)
    return levenshtein(hypothesis, reference) / max(1, len(reference))
