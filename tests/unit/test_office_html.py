"""DOCX, PPTX, XLSX and HTML into the same block model, on corpus files (and a workbook derived in the test)."""

from __future__ import annotations

import io

import openpyxl

from segmentation import DocType, ParseOptions, count_pages, extract_pages, segment_document, sniff
from tests.conftest import corpus_file

OPTIONS = ParseOptions(maxsize=400)


def test_docx_headings_lists_and_tables():
    data = corpus_file("docling_word_sample.docx").read_bytes()
    small = segment_document(data, DocType.DOCX, ParseOptions(maxsize=100))
    assert {"Swimming in the lake", "Let’s swim!", "Let’s eat"} <= {d.title for d in small}
    drafts = segment_document(data, DocType.DOCX, OPTIONS)
    # At 400 the short "Let’s swim!" section joins its parent's segment rather than standing alone.
    assert [d.title for d in drafts if d.title] == ["Swimming in the lake", "Let’s eat"]
    assert "\n\nLet’s swim!\n\n" in drafts[1].body
    eat = next(d for d in drafts if d.title == "Let’s eat")
    assert eat.group == "Swimming in the lake > Let’s swim! > Let’s eat" or eat.group.endswith("Let’s eat")
    body = "\n".join(d.body for d in drafts)
    assert "- Paddle about\n- Enjoy summer warmth" in body
    assert "| Leaves | Ash, Elm, Maple | 50 |" in body
    assert all(sum(not c.isspace() for c in d.body) <= 400 for d in drafts)


def test_pptx_one_page_per_slide_with_tables():
    data = corpus_file("pptx_tbl-cell.pptx").read_bytes()
    pages = extract_pages(data, DocType.PPTX, OPTIONS, 0, count_pages(data, DocType.PPTX, OPTIONS))
    assert [p.number for p in pages] == [1, 2, 3]
    drafts = segment_document(data, DocType.PPTX, ParseOptions(maxsize=100))
    assert drafts[0].pagenr == 1 and drafts[-1].pagenr == 3
    assert "| a | b | c |" in "\n".join(d.body for d in drafts)


def test_xlsx_one_page_per_sheet_with_the_header_repeated(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Checks"
    # Rows taken from the corpus's NICS table PDF, to have real figures in a real layout.
    sheet.append(["state", "permit", "handgun", "long gun"])
    for index in range(45):
        sheet.append([f"State {index}", index * 10, index * 7, index * 3])
    workbook.create_sheet("Notes").append(["Source: FBI NICS, November 2015"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    assert sniff(data, "x.bin") == DocType.XLSX
    drafts = segment_document(data, DocType.XLSX, ParseOptions(maxsize=1000))
    assert {d.pagenr for d in drafts} == {1, 2}
    tables = [d for d in drafts if "| State" in d.body]
    assert len(tables) >= 2  # 45 rows do not fit one segment: every part starts with the header
    assert all(d.body.split("\n\n")[-1].startswith("| state | permit | handgun | long gun |") for d in tables)
    assert drafts[0].title == "Checks" and drafts[-1].title == "Notes"
    # Small segments are cut at row ends, never inside a row.
    for draft in segment_document(data, DocType.XLSX, ParseOptions(maxsize=150)):
        rows = [line for line in draft.body.splitlines() if line.startswith("|")]
        assert all(row.endswith("|") for row in rows), draft.body


def test_html_in_utf16_with_chrome_dropped():
    data = corpus_file("pymupdf_test_open2.html").read_bytes()
    assert data[:2] == b"\xff\xfe"
    drafts = segment_document(data, DocType.HTML, OPTIONS)
    body = "\n".join(d.body for d in drafts)
    assert "| Our World in Data | Giordano-Bruno-Stiftung |" in body
    assert "startpage" not in body.lower()  # the search form is chrome, not content


def test_html_structure():
    page = (
        "<html><head><title>t</title><script>track()</script><style>p{}</style></head><body>"
        "<nav><a href='/'>Home</a></nav><h1>Guide</h1><p>Intro <b>text</b>.</p>"
        "<h2>Steps</h2><ol><li>First</li><li>Second</li></ol><footer>© site</footer></body></html>"
    ).encode()
    drafts = segment_document(page, DocType.HTML, ParseOptions(maxsize=20))  # too small to merge the sections
    assert [(d.title, d.group) for d in drafts] == [("Guide", "Guide"), ("Steps", "Guide > Steps")]
    body = "\n".join(d.body for d in drafts)
    assert "Intro text ." in body or "Intro text." in body
    assert "- First" in body and "track" not in body and "Home" not in body and "site" not in body
