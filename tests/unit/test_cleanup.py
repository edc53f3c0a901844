"""Clean-up before segmentation, on real documents: page furniture, hyphenation, columns, outlines."""

from __future__ import annotations

import pytest

from segmentation import DocType, ParseOptions, PdfBackend, count_pages, extract_pages
from segmentation.dehyphenate import join_hyphenated
from segmentation.document import assemble
from segmentation.models import Block, Line, PageContent, ProcessedDocument
from segmentation.reading_order import in_reading_order
from segmentation.structure import _folded
from tests.conftest import corpus_file

OPTIONS = ParseOptions(maxsize=1500)


def processed(name: str, options: ParseOptions = OPTIONS) -> tuple[list[PageContent], ProcessedDocument]:
    data = corpus_file(name).read_bytes()
    pages = extract_pages(data, DocType.PDF, options, 0, count_pages(data, DocType.PDF, options))
    return pages, assemble(pages, options)


def text_of(result: ProcessedDocument) -> str:
    return "\n".join(d.body for d in result.segments)


def test_running_header_with_changing_page_number_is_removed_from_every_page():
    pages, result = processed("fek_1_Pres_Decree.pdf")
    raw = "\n".join(b.text for p in pages for b in p.blocks)
    assert raw.count("Τεύχος Α’ 31/23.02.2018") >= 90  # in the margin of nearly every page
    assert "Τεύχος Α’ 31/23.02.2018" not in text_of(result)
    assert result.removed_words >= 90 * 6


def test_chapter_running_headers_are_found_by_their_page_numbers():
    pages, result = processed("pypdf_GeoTopo-komprimiert.pdf")
    # "101 Lösungen der Übungsaufgaben": the printed page number is the PDF page less 3.
    assert any(b.text.startswith("101 Lösungen der Übungsaufgaben") for p in pages for b in p.blocks)
    body = text_of(result)
    assert "101 Lösungen der Übungsaufgaben" not in body and "8 1.2. METRISCHE RÄUME" not in body
    assert "Lösungen der Übungsaufgaben" in body  # the chapter's own heading stays


def test_lone_page_numbers_go_and_content_that_repeats_alone_on_its_page_stays():
    _, columns = processed("pypdf_multicolumn.pdf")
    assert columns.removed_words == 3  # "1", "2", "3" under the columns
    _, mixed = processed("paperless_multi-page-mixed.pdf")
    assert mixed.removed_words == 0
    assert "This is a multi page document. Page 5." in text_of(mixed)


def test_words_hyphenated_at_line_ends_are_joined():
    _, result = processed("pdfjs_tracemonkey.pdf")
    body = text_of(result)
    assert "Google Docs and Zimbra Collaboration\nSuite" in body
    assert "Col- laboration" not in body and "Col-\nlaboration" not in body


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["a segmen-", "tation step"], ["a segmentation", "step"]),
        (["Jean-", "Paul left"], ["Jean-", "Paul left"]),  # a capital: a compound name
        (["COVID-", "19 cases"], ["COVID-", "19 cases"]),
        (["in 1999-", "and"], ["in 1999-", "and"]),  # not a letter before the hyphen
        (["soft\u00ad", "ware here"], ["software", "here"]),
        (["one-", "word"], ["oneword", ""]),
    ],
)
def test_join_hyphenated(lines, expected):
    assert join_hyphenated(lines)[0] == expected


def block(text: str, left: float, top: float, right: float, bottom: float) -> Block:
    return Block(lines=(Line(text=text),), bbox=(left, top, right, bottom))


def test_two_columns_drawn_row_by_row_are_read_column_by_column():
    para = "Running text of a column, long enough to be a paragraph of the article itself. " * 2
    left = [block(f"L{i} {para}", 50, 100 + 150 * i, 290, 230 + 150 * i) for i in range(3)]
    right = [block(f"R{i} {para}", 310, 100 + 150 * i, 550, 230 + 150 * i) for i in range(3)]
    title = block("A title across both columns", 50, 40, 550, 70)
    interleaved = [title] + [b for pair in zip(left, right, strict=True) for b in pair]
    page = PageContent(number=1, blocks=tuple(interleaved), width=600, height=800)
    assert [b.text[:2] for b in in_reading_order(page).blocks] == ["A ", "L0", "L1", "L2", "R0", "R1", "R2"]


def test_short_cells_side_by_side_keep_the_parsers_order():
    cells = [block(t, x, 100 + 20 * (i // 2), x + 150, 115 + 20 * (i // 2))
             for i, (t, x) in enumerate([("Name", 50), ("Ada", 320), ("Born", 50), ("1815", 320)] * 2)]
    page = PageContent(number=1, blocks=tuple(cells), width=600, height=800)
    assert in_reading_order(page) is page


@pytest.mark.parametrize("backend", list(PdfBackend))
def test_outline_entries_start_segments_under_their_own_titles(backend):
    options = ParseOptions(maxsize=1500, pdf_parsing_backend=backend)
    pages, result = processed("pypdf_GeoTopo-komprimiert.pdf", options)
    entries = [(page.number, entry) for page in pages for entry in page.outline]
    assert len(entries) == 35

    def starts_a_segment(number: int, title: str) -> bool:
        return any(
            d.pagenr == number and _folded(title) in [_folded(t) for t in (d.group or "").split(" > ")]
            for d in result.segments
        )

    found = sum(starts_a_segment(number, entry.title) for number, entry in entries)
    assert found >= 33  # the index ("Stichwortverzeichnis") is typeset without a matching heading
