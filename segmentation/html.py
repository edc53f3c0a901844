"""HTML into the block model: h1-h6 headings, paragraphs, lists and tables in document order.

Scripts, styles, navigation, headers, footers, asides and forms are dropped. The encoding is taken
from a byte-order mark, the document's declaration, or detection (UTF-16 included).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag, UnicodeDammit

from segmentation.models import Block, Line, PageContent
from segmentation.office import markdown_rows

_DROPPED = {"script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "button",
            "svg", "iframe", "head", "select"}
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_BLOCKS = {"p", "li", "pre", "blockquote", "dt", "dd", "figcaption", "caption", "address", "summary"}
_CONTAINERS = {"div", "section", "article", "main", "body", "html", "ul", "ol", "dl", "details", "figure",
               "fieldset", "center", "td", "th"}


def _text(node: Tag) -> str:
    return " ".join(node.get_text(" ").split())


def _has_block_children(node: Tag) -> bool:
    names = _BLOCKS | _CONTAINERS | set(_HEADINGS) | {"table"}
    return any(isinstance(child, Tag) and child.name in names for child in node.descendants)


def _paragraph(loose: list[str]) -> Iterable[Block]:
    """Loose text gathered so far as one paragraph; the list is emptied."""
    text = " ".join(" ".join(loose).split())
    loose.clear()
    if text:
        yield Block(lines=(Line(text=text),))


def _is_inline(tag: Tag) -> bool:
    structural = tag.name in _HEADINGS or tag.name == "table" or tag.name in _BLOCKS or tag.name in _CONTAINERS
    return not structural and not _has_block_children(tag)  # <font><table> is not inline


def _blocks(node: Tag) -> Iterable[Block]:
    loose: list[str] = []  # text directly inside a container, between its block children
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not a comment, doctype or CDATA
                loose.append(str(child))
        elif isinstance(child, Tag) and child.name not in _DROPPED:
            if _is_inline(child):
                loose.append(child.get_text(" "))
            else:
                yield from _paragraph(loose)
                yield from _element_blocks(child)
    yield from _paragraph(loose)


def _element_blocks(element: Tag) -> Iterable[Block]:
    if element.name in _HEADINGS:
        text = _text(element)
        if text:
            yield Block(lines=(Line(text=text),), heading_level=_HEADINGS[element.name])
    elif element.name == "table":
        yield from _table(element)
    elif element.name in _BLOCKS and not _has_block_children(element):
        text = _text(element)
        if text:
            yield Block(lines=(Line(text=f"- {text}" if element.name == "li" else text),))
    else:
        yield from _blocks(element)


def _table(table: Tag) -> Iterable[Block]:
    rows: list[list[Any]] = []
    for row in table.find_all("tr"):
        if row.find_parent("table") is table:
            rows.append([_text(cell) for cell in row.find_all(["td", "th"]) if cell.find_parent("tr") is row])
    lines = markdown_rows([row for row in rows if any(row)])
    if lines:
        yield Block(lines=tuple(Line(text=line) for line in lines))


def decode_html(data: bytes) -> str:
    dammit = UnicodeDammit(data, is_html=True)
    if dammit.unicode_markup is None:
        return data.decode("utf-8", "replace")
    return str(dammit.unicode_markup)


def parse_html(data: bytes) -> list[PageContent]:
    soup = BeautifulSoup(decode_html(data), "html.parser")
    root = soup.body or soup
    return [PageContent(number=1, blocks=tuple(_blocks(root)))]
