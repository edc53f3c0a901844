"""PDF into the block model with PDFium (pypdfium2): lines with font size and weight, grouped into blocks.

PDFium gives a page's characters in reading order with generated line breaks, a box, a font size
and a weight per character. Lines are split at those breaks; a new block starts where the gap to
the previous line exceeds most of a line's height, or where the font size changes markedly (a
heading). PDFium is not thread-safe: docseg calls it from one thread per process (Ray tasks are
processes).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, UnidentifiedImageError

from segmentation import text_layer
from segmentation.errors import EncryptedDocument, UnreadableDocument
from segmentation.models import (
    DEFAULT_RENDER_LIMITS,
    Block,
    ImageExtraction,
    Line,
    OutlineEntry,
    PageContent,
    PageImage,
    RenderLimits,
)
from segmentation.pdf_images import Box, with_image_links

BOLD_WEIGHT = 600
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@contextmanager
def open_pdf(data: bytes) -> Iterator[pdfium.PdfDocument]:
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedDocument(
                "the PDF is encrypted and needs a password (send it in the `password` field)"
            ) from exc
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


class _PlacedLine(NamedTuple):
    """A line and its box in PDF space (y grows upwards)."""

    line: Line
    top: float
    bottom: float
    left: float
    right: float


def _lines(textpage: pdfium.PdfTextPage) -> list[_PlacedLine]:
    """Each non-empty line of the page with its box, in PDFium's order."""
    text = textpage.get_text_range()
    lines = []
    start = 0
    for match in [*_LINE_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        chunk = text[start:end]
        if chunk.strip():
            sizes: dict[float, int] = {}
            bold = 0
            top, bottom, left, right = float("-inf"), float("inf"), float("inf"), float("-inf")
            for index in range(start, end):
                if chunk[index - start].isspace():
                    continue
                size = round(pdfium_c.FPDFText_GetFontSize(textpage.raw, index), 1)
                sizes[size] = sizes.get(size, 0) + 1
                bold += pdfium_c.FPDFText_GetFontWeight(textpage.raw, index) >= BOLD_WEIGHT
                char_left, char_bottom, char_right, char_top = textpage.get_charbox(index)
                top, bottom = max(top, char_top), min(bottom, char_bottom)
                left, right = min(left, char_left), max(right, char_right)
            counted = sum(sizes.values()) or 1
            line = Line(text=chunk, size=max(sizes, key=sizes.__getitem__) if sizes else 0.0, bold=bold * 2 > counted)
            lines.append(_PlacedLine(line, top, bottom, left, right))
        start = match.end() if match else len(text)
    return lines


def _blocks(lines: list[_PlacedLine], page_height: float) -> list[Block]:
    """Lines grouped into blocks, each with its box from the page's top left, as MuPDF gives it."""
    groups: list[list[_PlacedLine]] = []
    previous: _PlacedLine | None = None
    for placed in lines:
        line, top = placed.line, placed.top
        height = max(top - placed.bottom, 1.0)
        new_block = (
            previous is None
            or previous.bottom - top > 0.8 * height  # a gap below the previous line (PDF y grows upwards)
            or top > previous.top + height  # a jump back up: another column or a new text frame
            or abs(line.size - previous.line.size) > 0.15 * max(line.size, previous.line.size)
            or line.bold != previous.line.bold
        )
        if new_block:
            groups.append([])
        groups[-1].append(placed)
        previous = placed
    return [
        Block(
            lines=tuple(p.line for p in group),
            bbox=(
                round(min(p.left for p in group), 1), round(page_height - max(p.top for p in group), 1),
                round(max(p.right for p in group), 1), round(page_height - min(p.bottom for p in group), 1),
            ),
        )
        for group in groups
    ]


def _images(page: pdfium.PdfPage, number: int, extraction: ImageExtraction) -> list[tuple[Box, PageImage]]:
    """Embedded images worth keeping, as PDFium can give them (JPEGs as they are, others as PNG)."""
    _, page_height = page.get_size()
    found = []
    for index, image in enumerate(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2)):
        width, height = image.get_px_size()
        if width * height < extraction.min_pixels:
            continue
        buffer = io.BytesIO()
        try:
            image.extract(buffer, fb_format="png")
            with Image.open(io.BytesIO(buffer.getvalue())) as opened:
                kind = (opened.format or "png").lower()
        except (pdfium.PdfiumError, UnidentifiedImageError, OSError, ValueError):
            continue  # an image PDFium cannot decode is left out, as MuPDF's would be
        left, bottom, right, top = image.get_bounds()
        box = (round(left, 1), round(page_height - top, 1), round(right, 1), round(page_height - bottom, 1))
        found.append((box, PageImage(
            id=f"p{number}-o{index}", page=number, data=buffer.getvalue(), content_type=f"image/{kind}",
            width=int(width), height=int(height),
        )))
    return found


def _outline(document: pdfium.PdfDocument) -> dict[int, list[OutlineEntry]]:
    """The outline's entries by the 1-based page they point at (entries without a page are left out)."""
    by_page: dict[int, list[OutlineEntry]] = {}
    try:
        for bookmark in document.get_toc():
            destination, title = bookmark.get_dest(), bookmark.get_title()
            index = destination.get_index() if destination is not None else None
            if index is not None and title.strip():
                entry = OutlineEntry(level=bookmark.level + 1, title=" ".join(title.split()))
                by_page.setdefault(index + 1, []).append(entry)
    except pdfium.PdfiumError:
        pass  # a damaged outline is no reason to fail the document: it only confirms headings
    return by_page


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


def extract_pages(
    data: bytes, start: int, stop: int, force_ocr: bool = False, images: ImageExtraction | None = None
) -> list[PageContent]:
    """Blocks of pages `start` to `stop - 1` (0-based), numbered 1-based, marked for OCR as needed.

    With `images`, embedded images are extracted and linked where they appear, as with MuPDF.
    """
    with open_pdf(data) as document:
        outline = _outline(document)
        pages = []
        for index in range(start, min(stop, len(document))):
            try:
                page = document[index]
                width, height = page.get_size()
                textpage = page.get_textpage()
                lines = _lines(textpage)
                needs_ocr = force_ocr or _needs_ocr(page, textpage.get_text_range())
                extracted = _images(page, index + 1, images) if images and not needs_ocr else []
            except pdfium.PdfiumError as exc:
                raise UnreadableDocument(f"a page of the PDF cannot be read: {exc}") from exc
            blocks = _blocks(lines, height)
            if images and extracted:
                blocks = with_image_links(blocks, extracted, images)
            pages.append(PageContent(
                number=index + 1, blocks=tuple(blocks), needs_ocr=needs_ocr,
                images=tuple(image for _, image in extracted),
                width=float(width), height=float(height), outline=tuple(outline.get(index + 1, ())),
            ))
        return pages


def render_pages(
    data: bytes, numbers: Sequence[int], dpi: int, limits: RenderLimits = DEFAULT_RENDER_LIMITS
) -> list[np.ndarray]:
    """RGB images of the given 1-based pages at `dpi` (less for pages too large for `limits`), for OCR."""
    with open_pdf(data) as document:
        images = []
        for number in numbers:
            page = document[number - 1]
            width, height = page.get_size()
            scale = limits.scale(width, height, dpi)
            images.append(np.ascontiguousarray(np.asarray(page.render(scale=scale).to_pil().convert("RGB"))))
        return images
