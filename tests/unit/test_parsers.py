"""Parsers against real documents from the shared corpus."""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import replace

import pymupdf
import pytest

from segmentation import (
    DocType,
    DoctypeMismatch,
    EncryptedDocument,
    ParseOptions,
    PdfBackend,
    UnreadableDocument,
    UnsupportedDocument,
    count_pages,
    extract_pages,
    resolve_doctype,
    segment_document,
    sniff,
)
from segmentation.dehyphenate import dehyphenate
from segmentation.document import clean_pages, segment_pages
from segmentation.models import Block, Line
from segmentation.page_furniture import remove_furniture
from segmentation.pdf_pymupdf import _reconcile
from segmentation.reading_order import reading_order
from segmentation.structure import structure
from tests.conftest import corpus_file

PDF = ParseOptions()

TEXT_PDFS = [
    "pdfjs_tracemonkey.pdf",  # two-column paper
    "pypdf_multicolumn.pdf",
    "fek_1_Pres_Decree.pdf",  # Greek, 100 pages
    "plumber_nics-background-checks-2015-11.pdf",  # large table
    "pymupdf_chinese-tables.pdf",
    "pdfminer_jo.pdf",
    "pypdf_habibi.pdf",
    "pypdf_GeoTopo-komprimiert.pdf",  # 117 pages; figures where MuPDF's dict and text output differ
]


def pymupdf_words(path) -> list[str]:
    with pymupdf.open(path) as document:
        return [w for page in document for w in page.get_text().split()]


def words(pages) -> list[str]:
    return [w for page in pages for block in page.blocks for line in block.lines for w in line.text.split()]


def assert_nothing_lost(data: bytes, options: ParseOptions, parser_words: list[str]) -> None:
    """Parser, clean-up and segmenter each lose nothing but what they say they take out."""
    pages = extract_pages(data, DocType.PDF, options, 0, count_pages(data, DocType.PDF, options))
    assert words(pages) == parser_words
    ordered, removed = remove_furniture(reading_order(pages))
    assert sum((Counter(words(pages)) - Counter(words(ordered))).values()) == removed
    assert not Counter(words(ordered)) - Counter(words(pages))
    joined = dehyphenate(ordered)
    without_hyphens = [re.sub("[-\u00ad]", "", "".join(words(p))) for p in (ordered, joined)]
    assert without_hyphens[0] == without_hyphens[1]
    assert clean_pages(pages) == (joined, removed)
    for maxsize in (100, 1500):
        drafts = segment_pages(joined, replace(options, maxsize=maxsize))
        assert [w for d in drafts for w in d.body.split()] == words(joined)
        assert all(sum(not c.isspace() for c in d.body) <= maxsize for d in drafts)


@pytest.mark.parametrize("name", TEXT_PDFS)
def test_segments_hold_exactly_pymupdfs_words(name):
    path = corpus_file(name)
    assert_nothing_lost(path.read_bytes(), PDF, pymupdf_words(path))


def test_reconcile_aligns_the_plain_texts_words_onto_lines():
    blocks = [
        Block(lines=(Line("Intro", 14.0, True),)),
        Block(lines=(Line("one two three", 10.0), Line("four X five", 10.0))),
    ]
    words = "Intro one two extra three four five six".split()
    fixed = _reconcile(blocks, words)
    assert [[line.text for line in b.lines] for b in fixed] == [["Intro"], ["one two extra three", "four five six"]]
    assert fixed[0].lines[0].size == 14.0 and fixed[0].lines[0].bold
    assert _reconcile([], ["lonely"]) == [Block(lines=(Line("lonely"),))]


def test_page_ranges_join_to_the_whole_document():
    data = corpus_file("pdfjs_tracemonkey.pdf").read_bytes()
    total = count_pages(data, DocType.PDF, PDF)
    assert total == 14
    whole = extract_pages(data, DocType.PDF, PDF, 0, total)
    parts = [p for start in range(0, total, 4) for p in extract_pages(data, DocType.PDF, PDF, start, start + 4)]
    assert parts == whole
    assert [p.number for p in whole] == list(range(1, 15))


def test_headings_come_from_font_size():
    data = corpus_file("pdfjs_tracemonkey.pdf").read_bytes()
    pages = extract_pages(data, DocType.PDF, PDF, 0, 14)
    headings = [b.block.text for b in structure(pages) if b.is_heading]
    assert any("Introduction" in h for h in headings)
    assert any("Conclusions" in h for h in headings)


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("pdfminer_aes-256.pdf", EncryptedDocument),
        ("pypdf_libreoffice-writer-password.pdf", EncryptedDocument),
        ("ocrmypdf_invalid.pdf", UnreadableDocument),
        ("pdfjs_poppler-85140-0.pdf", UnreadableDocument),
        ("fek_6_Pres_Decree_truncated55.pdf", UnreadableDocument),
    ],
)
def test_broken_and_encrypted_pdfs_raise_clear_errors(name, error):
    with pytest.raises(error) as info:
        count_pages(corpus_file(name).read_bytes(), DocType.PDF, PDF)
    assert "PDF" in str(info.value)


def test_encrypted_message_says_encrypted():
    with pytest.raises(EncryptedDocument, match="encrypted"):
        count_pages(corpus_file("pdfminer_aes-256.pdf").read_bytes(), DocType.PDF, PDF)


def test_repairable_pdf_is_read():
    drafts = segment_document(
        corpus_file("pdfminer_zen_of_python_corrupted.pdf").read_bytes(), DocType.PDF, PDF
    )
    assert "Beautiful is better than ugly" in " ".join(d.body for d in drafts)


def test_greek_text_file():
    data = corpus_file("fek_decision_6.txt").read_bytes()
    assert sniff(data, "6.txt") == DocType.TXT
    drafts = segment_document(data, DocType.TXT, ParseOptions(maxsize=500))
    assert [w for d in drafts for w in d.body.split()] == data.decode("utf-8").split()
    assert all(sum(not c.isspace() for c in d.body) <= 500 for d in drafts)


def test_text_in_legacy_and_utf16_encodings():
    text = "Καλημέρα κόσμε. Ένα δεύτερο κείμενο εδώ.\n\nΝέα παράγραφος."
    for data in (codecs.BOM_UTF16_LE + text.encode("utf-16-le"), text.encode("cp1253")):
        drafts = segment_document(data, DocType.TXT, ParseOptions(maxsize=100))
        assert " ".join(d.body for d in drafts).split() == text.split()


def test_markdown_headings_become_titles():
    data = b"# Guide\n\nIntro text.\n\n## Install\n\nRun it.\n\n```\n# not a heading\n```\n"
    drafts = segment_document(data, DocType.MD, ParseOptions(maxsize=30))  # too small to merge the sections
    assert [(d.title, d.group) for d in drafts][:2] == [("Guide", "Guide"), ("Install", "Guide > Install")]
    assert "# not a heading" in drafts[-1].body


def test_form_feed_starts_a_new_page():
    drafts = segment_document(b"first page text\fsecond page text", DocType.TXT, ParseOptions(maxsize=100))
    assert drafts[0].pagenr == 1
    assert segment_document(b"\f\fthird", DocType.TXT, ParseOptions(maxsize=100))[0].pagenr == 3


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pdfjs_tracemonkey.pdf", DocType.PDF),
        ("docling_word_sample.docx", DocType.DOCX),
        ("pptx_tbl-cell.pptx", DocType.PPTX),
        ("pymupdf_test_open2.html", DocType.HTML),
        ("tess_phototest.tif", DocType.TIFF),
        ("ajax_bsb10234118_0027.png", DocType.PNG),
        ("fek_decision_6.txt", DocType.TXT),
    ],
)
def test_sniff_tells_types_from_bytes(name, expected):
    assert sniff(corpus_file(name).read_bytes(), "renamed.bin") == expected
    # The same from the file (how an upload spooled to disk is read), which is left at its start.
    with corpus_file(name).open("rb") as file:
        file.seek(100)
        assert sniff(file, "renamed.bin") == expected
        assert file.tell() == 0


def test_declared_doctype_must_match_content():
    data = corpus_file("pdfjs_tracemonkey.pdf").read_bytes()
    assert resolve_doctype(data, DocType.PDF) == DocType.PDF
    with pytest.raises(DoctypeMismatch, match="pdf"):
        resolve_doctype(data, DocType.DOCX)
    assert resolve_doctype(b"# Title\n", DocType.MD) == DocType.MD
    with pytest.raises(UnsupportedDocument):
        resolve_doctype(bytes(range(256)) * 4, None)


PDFIUM = ParseOptions(pdf_parsing_backend=PdfBackend.PYPDFIUM2)


def pdfium_words(path) -> list[str]:
    import pypdfium2

    document = pypdfium2.PdfDocument(path.read_bytes())
    try:
        return [w for page in document for w in page.get_textpage().get_text_range().split()]
    finally:
        document.close()


@pytest.mark.parametrize("name", TEXT_PDFS)
def test_pypdfium2_segments_hold_exactly_pdfiums_words(name):
    path = corpus_file(name)
    assert_nothing_lost(path.read_bytes(), PDFIUM, pdfium_words(path))


@pytest.mark.parametrize("options", [PDF, PDFIUM], ids=["pymupdf", "pypdfium2"])
def test_both_backends_find_headings_and_mark_scanned_pages(options):
    data = corpus_file("pdfjs_tracemonkey.pdf").read_bytes()
    headings = [b.block.text for b in structure(extract_pages(data, DocType.PDF, options, 0, 14)) if b.is_heading]
    assert any("Introduction" in h for h in headings) and any("Conclusions" in h for h in headings)
    mixed = corpus_file("paperless_multi-page-mixed.pdf").read_bytes()
    assert [p.needs_ocr for p in extract_pages(mixed, DocType.PDF, options, 0, 6)] == [True] * 3 + [False] * 3
    forced = ParseOptions(force_full_page_ocr=True, pdf_parsing_backend=options.pdf_parsing_backend)
    assert all(p.needs_ocr for p in extract_pages(mixed, DocType.PDF, forced, 0, 6))


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("pdfminer_aes-256.pdf", EncryptedDocument),
        ("pypdf_libreoffice-writer-password.pdf", EncryptedDocument),
        ("ocrmypdf_invalid.pdf", UnreadableDocument),
        ("fek_6_Pres_Decree_truncated55.pdf", UnreadableDocument),
    ],
)
def test_pypdfium2_broken_and_encrypted_pdfs_raise_clear_errors(name, error):
    with pytest.raises(error, match="PDF"):
        count_pages(corpus_file(name).read_bytes(), DocType.PDF, PDFIUM)


@pytest.mark.parametrize("backend", list(PdfBackend))
def test_both_backends_extract_embedded_images_and_link_them_in_place(backend):
    import io

    from PIL import Image

    data = corpus_file("pypdf_pdflatex-image.pdf").read_bytes()
    options = ParseOptions(process_images=True, pdf_parsing_backend=backend)
    [page] = extract_pages(data, DocType.PDF, options, 0, 1)
    [image] = page.images
    with Image.open(io.BytesIO(image.data)) as opened:
        assert image.content_type == f"image/{opened.format.lower()}"
        assert opened.size == (image.width, image.height)
    links = [i for i, b in enumerate(page.blocks) if b.image_id == image.id]
    assert len(links) == 1 and 0 < links[0] < len(page.blocks)  # among the text, not before or after it all
    assert page.blocks[links[0]].text == f"![image](images/{image.id})"
    assert not extract_pages(data, DocType.PDF, replace(options, process_images=False), 0, 1)[0].images


@pytest.mark.parametrize(
    ("name", "password"), [("pypdf_libreoffice-writer-password.pdf", "openpassword"), ("pdfminer_aes-256.pdf", "baz")]
)
def test_the_password_opens_an_encrypted_pdf_for_both_backends(name, password):
    from segmentation.document import unlock

    data = corpus_file(name).read_bytes()
    with pytest.raises(EncryptedDocument, match="does not open"):
        unlock(data, DocType.PDF, "wrong")
    opened = unlock(data, DocType.PDF, password)
    for backend in PdfBackend:
        drafts = segment_document(opened, DocType.PDF, ParseOptions(pdf_parsing_backend=backend))
        assert drafts and all(d.body.strip() for d in drafts)
    plain = corpus_file("pypdf_multicolumn.pdf").read_bytes()
    assert unlock(plain, DocType.PDF, "anything") == plain
