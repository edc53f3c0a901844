"""Reading order for pages set in two or more columns.

A PDF's text comes in the order its producer drew it, which on multi-column pages is often row by
row across the columns. Where a page has a gutter (a vertical strip no narrow block crosses, with
running text on both sides), its blocks are read band by band: a block that spans the gutter
(a title, a wide figure) closes a band; inside a band, each column top to bottom, left to right.
Pages without a gutter, or whose "columns" are short cells (forms, key/value tables), keep the
parser's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from statistics import median

from segmentation.models import Block, PageContent

# A column block is narrower than this share of the page; wider ones span the columns.
MAX_COLUMN_WIDTH = 0.6
# Running text, not cells: each column holds this many characters and blocks of this median length.
MIN_COLUMN_CHARS = 300
MIN_MEDIAN_BLOCK_CHARS = 40
MIN_GUTTER_BLOCK_CHARS = 20
_GUTTER_SEARCH = (0.25, 0.75)  # where, across the page, a gutter may lie


def _gutter(blocks: Sequence[Block], width: float) -> float | None:
    """An x position between columns that no narrow block crosses, or None."""
    # Short labels (a page number, a figure's axis) may sit in the gutter; only running text defines it.
    narrow = [
        b.bbox for b in blocks
        if b.bbox and b.bbox[2] - b.bbox[0] < MAX_COLUMN_WIDTH * width and len(b.text) >= MIN_GUTTER_BLOCK_CHARS
    ]
    lo, hi = (width * f for f in _GUTTER_SEARCH)
    covered = sorted((max(lo, left), min(hi, right)) for left, _, right, _ in narrow if right > lo and left < hi)
    candidates, position = [], lo
    for left, right in covered:
        if left > position:
            candidates.append((position + left) / 2)
        position = max(position, right)
    if position < hi:
        candidates.append((position + hi) / 2)
    # A column has at least two blocks on each side of the gutter.
    return next(
        (x for x in candidates
         if sum(1 for b in narrow if b[2] <= x) >= 2 and sum(1 for b in narrow if b[0] >= x) >= 2),
        None,
    )


def _column_text_ok(blocks: Sequence[Block]) -> bool:
    lengths = [len(b.text) for b in blocks]
    return sum(lengths) >= MIN_COLUMN_CHARS and median(lengths) >= MIN_MEDIAN_BLOCK_CHARS


def _ordered(blocks: Sequence[Block], gutter: float) -> list[Block] | None:
    bands: list[list[Block]] = [[]]
    for block in sorted(blocks, key=lambda b: (b.bbox or (0, 0, 0, 0))[1]):
        left, _, right, _ = block.bbox or (0, 0, 0, 0)
        if left < gutter < right:
            bands.append([block])  # spans the columns: a band of its own, then a new one
            bands.append([])
        else:
            bands[-1].append(block)
    left_blocks = [b for band in bands for b in band if b.bbox and b.bbox[2] <= gutter]
    right_blocks = [b for band in bands for b in band if b.bbox and b.bbox[0] >= gutter]
    if not (_column_text_ok(left_blocks) and _column_text_ok(right_blocks)):
        return None
    ordered: list[Block] = []
    for band in bands:
        ordered += [b for b in band if b.bbox and b.bbox[0] < gutter]
        ordered += [b for b in band if b.bbox and b.bbox[0] >= gutter]
    return ordered


def in_reading_order(page: PageContent) -> PageContent:
    """The page with its blocks in column order when it has columns, else unchanged."""
    if page.width <= 0 or len(page.blocks) < 4 or any(b.bbox is None for b in page.blocks):
        return page
    gutter = _gutter(page.blocks, page.width)
    ordered = _ordered(page.blocks, gutter) if gutter is not None else None
    if ordered is None or ordered == list(page.blocks):
        return page
    return replace(page, blocks=tuple(ordered))


def reading_order(pages: Sequence[PageContent]) -> list[PageContent]:
    return [in_reading_order(page) for page in pages]
