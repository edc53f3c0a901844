"""PDF into the block model with PDFium (pypdfium2): lines with font size and weight, grouped into blocks.

PDFium gives a page's characters in reading order with generated line breaks, a box, a font size
and a weight per character. Lines are split at those breaks; a new block starts where the gap to
the previous line exceeds most of a line's height, or where the font size changes markedly (a
heading). PDFium is not thread-safe: docseg calls it from one thread per process (Ray tasks are
processes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from segmentation import text_layer
from segmentation.errors import EncryptedDocument, UnreadableDocument
from segmentation.models import Block, Line, PageContent

BOLD_WEIGHT = 600
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@contextmanager
def open_pdf(data: bytes) -> Iterator[pdfium.PdfDocument]:
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedDocument("the PDF is encrypted and needs a password") from exc
        raise UnreadableDocument(f"the PDF cannot be opened: {exc}") from exc
    try:
        if len(document) == 0:
            raise UnreadableDocument("the PDF has no pages")
        yield document
    finally:
        document.close()


def count_pages(data: bytes) -> int:
    with open_pdf(data) as document:
        return len(document)


def _lines(textpage: pdfium.PdfTextPage) -> list[tuple[Line, float, float]]:
    """(line, top, bottom) for each non-empty line of the page, in PDFium's order."""
    text = textpage.get_text_range()
    lines = []
    start = 0
    for match in [*_LINE_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        chunk = text[start:end]
        if chunk.strip():
            sizes: dict[float, int] = {}
            bold = 0
            top, bottom = float("-inf"), float("inf")
            for index in range(start, end):
                if chunk[index - start].isspace():
                    continue
                size = round(pdfium_c.FPDFText_GetFontSize(textpage.raw, index), 1)
                sizes[size] = sizes.get(size, 0) + 1
                bold += pdfium_c.FPDFText_GetFontWeight(textpage.raw, index) >= BOLD_WEIGHT
                _, char_bottom, _, char_top = textpage.get_charbox(index)
                top, bottom = max(top, char_top), min(bottom, char_bottom)
            counted = sum(sizes.values()) or 1
            line = Line(text=chunk, size=max(sizes, key=sizes.__getitem__) if sizes else 0.0, bold=bold * 2 > counted)
            lines.append((line, top, bottom))
        start = match.end() if match else len(text)
    return lines


def _blocks(lines: list[tuple[Line, float, float]]) -> list[Block]:
    blocks: list[list[Line]] = []
    previous: tuple[Line, float, float] | None = None
    for line, top, bottom in lines:
        height = max(top - bottom, 1.0)
        new_block = (
            previous is None
            or previous[2] - top > 0.8 * height  # a gap below the previous line (PDF y grows upwards)
            or top > previous[1] + height  # a jump back up: another column or a new text frame
            or abs(line.size - previous[0].size) > 0.15 * max(line.size, previous[0].size)
            or line.bold != previous[0].bold
        )
        if new_block:
            blocks.append([])
        blocks[-1].append(line)
        previous = (line, top, bottom)
    return [Block(lines=tuple(block)) for block in blocks]


def _image_coverage(page: pdfium.PdfPage) -> float:
    width, height = page.get_size()
    area = max(width * height, 1.0)
    best = 0.0
    for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, bottom, right, top = image.get_bounds()
        placed = max(0.0, min(right, width) - max(left, 0.0)) * max(0.0, min(top, height) - max(bottom, 0.0))
        best = max(best, placed / area)
    return best


def _needs_ocr(page: pdfium.PdfPage, text: str) -> bool:
    """PDFium does not report invisible text apart, so all of the text layer counts as visible."""
    visible = len("".join(text.split()))
    return text_layer.needs_ocr(text, visible, lambda: _image_coverage(page))


def extract_pages(data: bytes, start: int, stop: int, force_ocr: bool = False) -> list[PageContent]:
    """Blocks of pages `start` to `stop - 1` (0-based), numbered 1-based, marked for OCR as needed."""
    with open_pdf(data) as document:
        pages = []
        for index in range(start, min(stop, len(document))):
            try:
                page = document[index]
                textpage = page.get_textpage()
                lines = _lines(textpage)
                needs_ocr = force_ocr or _needs_ocr(page, textpage.get_text_range())
            except pdfium.PdfiumError as exc:
                raise UnreadableDocument(f"a page of the PDF cannot be read: {exc}") from exc
            pages.append(PageContent(number=index + 1, blocks=tuple(_blocks(lines)), needs_ocr=needs_ocr))
        return pages


def render_pages(data: bytes, numbers: Sequence[int], dpi: int) -> list[np.ndarray]:
    with open_pdf(data) as document:
        return [
            np.ascontiguousarray(np.asarray(document[n - 1].render(scale=dpi / 72).to_pil().convert("RGB")))
            for n in numbers
        ]
