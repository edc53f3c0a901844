"""PDF into the block model with PyMuPDF (MuPDF): text blocks and lines with font size and weight.

The words docseg segments are exactly the words of `Page.get_text()`, in the same order. MuPDF's
structured output ("dict") usually holds the same characters as its plain text, but not always:
on figure-heavy pages it can drop or merge a few glyphs. Each page's words are therefore checked
against the plain text of the same text page, and on the rare page where they differ, the plain
text's words are aligned onto the structured lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from difflib import SequenceMatcher
from typing import Any

import pymupdf

from segmentation.errors import EncryptedDocument, UnreadableDocument
from segmentation.models import Block, Line, PageContent

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
            raise EncryptedDocument("the PDF is encrypted and needs a password")
        if document.page_count == 0:
            raise UnreadableDocument("the PDF has no pages")
        yield document
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
            rebuilt.append(Block(lines=lines))
    return rebuilt


def _page_blocks(page: pymupdf.Page) -> tuple[Block, ...]:
    textpage = page.get_textpage(flags=_TEXT_FLAGS)
    blocks: list[Block] = []
    for raw in textpage.extractDICT()["blocks"]:
        if raw.get("type", 0) != 0:
            continue
        lines = tuple(line for line in map(_line, raw["lines"]) if line is not None)
        if lines:
            blocks.append(Block(lines=lines))
    words = textpage.extractText().split()
    if words != [w for block in blocks for line in block.lines for w in line.text.split()]:
        blocks = _reconcile(blocks, words)
    return tuple(blocks)


def extract_pages(data: bytes, start: int, stop: int) -> list[PageContent]:
    """Blocks of pages `start` to `stop - 1` (0-based), numbered 1-based in the result."""
    with open_pdf(data) as document:
        try:
            return [
                PageContent(number=index + 1, blocks=_page_blocks(document[index]))
                for index in range(start, min(stop, document.page_count))
            ]
        except Exception as exc:
            raise UnreadableDocument(f"a page of the PDF cannot be read: {exc}") from exc
