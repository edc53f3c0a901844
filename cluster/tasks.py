"""Ray tasks that do the CPU work of a job: page-range extraction (with OCR) and reassembly.

Each takes the document bytes as an ObjectRef argument, so the runner puts them in the object
store once and every task reads that one copy. Pages that need OCR are rendered here and sent
to the OCR actor pool; the task waits for their lines without holding its CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ray

from cluster.ocr_pool import recognize_pages
from segmentation import DocType, PageContent, ParseOptions, SegmentDraft, document

Assembled = tuple[list[SegmentDraft], int]  # the segments, and how many pages had no usable text


@dataclass(frozen=True, slots=True)
class OcrPlan:
    """Where a job's pages go for OCR, and at what resolution they are rendered."""

    actors: list[Any]
    dpi: int


def _pages(
    data: bytes, doctype: DocType, options: ParseOptions, start: int, stop: int, ocr: OcrPlan | None
) -> list[PageContent]:
    pages = document.extract_pages(data, doctype, options, start, stop)
    numbers = [page.number for page in pages if page.needs_ocr]
    if ocr is None or not numbers:
        return pages
    images = document.render_pages(data, doctype, numbers, ocr.dpi)
    lines = dict(zip(numbers, recognize_pages(ocr.actors, images), strict=True))
    dpi = document.ocr_dpi(doctype, ocr.dpi)
    return [document.with_ocr(page, lines[page.number], dpi) if page.number in lines else page for page in pages]


def _assemble(pages: list[PageContent], options: ParseOptions) -> Assembled:
    return document.segment_pages(pages, options), document.pages_without_text(pages)


@ray.remote(num_cpus=1, num_returns=3)
def extract_head(
    data: bytes, doctype: DocType, options: ParseOptions, head: int, ocr: OcrPlan | None
) -> tuple[int, list[PageContent], Assembled | None]:
    """Page count, the first `head` pages, and, when that is the whole document, its segments.

    Three separate returns, so the runner fetches only the count (and the segments of a short
    document, which then needs no other task) while the pages stay in the object store.
    """
    total = document.count_pages(data, doctype, options)
    pages = _pages(data, doctype, options, 0, min(head, total), ocr)
    return total, pages, _assemble(pages, options) if total <= head else None


@ray.remote(num_cpus=1)
def extract_range(
    data: bytes, doctype: DocType, options: ParseOptions, start: int, stop: int, ocr: OcrPlan | None
) -> list[PageContent]:
    return _pages(data, doctype, options, start, stop, ocr)


@ray.remote(num_cpus=1)
def assemble_segments(options: ParseOptions, *page_ranges: list[PageContent]) -> Assembled:
    """Segments of the whole document from its page ranges, given in page order."""
    return _assemble([page for pages in page_ranges for page in pages], options)
