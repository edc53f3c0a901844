"""Bytes and options in, pages or segments out: the entry points the cluster layer calls.

The cluster splits a PDF into page ranges and calls `extract_pages` once per range, then
`segment_pages` once on all pages in order. `segment_document` does both in one process, for
the bulk path and for baselines.
"""

from __future__ import annotations

from collections.abc import Sequence

from segmentation import pdf_pymupdf, text
from segmentation.errors import UnsupportedDocument
from segmentation.models import DocType, PageContent, ParseOptions, PdfBackend, SegmentDraft
from segmentation.segmenter import segment
from segmentation.structure import structure

# Formats whose pages can be parsed independently, so a job can fan out over page ranges.
PAGED_DOCTYPES = frozenset({DocType.PDF})


def _check_supported(doctype: DocType, options: ParseOptions) -> None:
    if doctype == DocType.PDF and options.pdf_parsing_backend != PdfBackend.PYMUPDF:
        raise UnsupportedDocument(
            f"pdf_parsing_backend '{options.pdf_parsing_backend.value}' is not available yet; "
            "use 'pymupdf'"
        )
    if doctype not in (DocType.PDF, DocType.TXT, DocType.MD):
        raise UnsupportedDocument(
            f"{doctype.value} documents are recognised but not supported yet; "
            "send PDF, plain text or Markdown"
        )


def count_pages(data: bytes, doctype: DocType, options: ParseOptions) -> int:
    """How many pages `extract_pages` can be asked for; 1 for formats that are not paged."""
    _check_supported(doctype, options)
    if doctype == DocType.PDF:
        return pdf_pymupdf.count_pages(data)
    return 1


def extract_pages(
    data: bytes, doctype: DocType, options: ParseOptions, start: int, stop: int
) -> list[PageContent]:
    """The pages `start` to `stop - 1` (0-based) as blocks; non-paged formats ignore the range."""
    _check_supported(doctype, options)
    if doctype == DocType.PDF:
        return pdf_pymupdf.extract_pages(data, start, stop)
    if doctype == DocType.MD:
        return text.parse_markdown(data)
    return text.parse_text(data)


def segment_pages(pages: Sequence[PageContent], options: ParseOptions) -> list[SegmentDraft]:
    """Segments of the whole document from all its pages, in page order."""
    return segment(structure(pages), options.maxsize)


def segment_document(data: bytes, doctype: DocType, options: ParseOptions) -> list[SegmentDraft]:
    """Parse and segment a document in this process."""
    pages = extract_pages(data, doctype, options, 0, count_pages(data, doctype, options))
    return segment_pages(pages, options)
