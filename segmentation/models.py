"""Frozen records shared by every parser and the segmenter: the block model and segment drafts."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import IntEnum, StrEnum
from typing import Any, TypeVar

_Record = TypeVar("_Record")


def pickled_as_constructor_call(cls: type[_Record]) -> type[_Record]:
    """Pickle instances as `cls(*fields)`.

    Pages travel between Ray tasks by the thousand lines; a frozen slots dataclass pickles through
    its generic __getstate__/__setstate__, which takes about 1.7 times as long both ways.
    """
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]

    def __reduce__(self: Any) -> tuple[type[_Record], tuple[Any, ...]]:
        return cls, tuple(getattr(self, name) for name in names)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    return cls


class DocType(StrEnum):
    """Document types docseg knows by name (the API's `doctype` values plus images)."""

    PDF = "pdf"
    DOCX = "docx"
    PPTX = "pptx"
    XLSX = "xlsx"
    TXT = "txt"
    HTML = "html"
    MD = "md"
    PNG = "png"
    JPEG = "jpeg"
    TIFF = "tiff"

    @property
    def mimetype(self) -> str:
        return _MIMETYPES[self]


_MIMETYPES = {
    DocType.PDF: "application/pdf",
    DocType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    DocType.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    DocType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DocType.TXT: "text/plain",
    DocType.HTML: "text/html",
    DocType.MD: "text/markdown",
    DocType.PNG: "image/png",
    DocType.JPEG: "image/jpeg",
    DocType.TIFF: "image/tiff",
}


class PdfBackend(StrEnum):
    """Libraries that can turn a PDF into the block model."""

    PYMUPDF = "pymupdf"
    PYPDFIUM2 = "pypdfium2"


class OcrBackend(StrEnum):
    """OCR engines a job may ask for."""

    EASYOCR = "easyocr"
    TESSERACT = "tesseract"


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """Everything about a document's processing that a client chooses."""

    maxsize: int = 5000
    pdf_parsing_backend: PdfBackend = PdfBackend.PYMUPDF
    enable_ocr: bool = False
    force_full_page_ocr: bool = False
    ocr_backend: OcrBackend | None = None
    process_images: bool = False
    usetags: tuple[str, ...] = ()
    maxtags: int = 1


@dataclass(frozen=True, slots=True)
class RenderLimits:
    """Bounds on what rendering a page for OCR may cost."""

    max_pixels: int = 40_000_000  # a larger page is rendered at a lower resolution to fit

    def scale(self, width_points: float, height_points: float, dpi: int) -> float:
        """Pixels per point for a page: `dpi`, or less where that would exceed `max_pixels`."""
        wanted = dpi / 72
        area = max(width_points * height_points, 1.0) * wanted * wanted
        return wanted if area <= self.max_pixels else wanted * (self.max_pixels / area) ** 0.5


DEFAULT_RENDER_LIMITS = RenderLimits()


@dataclass(frozen=True, slots=True)
class ImageExtraction:
    """How `process_images` extracts embedded images and links them from the text."""

    link_prefix: str = "images/"  # the link of image X is link_prefix + X
    min_pixels: int = 10_000  # smaller images (icons, rules, bullets) are left out


@pickled_as_constructor_call
@dataclass(frozen=True, slots=True)
class Line:
    """One line of text as the parser saw it; `size` is 0 when the format has no font sizes."""

    text: str
    size: float = 0.0
    bold: bool = False


@pickled_as_constructor_call
@dataclass(frozen=True, slots=True)
class Block:
    """A run of lines the parser grouped together (a PDF text block, a paragraph).

    `heading_level` is set when the format itself marks the block as a heading (Markdown `#`);
    for PDFs headings are inferred later from font statistics.
    """

    lines: tuple[Line, ...]
    heading_level: int | None = None
    image_id: str | None = None  # the block shows this embedded image (its link, then any OCR'd text)
    # (left, top, right, bottom) in points from the page's top left, where the format has positions.
    bbox: tuple[float, float, float, float] | None = None

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)


@pickled_as_constructor_call
@dataclass(frozen=True, slots=True)
class PageContent:
    """The blocks of one page in reading order; `number` is 1-based.

    `needs_ocr` marks a page without a usable text layer (no text, mostly unmapped glyphs, or
    essentially one image); its blocks are replaced when OCR runs. `images` are the embedded
    images extracted with `process_images`.
    """

    number: int
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    needs_ocr: bool = False
    images: tuple[PageImage, ...] = field(default_factory=tuple)
    width: float = 0.0  # in points; 0 where the format has no page geometry
    height: float = 0.0
    outline: tuple[OutlineEntry, ...] = ()  # the document outline's entries that point at this page


@pickled_as_constructor_call
@dataclass(frozen=True, slots=True)
class OutlineEntry:
    """A bookmark of the PDF's outline (table of contents): a heading's title and level (1 = top)."""

    level: int
    title: str


@dataclass(frozen=True, slots=True)
class PageImage:
    """An embedded image, as stored bytes; `id` is unique within the document."""

    id: str
    page: int
    data: bytes
    content_type: str
    width: int
    height: int


class BreakStrength(IntEnum):
    """How good a place the gap after a word is for ending a segment."""

    WORD = 0
    SENTENCE = 1
    PARAGRAPH = 2


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the path of headings that enclose it."""

    title: str
    path: tuple[str, ...]
    in_outline: bool = False  # the heading is an entry of the document's outline

    @property
    def group(self) -> str:
        return " > ".join(self.path)


@dataclass(frozen=True, slots=True)
class StructuredBlock:
    """A block placed in the document: its page, its section, and whether it is that section's heading."""

    block: Block
    page: int
    section: Section | None
    is_heading: bool = False


@dataclass(frozen=True, slots=True)
class SegmentDraft:
    """A finished segment before it is given ids and timestamps by the job store."""

    ordinal: int
    body: str
    pagenr: int
    title: str | None
    group: str | None
    lang: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProcessedDocument:
    """Everything a document's processing produced."""

    segments: list[SegmentDraft]
    pages_without_text: int  # pages with no usable text layer that were not OCR'd
    images: list[PageImage]  # embedded images extracted with process_images
    removed_words: int = 0  # words of running headers, footers and page numbers left out
