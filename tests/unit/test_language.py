"""Segment languages from the offline detector, on corpus documents in seven scripts and languages."""

from __future__ import annotations

from collections import Counter

import pytest

from segmentation import DocType, ParseOptions, segment_document
from segmentation.language import detect_language
from tests.conftest import corpus_file


@pytest.mark.parametrize(
    ("name", "doctype", "expected"),
    [
        ("fek_decision_6.txt", DocType.TXT, "el"),
        ("fek_1_Pres_Decree.pdf", DocType.PDF, "el"),
        ("pdfjs_tracemonkey.pdf", DocType.PDF, "en"),
        ("pypdf_GeoTopo-komprimiert.pdf", DocType.PDF, "de"),
        ("pymupdf_chinese-tables.pdf", DocType.PDF, "zh"),
        ("pdfminer_jo.pdf", DocType.PDF, "ja"),
    ],
)
def test_segments_carry_their_documents_language(name, doctype, expected):
    drafts = segment_document(corpus_file(name).read_bytes(), doctype, ParseOptions(maxsize=1500))
    languages = Counter(d.lang for d in drafts if d.lang)
    assert languages.most_common(1)[0][0] == expected, languages


def test_short_and_other_texts():
    assert detect_language("Ceci est un document en français sur la géométrie et la topologie.") == "fr"
    assert detect_language("هذا نص باللغة العربية للاختبار، وهو طويل بما يكفي للكشف") == "ar"
    assert detect_language("12 34 56") is None
    assert detect_language("![image](/documents/x/images/p1-x2)") is None
