"""docseg's segmentation library: document bytes and options in, segments out.

Pure Python over the parsers: no Ray, no Redis, no HTTP, so it runs the same in a Ray task, a
Ray Data batch or a notebook.
"""

from segmentation.detect import resolve_doctype, sniff
from segmentation.document import (
    PAGED_DOCTYPES,
    count_pages,
    extract_pages,
    segment_document,
    segment_pages,
)
from segmentation.errors import (
    DoctypeMismatch,
    EncryptedDocument,
    SegmentationError,
    UnreadableDocument,
    UnsupportedDocument,
)
from segmentation.models import (
    DocType,
    OcrBackend,
    PageContent,
    ParseOptions,
    PdfBackend,
    SegmentDraft,
)

__all__ = [
    "PAGED_DOCTYPES",
    "DocType",
    "DoctypeMismatch",
    "EncryptedDocument",
    "OcrBackend",
    "PageContent",
    "ParseOptions",
    "PdfBackend",
    "SegmentDraft",
    "SegmentationError",
    "UnreadableDocument",
    "UnsupportedDocument",
    "count_pages",
    "extract_pages",
    "resolve_doctype",
    "segment_document",
    "segment_pages",
    "sniff",
]
