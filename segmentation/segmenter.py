"""Cut structured blocks into segments of at most `maxsize` non-whitespace characters.

The text is turned into words, each remembering the whitespace before it and how good a place
the gap after it is to end a segment. Segments are filled greedily; when the next word does not
fit, the segment ends at the last paragraph end, else the last sentence end, that leaves it at
least `MIN_FILL` full, else at the last word. A heading always starts a new segment, so a
segment's title is the heading it sits under. A word longer than `maxsize` (a URL, a run of digits
with no spaces) is the one thing ever cut, because the cap holds always.

Invariants (tested with random inputs): every body has at most `maxsize` non-whitespace
characters, and the bodies' words, in order, are exactly the input's words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from segmentation.models import BreakStrength, Section, SegmentDraft, StructuredBlock

# A segment cut at a paragraph or sentence end must be at least this full; otherwise it would be
# a crumb, and cutting at the last word boundary is the better choice.
MIN_FILL = 0.35
MIN_MAXSIZE = 1

_SENTENCE_PUNCTUATION = ".!?;:\u0387\u037e\u3002\uff01\uff1f\u061f\u06d4"
_CLOSERS = "\"'\u201d\u2019)]\u00bb"
_SENTENCE_TAIL = frozenset(_SENTENCE_PUNCTUATION + _CLOSERS)
_SENTENCE_END = re.compile(f"[{re.escape(_SENTENCE_PUNCTUATION)}][{re.escape(_CLOSERS)}]*$")


class _Word(NamedTuple):  # a tuple: millions are made, and tuples are the cheapest record
    text: str
    separator: str  # whitespace placed before this word when a body is written
    strength: BreakStrength  # quality of the gap after this word
    page: int
    section: Section | None
    starts_section: bool  # first word of a heading
    in_heading: bool


def _words(blocks: Sequence[StructuredBlock], maxsize: int) -> list[_Word]:
    words: list[_Word] = []
    for block_index, placed in enumerate(blocks):
        block_words: list[_Word] = []
        for line_index, line in enumerate(placed.block.lines):
            tokens = line.text.split()
            # The end of a Markdown table row is as good a place to cut as a sentence end.
            row_end = len(tokens) - 1 if line.text.startswith("|") and line.text.rstrip().endswith("|") else -1
            for word_index, token in enumerate(tokens):
                if word_index:
                    separator = " "
                elif line_index:
                    separator = "\n"
                else:
                    separator = "\n\n" if block_index else ""
                strength = (
                    BreakStrength.SENTENCE
                    if word_index == row_end or (token[-1] in _SENTENCE_TAIL and _SENTENCE_END.search(token))
                    else BreakStrength.WORD
                )
                pieces = [token] if len(token) <= maxsize else [
                    token[start : start + maxsize] for start in range(0, len(token), maxsize)
                ]
                for piece_index, piece in enumerate(pieces):
                    block_words.append(
                        _Word(
                            piece,
                            separator if piece_index == 0 else "\n",
                            strength if piece_index == len(pieces) - 1 else BreakStrength.WORD,
                            placed.page,
                            placed.section,
                            placed.is_heading and not block_words,
                            placed.is_heading,
                        )
                    )
        if block_words:
            block_words[-1] = block_words[-1]._replace(strength=BreakStrength.PARAGRAPH)
            words.extend(block_words)
    return words


class _Packer:
    """Greedy filling of one segment at a time, remembering the best places to cut."""

    def __init__(self, words: list[_Word], maxsize: int) -> None:
        self.words = words
        self.maxsize = maxsize
        self.min_fill = max(1, int(maxsize * MIN_FILL))
        self.drafts: list[SegmentDraft] = []
        self._reset(0)

    def _reset(self, start: int) -> None:
        self.start = start
        self.size = 0
        self.has_body = False  # a non-heading word since start
        self.last_cut = {BreakStrength.PARAGRAPH: 0, BreakStrength.SENTENCE: 0}

    def _take(self, index: int) -> None:
        word = self.words[index]
        self.size += len(word.text)
        self.has_body = self.has_body or not word.in_heading
        if self.size >= self.min_fill:
            for strength in self.last_cut:
                if word.strength >= strength:
                    self.last_cut[strength] = index + 1

    def _emit(self, end: int) -> None:
        chunk = self.words[self.start : end]
        body = chunk[0].text + "".join(w.separator + w.text for w in chunk[1:])
        first = chunk[0]
        self.drafts.append(
            SegmentDraft(
                ordinal=len(self.drafts),
                body=body,
                pagenr=first.page,
                title=first.section.title if first.section else None,
                group=first.section.group if first.section else None,
            )
        )
        carried = range(end, self._next)
        self._reset(end)
        for index in carried:
            self._take(index)

    def run(self) -> list[SegmentDraft]:
        for index, word in enumerate(self.words):
            self._next = index
            if word.starts_section and self.has_body:
                self._emit(index)
            # A cut carries the words after it into the next segment, which may still be too full.
            while self.size + len(word.text) > self.maxsize:
                cut = (
                    self.last_cut[BreakStrength.PARAGRAPH]
                    or self.last_cut[BreakStrength.SENTENCE]
                    or index
                )
                self._emit(cut)
            self._take(index)
        self._next = len(self.words)
        if self.start < len(self.words):
            self._emit(len(self.words))
        return self.drafts


def segment(blocks: Sequence[StructuredBlock], maxsize: int) -> list[SegmentDraft]:
    """Cut the blocks into ordered segments of at most `maxsize` non-whitespace characters."""
    if maxsize < MIN_MAXSIZE:
        raise ValueError(f"maxsize must be at least {MIN_MAXSIZE}")
    return _Packer(_words(blocks, maxsize), maxsize).run()
