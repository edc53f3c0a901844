"""Assembling a document range by range: the same result as from all its pages at once, in parts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from segmentation import DocType, ParseOptions, PdfBackend, count_pages, extract_pages
from segmentation.assembly import SEGMENTS_PER_PART, assemble_parts, joined
from segmentation.document import assemble, prepare_pages
from segmentation.models import ImageExtraction, PageContent
from tests.conftest import corpus_file

RANGE_PAGES = 9  # not a divisor of the documents' lengths: the last range is short


class Ranges:
    """A document's pages handed out a range at a time, counting how often they are read."""

    def __init__(self, pages: Sequence[PageContent]) -> None:
        self.ranges = [list(pages[start : start + RANGE_PAGES]) for start in range(0, len(pages), RANGE_PAGES)]
        self.reads = 0

    def __call__(self) -> Iterator[list[PageContent]]:
        self.reads += 1
        yield from self.ranges


def pages_of(name: str, options: ParseOptions) -> list[PageContent]:
    data = corpus_file(name).read_bytes()
    images = ImageExtraction(link_prefix="/images/") if options.process_images else None
    return extract_pages(data, DocType.PDF, options, 0, count_pages(data, DocType.PDF, options), images)


@pytest.mark.parametrize(
    ("name", "options", "has_furniture"),
    [
        ("fek_1_Pres_Decree.pdf", ParseOptions(maxsize=300), True),  # furniture on every page, two columns
        ("pypdf_GeoTopo-komprimiert.pdf", ParseOptions(maxsize=1000), True),  # outline, chapter headers, folios
        ("pdfjs_tracemonkey.pdf", ParseOptions(maxsize=2000, process_images=True), False),
        ("pypdf_GeoTopo-komprimiert.pdf", ParseOptions(maxsize=800, pdf_parsing_backend=PdfBackend.PYPDFIUM2), True),
    ],
)
def test_a_long_document_read_range_by_range_gives_the_segments_of_all_its_pages_at_once(name, options, has_furniture):
    pages = pages_of(name, options)
    whole = assemble(pages, options)
    ranges = Ranges(prepare_pages(pages))
    streamed = joined(assemble_parts(ranges, options, hold_pages=0))
    assert ranges.reads == 4  # one read per pass; no pass held the document
    assert streamed == whole
    assert len(whole.segments) > 20 and (whole.removed_words > 0) == has_furniture


def test_a_document_short_enough_to_hold_is_read_once():
    options = ParseOptions(maxsize=1000)
    ranges = Ranges(prepare_pages(pages_of("pdfjs_tracemonkey.pdf", options)))
    list(assemble_parts(ranges, options))
    assert ranges.reads == 1


def test_segments_come_in_parts_after_the_counts_and_images_with_ordinals_running_on():
    options = ParseOptions(maxsize=100, process_images=True)
    pages = pages_of("pdfjs_tracemonkey.pdf", options)
    parts = list(assemble_parts(Ranges(prepare_pages(pages)), options, hold_pages=0))
    with_segments = [i for i, part in enumerate(parts) if part.segments]
    assert with_segments == list(range(with_segments[0], len(parts)))  # segments last, nothing after them
    assert all(not part.images and not part.removed_words for part in parts[with_segments[0] :])
    assert all(len(parts[i].segments) == SEGMENTS_PER_PART for i in with_segments[:-1])
    ordinals = [draft.ordinal for part in parts for draft in part.segments]
    assert len(ordinals) > 2 * SEGMENTS_PER_PART and ordinals == list(range(len(ordinals)))
    assert sum(len(part.images) for part in parts) == sum(len(page.images) for page in pages) > 0
    assert all(draft.lang for part in parts for draft in part.segments if len(draft.body) > 200)
