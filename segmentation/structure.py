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


def body_font_size(pages: Iterable[PageContent]) -> float:
    """The font size that carries most of the characters (0 when the format has no sizes)."""
    weights: Counter[float] = Counter()
    for page in pages:
        for block in page.blocks:
            for line in block.lines:
                if line.size > 0:
                    weights[round(line.size * 2) / 2] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 0.0


def _block_size(block: Block) -> float:
    return max(line.size for line in block.lines)


def _looks_like_heading(block: Block, body_size: float) -> bool:
    text = block.text.strip()
    if (
        body_size <= 0
        or len(block.lines) > MAX_HEADING_LINES
        or len(text) > MAX_HEADING_CHARS
        or not any(ch.isalpha() for ch in text)
    ):
        return False
    if _block_size(block) >= body_size * HEADING_SIZE_RATIO:
        return True
    # Bold at body size: a run-in heading ("Article 3"), unless it reads like a sentence.
    all_bold = all(line.bold for line in block.lines)
    return all_bold and _block_size(block) >= body_size * 0.95 and not text.endswith((".", ","))


def _heading_levels(headings: Sequence[Block], body_size: float) -> dict[float, int]:
    """Map each heading font size (rounded) to a level, largest size first."""
    sizes = sorted({round(_block_size(b) * 2) / 2 for b in headings}, reverse=True)
    return {size: level for level, size in enumerate(sizes, start=1)}


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


def structure(pages: Sequence[PageContent]) -> list[StructuredBlock]:
    """Place every block of every page in its section, marking the blocks that are headings."""
    body_size = body_font_size(pages)
    confirmed = _outline_levels(pages)
    inferred = {
        id(block)
        for page in pages
        for block in page.blocks
        if block.heading_level is None and id(block) not in confirmed and _looks_like_heading(block, body_size)
    }
    levels = _heading_levels(
        [b for p in pages for b in p.blocks if id(b) in inferred], body_size
    )
    below_outline = max(confirmed.values(), default=0)

    placed: list[StructuredBlock] = []
    open_headings: list[tuple[int, str]] = []  # (level, title) from outermost to innermost
    section: Section | None = None
    for page in pages:
        for block in page.blocks:
            level = block.heading_level or confirmed.get(id(block))
            if level is None and id(block) in inferred:
                level = below_outline + levels[round(_block_size(block) * 2) / 2]
            if level is not None:
                title = " ".join(block.text.split())
                while open_headings and open_headings[-1][0] >= level:
                    open_headings.pop()
                open_headings.append((level, title))
                section = Section(
                    title=title, path=tuple(t for _, t in open_headings), in_outline=id(block) in confirmed
                )
            placed.append(
                StructuredBlock(block=block, page=page.number, section=section,
                                is_heading=level is not None)
            )
    return placed
