"""Office documents into the block model: DOCX, PPTX and XLSX.

DOCX: heading styles (Title, Heading N) become headings, list items become "- " lines of one list
block, tables become Markdown rows; one page (Word files carry no reliable page breaks).
PPTX: one page per slide; the title placeholder is the slide's heading; text frames, tables, and
the speaker notes (as a "Notes:" block) follow. XLSX: one page per sheet, titled by the sheet's
name; rows become Markdown table rows in blocks of a few rows, each repeating the header row, so a
segment cut between blocks still says what its columns are.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from segmentation.errors import UnreadableDocument
from segmentation.models import Block, Line, PageContent

ROWS_PER_BLOCK = 20
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


@contextmanager
def _reading(kind: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:  # the libraries raise many types for damaged files
        raise UnreadableDocument(f"the {kind} file cannot be read: {exc}") from exc


def _cell(text: Any) -> str:
    return " ".join(str(text if text is not None else "").split()).replace("|", "\\|")


def markdown_rows(rows: Sequence[Sequence[Any]]) -> list[str]:
    """Rows as Markdown table lines, the first one as the header."""
    if not rows:
        return []
    width = max(len(row) for row in rows)
    lines = ["| " + " | ".join(_cell(c) for c in list(row) + [""] * (width - len(row))) + " |" for row in rows]
    return [lines[0], "|" + " --- |" * width, *lines[1:]]


def _table_block(rows: Sequence[Sequence[Any]]) -> Block | None:
    lines = markdown_rows([row for row in rows if any(_cell(c) for c in row)])
    return Block(lines=tuple(Line(text=line) for line in lines)) if lines else None


# -- DOCX ----------------------------------------------------------------------------------------


def _docx_heading_level(style_name: str) -> int | None:
    if style_name.lower() == "title":
        return 1
    match = _HEADING_STYLE.match(style_name)
    return int(match.group(1)) + 1 if match else None


def _docx_blocks(document: Any) -> Iterable[Block]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    list_items: list[Line] = []
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "tbl":
            if list_items:
                yield Block(lines=tuple(list_items))
                list_items = []
            rows = [[cell.text for cell in row.cells] for row in Table(element, document).rows]
            table = _table_block(rows)
            if table:
                yield table
            continue
        if tag != "p":
            continue
        paragraph = Paragraph(element, document)
        text = " ".join(paragraph.text.split())
        style = paragraph.style.name if paragraph.style is not None else ""
        is_item = (element.pPr is not None and element.pPr.numPr is not None) or "list" in style.lower()
        if text and is_item:
            list_items.append(Line(text=f"- {text}"))
            continue
        if list_items:
            yield Block(lines=tuple(list_items))
            list_items = []
        if text:
            yield Block(lines=(Line(text=text),), heading_level=_docx_heading_level(style))
    if list_items:
        yield Block(lines=tuple(list_items))


def parse_docx(data: bytes) -> list[PageContent]:
    import docx

    with _reading("DOCX"):
        document = docx.Document(io.BytesIO(data))
        return [PageContent(number=1, blocks=tuple(_docx_blocks(document)))]


# -- PPTX ----------------------------------------------------------------------------------------


def _shape_blocks(shape: Any) -> Iterable[Block]:
    if getattr(shape, "has_table", False) and shape.has_table:
        table = _table_block([[cell.text for cell in row.cells] for row in shape.table.rows])
        if table:
            yield table
    elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        lines = tuple(Line(text=" ".join(p.text.split())) for p in shape.text_frame.paragraphs if p.text.strip())
        if lines:
            yield Block(lines=lines)
    elif hasattr(shape, "shapes"):  # a group
        for inner in shape.shapes:
            yield from _shape_blocks(inner)


def _slide_blocks(slide: Any) -> list[Block]:
    title_shape = slide.shapes.title
    blocks: list[Block] = []
    if title_shape is not None and title_shape.text.strip():
        blocks.append(Block(lines=(Line(text=" ".join(title_shape.text.split())),), heading_level=1))
    for shape in slide.shapes:
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        blocks.extend(_shape_blocks(shape))
    if slide.has_notes_slide:
        notes = " ".join(slide.notes_slide.notes_text_frame.text.split())
        if notes:
            blocks.append(Block(lines=(Line(text=f"Notes: {notes}"),)))
    return blocks


def parse_pptx(data: bytes) -> list[PageContent]:
    import pptx

    with _reading("PPTX"):
        presentation = pptx.Presentation(io.BytesIO(data))
        return [
            PageContent(number=number, blocks=tuple(_slide_blocks(slide)))
            for number, slide in enumerate(presentation.slides, start=1)
        ]


# -- XLSX ----------------------------------------------------------------------------------------


def _sheet_blocks(title: str, rows: list[list[Any]]) -> list[Block]:
    rows = [row for row in rows if any(_cell(c) for c in row)]
    blocks = [Block(lines=(Line(text=title),), heading_level=1)]
    if not rows:
        return blocks
    header, body = rows[0], rows[1:] or []
    chunks = [body[i : i + ROWS_PER_BLOCK] for i in range(0, len(body), ROWS_PER_BLOCK)] or [[]]
    for chunk in chunks:
        table = _table_block([header, *chunk])
        if table:
            blocks.append(table)
    return blocks


def parse_xlsx(data: bytes) -> list[PageContent]:
    import openpyxl

    with _reading("XLSX"):
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return [
                PageContent(
                    number=number,
                    blocks=tuple(_sheet_blocks(sheet.title, [list(r) for r in sheet.iter_rows(values_only=True)])),
                )
                for number, sheet in enumerate(workbook.worksheets, start=1)
            ]
        finally:
            workbook.close()
