"""Ray tasks that do the CPU work of a job: page-range extraction (with OCR) and reassembly.

Each extraction task takes the document bytes as an ObjectRef argument, so the runner puts them
in the object store once and every task reads that one copy. Pages that need OCR are rendered
here and sent to the OCR actor pool; the task waits for their lines without holding its CPU.
"""

from __future__ import annotations

import resource
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import ray

from cluster import metrics
from cluster.ocr_pool import recognize_pages
from segmentation import DocType, PageContent, ParseOptions, SegmentationError, assembly, document
from segmentation.models import DEFAULT_RENDER_LIMITS, ImageExtraction, ProcessedDocument, RenderLimits

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PagePlan:
    """How a job's page tasks treat its pages beyond the client's options."""

    ocr_actors: list[Any] | None  # where pages go for OCR; None when the job wants no OCR
    dpi: int
    images: ImageExtraction
    tag_threshold: float
    render_limits: RenderLimits = DEFAULT_RENDER_LIMITS
    memory_bytes: int | None = None  # address space a task may add to its worker; None: no limit
    hold_pages: int = assembly.HOLD_PAGES  # a longer document is assembled range by range


@contextmanager
def _memory_limit(extra_bytes: int | None) -> Iterator[None]:
    """Cap this worker's address space at its present size plus `extra_bytes` while the work runs.

    A document that would take more (a decompression bomb, a page of endless vector art) then
    fails its allocation, and the job FAILS with that reason, instead of the machine's memory.
    Workers are reused, so the cap is lifted again afterwards.
    """
    if extra_bytes is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        present = int(statm.read().split()[0]) * resource.getpagesize()
    cap = present + extra_bytes if hard == resource.RLIM_INFINITY else min(hard, present + extra_bytes)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    except Exception as exc:
        # Python says MemoryError; MuPDF and PDFium raise their own errors saying "malloc (...) failed".
        if isinstance(exc, MemoryError) or "malloc" in str(exc):
            raise SegmentationError(
                f"the document needs more memory than a page task may use ({extra_bytes // 1024**2} MiB more)"
            ) from exc
        raise
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _limited(plan: PagePlan, work: Callable[[], T]) -> T:
    with _memory_limit(plan.memory_bytes):
        return work()


def _pages(
    data: bytes, doctype: DocType, options: ParseOptions, start: int, stop: int, plan: PagePlan
) -> list[PageContent]:
    """The range's pages, OCR'd where the job wants it, prepared for the assembly."""
    pages = _limited(plan, lambda: document.extract_pages(data, doctype, options, start, stop, plan.images))
    actors = plan.ocr_actors
    if actors is None:
        return document.prepare_pages(pages)

    def recognize(images: Sequence[Any]) -> list[Any]:
        metrics.OCR_BATCH_PAGES.observe(len(images))
        metrics.PAGES.inc(len(images), tags={"kind": "ocr"})
        return recognize_pages(actors, images)

    return document.prepare_pages(_limited(plan, lambda: document.apply_ocr(
        data, doctype, options, pages, recognize, plan.dpi, plan.render_limits
    )))


@ray.remote(num_cpus=1, num_returns=3)
def extract_head(
    data: bytes, doctype: DocType, options: ParseOptions, head: int, max_pages: int, plan: PagePlan
) -> tuple[int, list[PageContent], ProcessedDocument | None]:
    """Page count, the first `head` pages, and, when that is the whole document, its segments.

    Three separate returns, so the runner fetches only the count (and the segments of a short
    document, which then needs no other task) while the pages stay in the object store. A document
    of more than `max_pages` pages is only counted: the runner fails it.
    """
    total = _limited(plan, lambda: document.count_pages(data, doctype, options))
    if total > max_pages:
        return total, [], None
    pages = _pages(data, doctype, options, 0, min(head, total), plan)
    return total, pages, document.assemble_prepared(pages, options, plan.tag_threshold) if total <= head else None


@ray.remote(num_cpus=1)
def extract_range(
    data: bytes, doctype: DocType, options: ParseOptions, start: int, stop: int, plan: PagePlan
) -> list[PageContent]:
    return _pages(data, doctype, options, start, stop, plan)


@ray.remote(num_cpus=1)
def assemble_parts(
    options: ParseOptions, plan: PagePlan, page_ranges: list[ray.ObjectRef]
) -> Iterator[ProcessedDocument]:
    """The document's result in parts, from its page ranges in page order (`segmentation.assembly`).

    A Ray generator: each part is in the object store as soon as it is yielded, so the runner can
    store it while the next is made. The ranges come as refs inside a list, so Ray does not fetch
    them all before the task starts: each pass reads one range at a time (a document of up to
    `plan.hold_pages` pages is read once and held).
    """
    yield from assembly.assemble_parts(
        lambda: (ray.get(ref) for ref in page_ranges), options, plan.tag_threshold, plan.hold_pages
    )
