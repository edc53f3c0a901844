"""Plain text and Markdown into the block model.

Text is decoded from its byte-order mark, else UTF-8, else the most likely legacy encoding. A form
feed starts a new page; a blank line ends a paragraph. In Markdown, ATX headings (`# Title`) become
heading blocks; lines inside fenced code blocks are never headings.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from segmentation.errors import UnreadableDocument
from segmentation.models import Block, Line, PageContent

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+\s*)?$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def decode_text(data: bytes) -> str:
    """Decode text bytes, trusting a byte-order mark, then UTF-8, then detection."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        if best is None:
            raise UnreadableDocument("the text is in no encoding docseg can recognise") from None
        return str(best)


def _paragraph_blocks(lines: list[str]) -> list[Block]:
    blocks: list[Block] = []
    current: list[Line] = []
    for raw in [*lines, ""]:
        if raw.strip():
            current.append(Line(text=raw.strip()))
        elif current:
            blocks.append(Block(lines=tuple(current)))
            current = []
    return blocks


def parse_text(data: bytes) -> list[PageContent]:
    """Plain text: pages split at form feeds, paragraphs at blank lines."""
    pages = decode_text(data).split("\f")
    return [
        PageContent(number=number, blocks=tuple(_paragraph_blocks(page.splitlines())))
        for number, page in enumerate(pages, start=1)
    ]


def parse_markdown(data: bytes) -> list[PageContent]:
    """Markdown: headings from `#` lines, paragraphs at blank lines, fences kept whole."""
    blocks: list[Block] = []
    pending: list[str] = []
    in_fence = False
    for raw in decode_text(data).splitlines():
        if _FENCE.match(raw):
            in_fence = not in_fence
        heading = None if in_fence else _ATX_HEADING.match(raw)
        if heading and heading.group(2).strip():
            blocks.extend(_paragraph_blocks(pending))
            pending = []
            title = heading.group(2).strip()
            blocks.append(Block(lines=(Line(text=title),), heading_level=len(heading.group(1))))
        else:
            pending.append(raw)
    blocks.extend(_paragraph_blocks(pending))
    return [PageContent(number=1, blocks=tuple(blocks))]
