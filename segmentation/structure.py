"""Find headings and sections in the pages' blocks.

PDF parsers give font sizes and weights but no structure. A block is a heading when it is short and
either set noticeably larger than the document's body text or set in bold at body size. Heading
levels come from ranking the distinct heading sizes: the largest is level 1.

Where the PDF has an outline (bookmarks), it confirms headings: a block on an entry's page whose
text is the entry's title is a heading at the entry's level, whatever its font; headings found
from fonts alone then nest below the outline's deepest level.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from segmentation.models import Block, PageContent, Section, StructuredBlock

# A heading is larger than body text by at least this factor (LaTeX \subsection is 1.2x).
HEADING_SIZE_RATIO = 1.15
# Headings are short: longer blocks are emphasised paragraphs, not headings.
MAX_HEADING_CHARS = 150
MAX_HEADING_LINES = 3


def _size_key(size: float) -> float:
    """Font sizes are compared to the half point."""
    return round(size * 2) / 2


def _add_font_weights(weights: Counter[float], pages: Iterable[PageContent]) -> None:
    """Count each font size's characters into `weights`: the body size carries the most."""
    for page in pages:
        for block in page.blocks:
            for line in block.lines:
                if line.size > 0:
                    weights[_size_key(line.size)] += len(line.text)


def _most_common_size(weights: Counter[float]) -> float:
    """The font size that carries most of the characters (0 when the format has no sizes)."""
    return weights.most_common(1)[0][0] if weights else 0.0


def _block_size(block: Block) -> float:
    return max(line.size for line in block.lines)


# What decides whether a block is a heading once the body size is known: its size, whether all of
# it is bold, and whether it ends like a sentence.
HeadingShape = tuple[float, bool, bool]


def _heading_shape(block: Block) -> HeadingShape | None:
    """The block's shape if it is short enough to be a heading at all, else None."""
    if len(block.lines) > MAX_HEADING_LINES:  # first: it spares most paragraphs the joining of their text
        return None
    text = block.text.strip()
    if len(text) > MAX_HEADING_CHARS or not any(ch.isalpha() for ch in text):
        return None
    return _block_size(block), all(line.bold for line in block.lines), text.endswith((".", ","))


def _is_heading_shape(shape: HeadingShape | None, body_size: float) -> bool:
    if shape is None or body_size <= 0:
        return False
    size, all_bold, ends_like_sentence = shape
    if size >= body_size * HEADING_SIZE_RATIO:
        return True
    # Bold at body size: a run-in heading ("Article 3"), unless it reads like a sentence.
    return all_bold and size >= body_size * 0.95 and not ends_like_sentence


def _looks_like_heading(block: Block, body_size: float) -> bool:
    return _is_heading_shape(_heading_shape(block), body_size)


def _folded(text: str) -> str:
    return re.sub(r"\W+", "", text.casefold())


def _names_entry(block: Block, title: str) -> bool:
    """Whether the block's text is the outline title (or most of it: a number may sit in its own block)."""
    text, wanted = _folded(block.text), _folded(title)
    if not text or not wanted or len(block.text) > MAX_HEADING_CHARS:
        return False
    shorter, longer = sorted((text, wanted), key=len)
    return shorter in longer and len(shorter) >= 0.6 * len(longer)


def _outline_levels(pages: Sequence[PageContent]) -> dict[int, int]:
    """Blocks confirmed as headings by the outline: id(block) -> the entry's level."""
    confirmed: dict[int, int] = {}
    for page in pages:
        for entry in page.outline:
            block = next(
                (b for b in page.blocks if id(b) not in confirmed and _names_entry(b, entry.title)), None
            )
            if block is not None:
                confirmed[id(block)] = entry.level
    return confirmed


class HeadingStats:
    """What deciding headings needs from the whole document, gathered range by range: the font
    sizes' weights (for the body size), the shapes of blocks that could be headings, and the
    outline's deepest confirmed level."""

    def __init__(self) -> None:
        self.weights: Counter[float] = Counter()
        self.shapes: set[HeadingShape] = set()  # a handful: distinct sizes x bold x punctuation
        self.below_outline = 0

    def add(self, pages: Sequence[PageContent]) -> None:
        _add_font_weights(self.weights, pages)
        confirmed = _outline_levels(pages)
        self.below_outline = max(self.below_outline, *confirmed.values(), 0)
        for page in pages:
            for block in page.blocks:
                if block.heading_level is None and id(block) not in confirmed:
                    shape = _heading_shape(block)
                    if shape is not None:
                        self.shapes.add(shape)

    def structurer(self) -> Structurer:
        body_size = _most_common_size(self.weights)
        sizes = sorted({_size_key(shape[0]) for shape in self.shapes if _is_heading_shape(shape, body_size)},
                       reverse=True)
        levels = {size: level for level, size in enumerate(sizes, start=1)}  # the largest size is level 1
        return Structurer(body_size, levels, self.below_outline)


class Structurer:
    """Places blocks in sections, range after range in page order, with the document's heading rules."""

    def __init__(self, body_size: float, levels: dict[float, int], below_outline: int) -> None:
        self.body_size = body_size
        self.levels = levels
        self.below_outline = below_outline
        self.open_headings: list[tuple[int, str]] = []  # (level, title) from outermost to innermost
        self.section: Section | None = None

    def place(self, pages: Sequence[PageContent]) -> list[StructuredBlock]:
        """The next range's blocks, each in its section, headings marked."""
        confirmed = _outline_levels(pages)
        placed: list[StructuredBlock] = []
        for page in pages:
            for block in page.blocks:
                level = block.heading_level or confirmed.get(id(block))
                if level is None and block.heading_level is None and _looks_like_heading(block, self.body_size):
                    level = self.below_outline + self.levels[_size_key(_block_size(block))]
                if level is not None:
                    title = " ".join(block.text.split())
                    while self.open_headings and self.open_headings[-1][0] >= level:
                        self.open_headings.pop()
                    self.open_headings.append((level, title))
                    self.section = Section(
                        title=title, path=tuple(t for _, t in self.open_headings), in_outline=id(block) in confirmed
                    )
                placed.append(
                    StructuredBlock(block=block, page=page.number, section=self.section, is_heading=level is not None)
                )
        return placed


def structure(pages: Sequence[PageContent]) -> list[StructuredBlock]:
    """Place every block of every page in its section, marking the blocks that are headings."""
    stats = HeadingStats()
    stats.add(pages)
    return stats.structurer().place(pages)
