"""Ray tasks that do the CPU work of a job: page-range extraction and reassembly.

Each takes the document bytes as an ObjectRef argument, so the runner puts them in the object
store once and every task reads that one copy.
"""

from __future__ import annotations

import ray

from segmentation import DocType, PageContent, ParseOptions, SegmentDraft, document


@ray.remote(num_cpus=1, num_returns=3)
def extract_head(
    data: bytes, doctype: DocType, options: ParseOptions, head: int
) -> tuple[int, list[PageContent], list[SegmentDraft] | None]:
    """Page count, the first `head` pages, and, when that is the whole document, its segments.

    Three separate returns, so the runner fetches only the count (and the segments of a short
    document, which then needs no other task) while the pages stay in the object store.
    """
    total = document.count_pages(data, doctype, options)
    pages = document.extract_pages(data, doctype, options, 0, min(head, total))
    drafts = document.segment_pages(pages, options) if total <= head else None
    return total, pages, drafts


@ray.remote(num_cpus=1)
def extract_range(
    data: bytes, doctype: DocType, options: ParseOptions, start: int, stop: int
) -> list[PageContent]:
    return document.extract_pages(data, doctype, options, start, stop)


@ray.remote(num_cpus=1)
def assemble_segments(options: ParseOptions, *page_ranges: list[PageContent]) -> list[SegmentDraft]:
    """Segments of the whole document from its page ranges, given in page order."""
    pages = [page for pages in page_ranges for page in pages]
    return document.segment_pages(pages, options)
