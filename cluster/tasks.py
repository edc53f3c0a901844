"""Ray tasks that do the CPU work of a job: probing, page-range extraction, reassembly.

Each takes the document bytes as an ObjectRef argument, so the runner puts them in the object
store once and every task reads that one copy.
"""

from __future__ import annotations

import ray

from segmentation import DocType, PageContent, ParseOptions, SegmentDraft
from segmentation import document


@ray.remote(num_cpus=1)
def probe_document(data: bytes, doctype: DocType, options: ParseOptions) -> int:
    """Number of pages (1 for formats that are not paged); raises for unreadable documents."""
    return document.count_pages(data, doctype, options)


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
