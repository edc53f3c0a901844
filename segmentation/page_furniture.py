"""Remove running headers, footers and page numbers: text that repeats at the edges of pages.

A candidate is a block in the top or bottom margin of its page, or the page's first or last block
by position. It is furniture when
- its text, with digits masked, recurs on many pages ("Journal of X, 12 (2020)", "Page 3 of 9"), or
- it starts or ends with the printed page number, found as a number whose distance from the page's
  index is the same on many pages ("8 1.2. METRIC SPACES" on PDF page 11, "12" on page 15), or
- it is nothing but a page number ("iii", "- 4 -", "Page 7").
Only pages with geometry (PDF pages) take part; formats without positions keep every block, and
text alone on its page is kept whatever it looks like. The count of removed words is reported so
that a removal can never hide a loss.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from segmentation.models import Block, PageContent

# The share of the page's height at the top and at the bottom where running text lives.
MARGIN = 0.1
# Text must recur on at least this share of the document's pages, and on at least MIN_PAGES pages.
MIN_SHARE = 0.4
MIN_PAGES = 3
MAX_FURNITURE_CHARS = 200

_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|p\.|seite|σελίδα|σελ\.)\s*)?[-–—(\[]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*[-–—)\]]?"
    r"(?:\s*(?:of|/|από|von)\s*\d{1,4})?$",
    re.IGNORECASE,
)
_EDGE_NUMBER = re.compile(r"^(\d{1,5})\b|\b(\d{1,5})$")


def _candidates(page: PageContent) -> list[Block]:
    """The page's blocks that may be furniture: in a margin, or first or last from the top."""
    placed = [b for b in page.blocks if b.bbox is not None and not b.image_id]
    if page.height <= 0 or not placed:
        return []
    by_top = sorted(placed, key=lambda b: b.bbox[1])  # type: ignore[index]
    edges = {id(by_top[0]), id(by_top[-1])}
    return [
        b for b in placed
        if len(b.text) <= MAX_FURNITURE_CHARS
        and (id(b) in edges or b.bbox[3] <= page.height * MARGIN or b.bbox[1] >= page.height * (1 - MARGIN))  # type: ignore[index]
    ]


def _key(block: Block) -> str:
    """The block's text with digits masked and case and spacing folded, so numbered repeats match."""
    return re.sub(r"\d+", "#", " ".join(block.text.lower().split()))


def _folio_offsets(block: Block, page: int) -> set[int]:
    """Printed page number minus the page's index, for each number at either end of the text."""
    match_text = " ".join(block.text.split())
    return {int(n) - page for m in _EDGE_NUMBER.finditer(match_text) for n in m.groups() if n}


class FurnitureStats:
    """What the candidates of the pages seen so far have in common: fed range by range, so a long
    document's pages need not all be held (a few short keys a page are)."""

    def __init__(self) -> None:
        self.pages_by_key: dict[str, set[int]] = defaultdict(set)
        self.offsets: Counter[int] = Counter()
        self.paged = 0  # pages with geometry

    def add(self, pages: Iterable[PageContent]) -> None:
        for page in pages:
            self.paged += page.height > 0
            blocks = _candidates(page)
            for block in blocks:
                self.pages_by_key[_key(block)].add(page.number)
            self.offsets.update({offset for block in blocks for offset in _folio_offsets(block, page.number)})

    def rule(self) -> FurnitureRule:
        needed = max(MIN_PAGES, MIN_SHARE * self.paged)
        return FurnitureRule(
            running=frozenset(key for key, numbers in self.pages_by_key.items() if len(numbers) >= needed),
            folio_offsets=frozenset(offset for offset, count in self.offsets.items() if count >= needed),
            paged=self.paged,
        )


@dataclass(frozen=True, slots=True)
class FurnitureRule:
    """Which text is furniture in one document, decided from all its pages' statistics."""

    running: frozenset[str]  # keys of text that recurs at page edges
    folio_offsets: frozenset[int]  # printed page number minus page index, where it is consistent
    paged: int

    def _is_furniture(self, block: Block, number: int) -> bool:
        return (
            _key(block) in self.running
            or bool(_folio_offsets(block, number) & self.folio_offsets)
            or (self.paged > 1 and bool(_PAGE_NUMBER.match(" ".join(block.text.split()))))
        )

    def clean(self, page: PageContent) -> tuple[PageContent, int]:
        """The page without its furniture, and the words removed."""
        furniture = {id(block) for block in _candidates(page) if self._is_furniture(block, page.number)}
        # Text alone on its page is that page's content, however often it repeats.
        if not furniture or len(furniture) == len(page.blocks):
            return page, 0
        removed_words = sum(len(b.text.split()) for b in page.blocks if id(b) in furniture)
        return replace(page, blocks=tuple(b for b in page.blocks if id(b) not in furniture)), removed_words

    def clean_pages(self, pages: Iterable[PageContent]) -> tuple[list[PageContent], int]:
        """The pages without their furniture, and the words removed from all of them."""
        cleaned, removed_words = [], 0
        for page in pages:
            kept, removed = self.clean(page)
            cleaned.append(kept)
            removed_words += removed
        return cleaned, removed_words


def remove_furniture(pages: Sequence[PageContent]) -> tuple[list[PageContent], int]:
    """The pages without their running headers, footers and page numbers, and the words removed."""
    stats = FurnitureStats()
    stats.add(pages)
    return stats.rule().clean_pages(pages)
