"""Bytes and options in, pages or segments out: the entry points the cluster layer calls.

The cluster splits a document into page ranges and calls `extract_pages` once per range, then
`apply_ocr` with the OCR actor pool when the job wants OCR, and `prepare_pages` (reading order,
hyphenation); then `assembly.assemble_parts` over the ranges in order (furniture, structure,
segments, languages, tags; see that module for how a long document is read range by range).
`segment_document` does all of it in one process, for the bulk path and for baselines.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import replace
from types import ModuleType

import numpy as np
from PIL import Image, UnidentifiedImageError

from segmentation import html, images, office, pdf_pdfium, pdf_pymupdf, text
from segmentation.assembly import assemble_parts, joined
from segmentation.dehyphenate import dehyphenate
from segmentation.language import detect_language
from segmentation.models import (
    DEFAULT_RENDER_LIMITS,
    DocType,
    ImageExtraction,
    PageContent,
    ParseOptions,
    PdfBackend,
    ProcessedDocument,
    RenderLimits,
    SegmentDraft,
)
from segmentation.ocr import OcrEngine, OcrLine, blocks_from_ocr, to_rgb_array
from segmentation.page_furniture import remove_furniture
from segmentation.reading_order import reading_order
from segmentation.segmenter import segment
from segmentation.structure import structure
from segmentation.tags import DEFAULT_THRESHOLD

# Formats whose pages can be parsed independently, so a job can fan out over page ranges.
PAGED_DOCTYPES = frozenset({DocType.PDF, DocType.TIFF})
IMAGE_DOCTYPES = frozenset({DocType.PNG, DocType.JPEG, DocType.TIFF})
# Parsed whole in one task: their "pages" (slides, sheets) come out of a single parse.
_WHOLE_DOCUMENT_PARSERS = {
    DocType.DOCX: office.parse_docx,
    DocType.PPTX: office.parse_pptx,
    DocType.XLSX: office.parse_xlsx,
    DocType.HTML: html.parse_html,
    DocType.MD: text.parse_markdown,
    DocType.TXT: text.parse_text,
}
# Scans carry no trustworthy resolution; line heights of image documents are read at this one.
IMAGE_DPI = 300
DEFAULT_OCR_DPI = 150


# A batch of page images in, the recognised lines of each out.
Recognizer = Callable[[Sequence[np.ndarray]], list[list[OcrLine]]]


def _pdf_module(options: ParseOptions) -> ModuleType:
    """The module of the job's PDF backend (PDFium's is not thread-safe: one per process)."""
    return pdf_pdfium if options.pdf_parsing_backend == PdfBackend.PYPDFIUM2 else pdf_pymupdf


def wants_ocr(doctype: DocType, options: ParseOptions) -> bool:
    """Whether pages marked `needs_ocr` are to be OCR'd (always for images, which have no text)."""
    return options.enable_ocr or options.force_full_page_ocr or doctype in IMAGE_DOCTYPES


def unlock(data: bytes, doctype: DocType, password: str) -> bytes:
    """The document opened with `password`, for every later step (PDFs are decrypted once, here)."""
    return pdf_pymupdf.unlock(data, password) if doctype == DocType.PDF else data


def count_pages(data: bytes, doctype: DocType, options: ParseOptions) -> int:
    """How many pages `extract_pages` can be asked for; 1 for formats that are not paged."""
    if doctype == DocType.PDF:
        return _pdf_module(options).count_pages(data)
    if doctype in IMAGE_DOCTYPES:
        return images.count_pages(data)
    return 1


def extract_pages(
    data: bytes,
    doctype: DocType,
    options: ParseOptions,
    start: int,
    stop: int,
    image_extraction: ImageExtraction | None = None,
) -> list[PageContent]:
    """The pages `start` to `stop - 1` (0-based) as blocks; non-paged formats ignore the range.

    With `process_images`, embedded images are extracted as `image_extraction` says.
    """
    if doctype == DocType.PDF:
        extraction = (image_extraction or ImageExtraction()) if options.process_images else None
        return _pdf_module(options).extract_pages(data, start, stop, options.force_full_page_ocr, extraction)
    if doctype in IMAGE_DOCTYPES:
        return images.extract_pages(data, start, stop)
    return _WHOLE_DOCUMENT_PARSERS[doctype](data)


def _ocr_dpi(doctype: DocType, render_dpi: int) -> int:
    """The resolution OCR'd pixels of this document are at."""
    return IMAGE_DPI if doctype in IMAGE_DOCTYPES else render_dpi


def render_pages(
    data: bytes,
    doctype: DocType,
    numbers: Sequence[int],
    dpi: int,
    options: ParseOptions | None = None,
    limits: RenderLimits = DEFAULT_RENDER_LIMITS,
) -> list[np.ndarray]:
    """RGB images of the given 1-based pages, for OCR, drawn by the job's PDF backend within `limits`."""
    if doctype in IMAGE_DOCTYPES:
        return images.render_pages(data, numbers, limits)
    return _pdf_module(options or ParseOptions()).render_pages(data, numbers, dpi, limits)


def _with_ocr(page: PageContent, lines: Sequence[OcrLine], dpi: int) -> PageContent:
    """The page with its text layer replaced by recognised lines."""
    return replace(page, blocks=blocks_from_ocr(lines, dpi), needs_ocr=False)


def _image_arrays(page: PageContent) -> list[tuple[str, np.ndarray]]:
    """The page's extracted images as RGB arrays, for OCR of the text inside them."""
    arrays = []
    for image in page.images:
        try:
            with Image.open(io.BytesIO(image.data)) as opened:
                arrays.append((image.id, to_rgb_array(opened)))
        except (UnidentifiedImageError, OSError):
            continue  # a format PIL cannot decode: the image is kept, its text is not read
    return arrays


def _with_image_text(page: PageContent, texts: dict[str, Sequence[OcrLine]], dpi: int) -> PageContent:
    """The page with each image's recognised lines added to the block that links it."""
    blocks = []
    for block in page.blocks:
        lines = texts.get(block.image_id or "")
        if lines:
            recognised = tuple(line for b in blocks_from_ocr(lines, dpi) for line in b.lines)
            block = replace(block, lines=block.lines + recognised)
        blocks.append(block)
    return replace(page, blocks=tuple(blocks))


def pages_without_text(pages: Sequence[PageContent]) -> int:
    """Pages that needed OCR and did not get it: the user sees how much OCR would add."""
    return sum(1 for page in pages if page.needs_ocr)


def prepare_pages(pages: Sequence[PageContent]) -> list[PageContent]:
    """The pages as a reader reads them: columns in reading order, words hyphenated at line ends joined.

    Page by page, so each page task prepares its own range; what needs the whole document (page
    furniture, headings) is left to the assembly, which takes prepared pages.
    """
    return dehyphenate(reading_order(pages))


def clean_pages(pages: Sequence[PageContent]) -> tuple[list[PageContent], int]:
    """The pages prepared and without their furniture, and how many words of furniture were removed.

    Running headers, footers and page numbers are removed (see `page_furniture`).
    """
    return remove_furniture(prepare_pages(pages))


def segment_pages(pages: Sequence[PageContent], options: ParseOptions) -> list[SegmentDraft]:
    """Segments of the whole document from all its (cleaned) pages, in page order, with their languages.

    A page still marked `needs_ocr` (OCR was not asked for) keeps whatever text layer it has.
    """
    return [replace(draft, lang=detect_language(draft.body)) for draft in segment(structure(pages), options.maxsize)]


def assemble(
    pages: Sequence[PageContent], options: ParseOptions, tag_threshold: float = DEFAULT_THRESHOLD
) -> ProcessedDocument:
    """The document's tagged segments, with what the pages say about OCR and their images."""
    return assemble_prepared(prepare_pages(pages), options, tag_threshold)


def assemble_prepared(
    pages: Sequence[PageContent], options: ParseOptions, tag_threshold: float = DEFAULT_THRESHOLD
) -> ProcessedDocument:
    """`assemble` of pages that `prepare_pages` has already seen."""
    return joined(assemble_parts(lambda: [pages], options, tag_threshold))


def apply_ocr(
    data: bytes,
    doctype: DocType,
    options: ParseOptions,
    pages: list[PageContent],
    recognize: Recognizer,
    dpi: int = DEFAULT_OCR_DPI,
    limits: RenderLimits = DEFAULT_RENDER_LIMITS,
) -> list[PageContent]:
    """Pages with recognised text: pages without a usable text layer, then text inside extracted images.

    `recognize` turns a batch of images into their lines: an engine in this process, or the OCR
    actor pool when a Ray task calls this.
    """
    numbers = [page.number for page in pages if page.needs_ocr]
    if numbers:
        rendered = render_pages(data, doctype, numbers, dpi, options, limits)
        lines = dict(zip(numbers, recognize(rendered), strict=True))
        line_dpi = _ocr_dpi(doctype, dpi)
        pages = [_with_ocr(page, lines[page.number], line_dpi) if page.number in lines else page for page in pages]
    per_page = [_image_arrays(page) for page in pages]
    arrays = [array for page_arrays in per_page for _, array in page_arrays]
    if not arrays:
        return pages
    recognised = iter(recognize(arrays))
    return [
        _with_image_text(page, {image_id: next(recognised) for image_id, _ in page_arrays}, IMAGE_DPI)
        for page, page_arrays in zip(pages, per_page, strict=True)
    ]


def segment_document(
    data: bytes,
    doctype: DocType,
    options: ParseOptions,
    engine: OcrEngine | None = None,
    dpi: int = DEFAULT_OCR_DPI,
) -> list[SegmentDraft]:
    """Parse, OCR (when wanted and an engine is given) and segment a document in this process."""
    pages = extract_pages(data, doctype, options, 0, count_pages(data, doctype, options))
    if engine is not None and wants_ocr(doctype, options):
        pages = apply_ocr(data, doctype, options, pages, lambda images: [engine.recognize(i) for i in images], dpi)
    return assemble(pages, options).segments
