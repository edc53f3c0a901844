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
from segmentation import DocType, PageContent, ParseOptions, document
from segmentation.models import ImageExtraction, ProcessedDocument


@dataclass(frozen=True, slots=True)
class PagePlan:
    """How a job's page tasks treat its pages beyond the client's options."""

    ocr_actors: list[Any] | None  # where pages go for OCR; None when the job wants no OCR
    dpi: int
    images: ImageExtraction
    tag_threshold: float


def _pages(
    data: bytes, doctype: DocType, options: ParseOptions, start: int, stop: int, plan: PagePlan
) -> list[PageContent]:
    pages = document.extract_pages(data, doctype, options, start, stop, plan.images)
    actors = plan.ocr_actors
    if actors is None:
        return pages
    return document.apply_ocr(data, doctype, options, pages, lambda images: recognize_pages(actors, images), plan.dpi)


@ray.remote(num_cpus=1, num_returns=3)
def extract_head(
    data: bytes, doctype: DocType, options: ParseOptions, head: int, plan: PagePlan
) -> tuple[int, list[PageContent], ProcessedDocument | None]:
    """Page count, the first `head` pages, and, when that is the whole document, its segments.

    Three separate returns, so the runner fetches only the count (and the segments of a short
    document, which then needs no other task) while the pages stay in the object store.
    """
    total = document.count_pages(data, doctype, options)
    pages = _pages(data, doctype, options, 0, min(head, total), plan)
    return total, pages, document.assemble(pages, options, plan.tag_threshold) if total <= head else None


@ray.remote(num_cpus=1)
def extract_range(
    data: bytes, doctype: DocType, options: ParseOptions, start: int, stop: int, plan: PagePlan
) -> list[PageContent]:
    return _pages(data, doctype, options, start, stop, plan)


@ray.remote(num_cpus=1)
def assemble_segments(options: ParseOptions, plan: PagePlan, *page_ranges: list[PageContent]) -> ProcessedDocument:
    """Segments of the whole document from its page ranges, given in page order, tagged in one batch."""
    return document.assemble([page for pages in page_ranges for page in pages], options, plan.tag_threshold)
