"""PDF into the block model with PyMuPDF (MuPDF): text blocks and lines with font size and weight.

The words docseg segments are exactly the words of `Page.get_text()`, in the same order. MuPDF's
structured output ("dict") usually holds the same characters as its plain text, but not always:
on figure-heavy pages it can drop or merge a few glyphs. Each page's words are therefore checked
against the plain text of the same text page, and on the rare page where they differ, the plain
text's words are aligned onto the structured lines.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from difflib import SequenceMatcher
from typing import Any

import numpy as np
import pymupdf

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

_TEXT_FLAGS = pymupdf.TEXTFLAGS_TEXT
_BOLD_FLAG = 16  # bit 4 of a span's flags


@contextmanager
def open_pdf(data: bytes) -> Iterator[pymupdf.Document]:
    """Open PDF bytes, translating MuPDF's failures into errors a user can act on."""
    try:
        document = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # MuPDF raises several unrelated types for broken files
        raise UnreadableDocument(f"the PDF cannot be opened: {exc}") from exc
    try:
        if document.needs_pass:
            raise EncryptedDocument("the PDF is encrypted and needs a password (send it in the `password` field)")
        if document.page_count == 0:
            raise UnreadableDocument("the PDF has no pages")
        yield document
    finally:
        document.close()


def unlock(data: bytes, password: str) -> bytes:
    """The PDF without its encryption, opened with `password`; an unencrypted PDF as it is."""
    try:
        document = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # MuPDF raises several unrelated types for broken files
        raise UnreadableDocument(f"the PDF cannot be opened: {exc}") from exc
    try:
        if not document.needs_pass:
            return data
        if not document.authenticate(password):
            raise EncryptedDocument("the password does not open the PDF")
        return bytes(document.tobytes(encryption=pymupdf.PDF_ENCRYPT_NONE))  # type: ignore[attr-defined]
    finally:
        document.close()


def count_pages(data: bytes) -> int:
    with open_pdf(data) as document:
        return int(document.page_count)


def _line(raw: dict[str, Any]) -> Line | None:
    """A line's text, with the font size and weight that carry most of its characters."""
    spans = raw["spans"]
    text = "".join(span["text"] for span in spans)
    if not text.strip():
        return None
    chars_by_size: dict[float, int] = {}
    bold_chars = total = 0
    for span in spans:
        chars = len(span["text"])
        size = round(span["size"], 1)
        chars_by_size[size] = chars_by_size.get(size, 0) + chars
        total += chars
        if span["flags"] & _BOLD_FLAG or "bold" in span["font"].lower():
            bold_chars += chars
    size = max(chars_by_size, key=chars_by_size.__getitem__)
    return Line(text=text, size=size, bold=bold_chars * 2 > total)


def _reconcile(blocks: list[Block], words: list[str]) -> list[Block]:
    """Blocks whose words are exactly `words`, keeping each word on the line it aligns with."""
    places = [(b, n) for b, block in enumerate(blocks) for n, line in enumerate(block.lines)
              for _ in line.text.split()]
    ours = [w for block in blocks for line in block.lines for w in line.text.split()]
    assigned: dict[tuple[int, int], list[str]] = {}
    last = places[0] if places else (0, 0)
    matcher = SequenceMatcher(None, words, ours, autojunk=False)
    for op, w_start, w_end, o_start, _ in matcher.get_opcodes():
        for offset, word in enumerate(words[w_start:w_end]):
            if op == "equal":
                last = places[o_start + offset]
            assigned.setdefault(last, []).append(word)  # unmatched words join the line before them
    if not blocks:
        return [Block(lines=(Line(text=" ".join(words)),))] if words else []
    rebuilt = []
    for b, block in enumerate(blocks):
        lines = tuple(
            Line(text=" ".join(assigned[(b, n)]), size=line.size, bold=line.bold)
            for n, line in enumerate(block.lines) if assigned.get((b, n))
        )
        if lines:
            rebuilt.append(Block(lines=lines, bbox=block.bbox))
    return rebuilt


def _image_coverage(page: pymupdf.Page) -> float:
    area = abs(page.rect) or 1.0
    best = 0.0
    for info in page.get_image_info():
        placed = pymupdf.Rect(info["bbox"]) & page.rect
        best = max(best, abs(placed) / area)
    return best


def _needs_ocr(page: pymupdf.Page, raw_blocks: list[dict[str, Any]]) -> bool:
    """True for a page without a usable text layer; invisible text (alpha 0) does not count as visible."""
    spans = [span for raw in raw_blocks for line in raw.get("lines", ()) for span in line["spans"]]
    visible = sum(len("".join(span["text"].split())) for span in spans if span.get("alpha", 255))
    return text_layer.needs_ocr("".join(span["text"] for span in spans), visible, lambda: _image_coverage(page))


def _images(page: pymupdf.Page, number: int, extraction: ImageExtraction) -> list[tuple[Box, PageImage]]:
    """Embedded images worth keeping, with the place each is shown, in page order."""
    found: dict[int, tuple[Box, PageImage]] = {}
    for info in page.get_image_info(xrefs=True):
        xref = info.get("xref", 0)
        if xref <= 0 or xref in found or info["width"] * info["height"] < extraction.min_pixels:
            continue
        extracted = page.parent.extract_image(xref)
        if not extracted or not extracted.get("image"):
            continue
        image = PageImage(
            id=f"p{number}-x{xref}", page=number, data=extracted["image"],
            content_type=f"image/{'jpeg' if extracted['ext'] in ('jpg', 'jpeg') else extracted['ext']}",
            width=int(extracted["width"]), height=int(extracted["height"]),
        )
        found[xref] = (_box(info["bbox"]), image)
    return sorted(found.values(), key=lambda item: item[0][1])


def _box(bbox: Sequence[float]) -> Box:
    left, top, right, bottom = (round(float(v), 1) for v in bbox)
    return (left, top, right, bottom)


def _page_content(
    page: pymupdf.Page, number: int, force_ocr: bool, extraction: ImageExtraction | None,
    outline: Sequence[OutlineEntry],
) -> PageContent:
    textpage = page.get_textpage(flags=_TEXT_FLAGS)
    raw_blocks = [raw for raw in textpage.extractDICT()["blocks"] if raw.get("type", 0) == 0]
    blocks: list[Block] = []
    for raw in raw_blocks:
        lines = tuple(line for line in map(_line, raw["lines"]) if line is not None)
        if lines:
            blocks.append(Block(lines=lines, bbox=_box(raw["bbox"])))
    words = textpage.extractText().split()
    if words != [w for block in blocks for line in block.lines for w in line.text.split()]:
        blocks = _reconcile(blocks, words)  # words move between lines; blocks keep their boxes
    needs_ocr = force_ocr or _needs_ocr(page, raw_blocks)
    images = _images(page, number, extraction) if extraction and not needs_ocr else []
    if images and extraction:
        blocks = with_image_links(blocks, images, extraction)
    return PageContent(
        number=number, blocks=tuple(blocks), needs_ocr=needs_ocr, images=tuple(image for _, image in images),
        width=float(page.rect.width), height=float(page.rect.height), outline=tuple(outline),
    )


def _outline(document: pymupdf.Document) -> dict[int, list[OutlineEntry]]:
    """The outline's entries by the 1-based page they point at (entries without a page are left out)."""
    by_page: dict[int, list[OutlineEntry]] = {}
    try:
        toc = document.get_toc(simple=True)
    except Exception:  # a damaged outline is no reason to fail the document: it only confirms headings
        return by_page
    for level, title, page in toc:
        if page >= 1 and str(title).strip():
            by_page.setdefault(int(page), []).append(OutlineEntry(level=int(level), title=" ".join(title.split())))
    return by_page


def extract_pages(
    data: bytes, start: int, stop: int, force_ocr: bool = False, images: ImageExtraction | None = None
) -> list[PageContent]:
    """Blocks of pages `start` to `stop - 1` (0-based), numbered 1-based in the result.

    Pages without a usable text layer (every page, with `force_ocr`) are marked `needs_ocr`.
    With `images`, embedded images are extracted and linked from a block where they appear (a
    page that is one scanned image is OCR'd or left as it is, not extracted).
    """
    with open_pdf(data) as document:
        outline = _outline(document)
        try:
            return [
                _page_content(document[index], index + 1, force_ocr, images, outline.get(index + 1, ()))
                for index in range(start, min(stop, document.page_count))
            ]
        except Exception as exc:
            raise UnreadableDocument(f"a page of the PDF cannot be read: {exc}") from exc


def render_pages(
    data: bytes, numbers: Sequence[int], dpi: int, limits: RenderLimits = DEFAULT_RENDER_LIMITS
) -> list[np.ndarray]:
    """RGB images of the given 1-based pages at `dpi` (less for pages too large for `limits`), for OCR."""
    with open_pdf(data) as document:
        images = []
        for number in numbers:
            page = document[number - 1]
            scale = limits.scale(page.rect.width, page.rect.height, dpi)
            pixmap = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), colorspace=pymupdf.csRGB, alpha=False)
            array = np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(pixmap.height, pixmap.width, 3)
            images.append(array.copy())
        return images
