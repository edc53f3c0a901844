"""Cut structured blocks into segments of at most `maxsize` non-whitespace characters.

The text is turned into words, each remembering the whitespace before it and how good a place
the gap after it is to end a segment. Segments are filled greedily; when the next word does not
fit, the segment ends at the last paragraph end, else the last sentence end, that leaves it at
least `MIN_FILL` full, else at the last word. A word longer than `maxsize` (a URL, a run of digits
with no spaces) is the one thing ever cut, because the cap holds always.

Structure decides the rest:
- A heading starts a new segment, so a segment's title is the heading it sits under; except that
  a small section (under `MERGE_BELOW` of maxsize) joins its neighbour when both fit, instead of
  making crumbs. Across a top-level heading, or one in the PDF's outline, that happens only when
  both sides are tiny.
- The items of a list end in sentence breaks and only the list's end in a paragraph break, so a
  list that fits is cut before it rather than inside it. The same holds for a Markdown table's
  rows; a table too long for one segment is cut between rows, and each segment that goes on with
  its rows starts with the table's header again.

Invariants (tested with random inputs): every body has at most `maxsize` non-whitespace
characters, and the bodies' words, in order, are exactly the input's words (plus the repeated
table headers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from segmentation.models import BreakStrength, Section, SegmentDraft, StructuredBlock

# A segment cut at a paragraph or sentence end must be at least this full; otherwise it would be
# a crumb, and cutting at the last word boundary is the better choice.
MIN_FILL = 0.35
MIN_MAXSIZE = 1
# Sections smaller than this share of maxsize merge with a neighbour when both fit.
MERGE_BELOW = 0.25
# Top-level sections merge only when both sides are smaller than this share.
TINY = 0.1
# A table header is repeated only when it takes at most this share of a segment.
MAX_REPEATED_HEADER = 0.5

_LIST_ITEM = re.compile(r"^\s*(?:[-*•▪◦‣–●]|\d{1,3}[.)]|[a-zA-Z][.)]|\(\w{1,4}\))\s")
_TABLE_RULE = re.compile(r"^\|(?:\s*:?-{3,}:?\s*\|)+$")

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
    block: int  # index of the block it came from: section sizes are kept per block
    header: str | None = None  # the table header to repeat when a segment starts at this word


def _is_list_block(placed: StructuredBlock) -> bool:
    return bool(placed.block.lines) and bool(_LIST_ITEM.match(placed.block.lines[0].text))


def _table_header(lines: Sequence[str]) -> str | None:
    """The header row and rule of a Markdown table block, or None."""
    if len(lines) > 2 and lines[0].startswith("|") and _TABLE_RULE.match(lines[1].replace(" ", "")):
        return f"{lines[0]}\n{lines[1]}"
    return None


def _line_ends(texts: Sequence[str]) -> list[bool]:
    """For each line, whether its end is a place to cut like a sentence end (a table row, a list item)."""
    ends = []
    for index, text in enumerate(texts):
        row = text.startswith("|") and text.rstrip().endswith("|")
        next_is_item = index + 1 < len(texts) and bool(_LIST_ITEM.match(texts[index + 1]))
        ends.append(row or next_is_item)
    return ends


def _with_next(blocks: Iterable[StructuredBlock]) -> Iterator[tuple[StructuredBlock, StructuredBlock | None]]:
    """Each block with the one after it (None after the last), taking one block at a time."""
    iterator = iter(blocks)
    current = next(iterator, None)
    while current is not None:
        following = next(iterator, None)
        yield current, following
        current = following


def _words(blocks: Iterable[StructuredBlock], maxsize: int) -> Iterator[_Word]:
    """The blocks' words in order, made as the packer takes them (a document's words would take
    about 70 KB a page held at once); the blocks too may come one range at a time."""
    for block_index, (placed, following) in enumerate(_with_next(blocks)):
        block_words: list[_Word] = []
        texts = [line.text for line in placed.block.lines]
        header = _table_header(texts)
        repeat = header if header and sum(not c.isspace() for c in header) <= MAX_REPEATED_HEADER * maxsize else None
        for line_index, (line, line_end) in enumerate(zip(placed.block.lines, _line_ends(texts), strict=True)):
            tokens = line.text.split()
            row_end = len(tokens) - 1 if line_end else -1
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
                            block_index,
                            repeat if line_index >= 2 and word_index == 0 and piece_index == 0 else None,
                        )
                    )
        if block_words:
            # An item of a list that goes on in the next block ends like a sentence, not a paragraph.
            list_goes_on = _is_list_block(placed) and following is not None and _is_list_block(following)
            strength = BreakStrength.SENTENCE if list_goes_on else BreakStrength.PARAGRAPH
            block_words[-1] = block_words[-1]._replace(strength=strength)
            yield from block_words


class SectionSizes:
    """For each heading block (by its index in the document), the size of its section's own text
    and of all of it with its subsections: what the packer must know ahead of a section's words.

    Fed the blocks range by range; sizes count what `_words` makes of the blocks (non-whitespace
    characters), without making the words.
    """

    def __init__(self) -> None:
        self.own: dict[int, int] = {}
        self.whole: dict[int, int] = {}
        self._open: list[tuple[int, int]] = []  # (heading block, depth), outermost first
        self._count = 0

    def add(self, blocks: Iterable[StructuredBlock]) -> None:
        for placed in blocks:
            index = self._count
            self._count += 1
            size = sum(len("".join(line.text.split())) for line in placed.block.lines)  # its words' characters
            if not size:
                continue  # a block without words: `_words` makes nothing of it
            if placed.is_heading and placed.section is not None:
                depth = len(placed.section.path)
                while self._open and self._open[-1][1] >= depth:
                    self._open.pop()
                self._open.append((index, depth))
                self.own[index] = self.whole[index] = 0
            if self._open:
                self.own[self._open[-1][0]] += size
            for start, _ in self._open:
                self.whole[start] += size


class _Packer:
    """Greedy filling of one segment at a time, remembering the best places to cut.

    Words are numbered in document order; only those from the open segment's start on are held
    (`window`, whose first word is number `offset`), so memory does not grow with the document.
    """

    def __init__(self, blocks: Iterable[StructuredBlock], maxsize: int, sizes: SectionSizes) -> None:
        self.blocks = blocks
        self.maxsize = maxsize
        self.min_fill = max(1, int(maxsize * MIN_FILL))
        self.own_sizes, self.whole_sizes = sizes.own, sizes.whole
        self.emitted = 0
        self.drafts: list[SegmentDraft] = []  # emitted and not yet handed out
        self.window: list[_Word] = []
        self.offset = 0
        self._reset(0)

    def _word(self, index: int) -> _Word:
        return self.window[index - self.offset]

    def _reset(self, start: int) -> None:
        del self.window[: start - self.offset]  # words before the new segment are written
        self.offset = start
        self.start = start
        self.header = self.window[0].header if self.window else None
        self.size = sum(not c.isspace() for c in self.header) if self.header else 0
        self.has_body = False  # a non-heading word since start
        self.last_cut = {BreakStrength.PARAGRAPH: 0, BreakStrength.SENTENCE: 0}

    def _drop_header(self) -> None:
        """Carried rows and the repeated header together would overflow: the header gives way."""
        if self.header:
            self.size -= sum(not c.isspace() for c in self.header)
            self.header = None

    def _keeps_section_apart(self, index: int) -> bool:
        """Whether the heading at `index` starts a new segment rather than joining this one."""
        word = self._word(index)
        if not self.has_body:
            return False  # headings of nested sections stay with their first words
        if word.section is not None and (len(word.section.path) == 1 or word.section.in_outline):
            # A chapter is tiny only when all of it is, its subsections included.
            tiny = TINY * self.maxsize
            return not (self.size < tiny and self.whole_sizes[word.block] < tiny)
        # A minor section's own text is what joins this segment; its subsections decide for themselves.
        following = self.own_sizes[word.block]
        small = MERGE_BELOW * self.maxsize
        fits = self.size + following <= self.maxsize
        return not (fits and (self.size < small or following < small))

    def _take(self, index: int) -> None:
        word = self._word(index)
        self.size += len(word.text)
        self.has_body = self.has_body or not word.in_heading
        if self.size >= self.min_fill:
            for strength in self.last_cut:
                if word.strength >= strength:
                    self.last_cut[strength] = index + 1

    def _emit(self, end: int) -> None:
        chunk = self.window[: end - self.offset]
        body = chunk[0].text + "".join(w.separator + w.text for w in chunk[1:])
        if self.header:
            body = f"{self.header}\n{body}"
        # A segment that opens with a chapter heading and a section heading belongs to the section.
        first, placed = chunk[0], next((w for w in chunk if not w.in_heading), chunk[0])
        self.drafts.append(
            SegmentDraft(
                ordinal=self.emitted,
                body=body,
                pagenr=first.page,
                title=placed.section.title if placed.section else None,
                group=placed.section.group if placed.section else None,
            )
        )
        self.emitted += 1
        carried = range(end, self._next)
        self._reset(end)
        if self.header and self.size + sum(len(self._word(i).text) for i in carried) > self.maxsize:
            self._drop_header()
        for index in carried:
            self._take(index)

    def _handed_out(self) -> list[SegmentDraft]:
        drafts, self.drafts = self.drafts, []
        return drafts

    def run(self) -> Iterator[SegmentDraft]:
        """The segments, each as soon as it is cut."""
        count = 0
        for index, word in enumerate(_words(self.blocks, self.maxsize)):
            self.window.append(word)
            if index == self.start:
                self._reset(index)  # the segment's first word is known now, and with it any header to repeat
            count = index + 1
            self._next = index
            if word.starts_section and self._keeps_section_apart(index):
                self._emit(index)
            # A cut carries the words after it into the next segment, which may still be too full.
            while self.size + len(word.text) > self.maxsize:
                if index == self.start:  # nothing but a repeated header yet, and this word needs its room
                    self._drop_header()
                    continue
                cut = (
                    self.last_cut[BreakStrength.PARAGRAPH]
                    or self.last_cut[BreakStrength.SENTENCE]
                    or index
                )
                self._emit(cut)
            self._take(index)
            if self.drafts:
                yield from self._handed_out()
        self._next = count
        if self.start < count:
            self._emit(count)
        yield from self._handed_out()


def segment_stream(blocks: Iterable[StructuredBlock], maxsize: int, sizes: SectionSizes) -> Iterator[SegmentDraft]:
    """Cut the blocks into ordered segments as they come; `sizes` must already hold all of them."""
    if maxsize < MIN_MAXSIZE:
        raise ValueError(f"maxsize must be at least {MIN_MAXSIZE}")
    return _Packer(blocks, maxsize, sizes).run()


def segment(blocks: Sequence[StructuredBlock], maxsize: int) -> list[SegmentDraft]:
    """Cut the blocks into ordered segments of at most `maxsize` non-whitespace characters."""
    sizes = SectionSizes()
    sizes.add(blocks)
    return list(segment_stream(blocks, maxsize, sizes))
