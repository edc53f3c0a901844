"""Tags from the packaged sentence-embedding model, on corpus documents."""

from __future__ import annotations

from collections import Counter

from segmentation import DocType, ParseOptions, segment_document
from segmentation.tags import tag_texts
from tests.conftest import corpus_file

TOPICS = ("compilers", "cooking", "geography", "law", "mathematics")


def test_a_paper_on_compilers_is_tagged_compilers():
    options = ParseOptions(maxsize=1500, usetags=TOPICS, maxtags=2)
    drafts = segment_document(corpus_file("pdfjs_tracemonkey.pdf").read_bytes(), DocType.PDF, options)
    first = Counter(d.tags[0] for d in drafts if d.tags)
    assert first.most_common(1)[0][0] == "compilers"
    assert first["compilers"] >= 0.8 * len(drafts)
    assert all(len(d.tags) <= 2 for d in drafts)


def test_best_first_threshold_and_limits():
    texts = ["Preheat the oven and whisk the eggs with sugar before baking the cake."]
    assert tag_texts(texts, ["cooking", "compilers"], maxtags=2) == [["cooking"]]
    assert tag_texts(texts, ["cooking", "baking recipes"], maxtags=1)[0][0] in {"cooking", "baking recipes"}
    assert tag_texts(texts, ["cooking"], maxtags=0) == [[]]
    assert tag_texts(texts, [], maxtags=3) == [[]]


def test_no_usetags_no_tags():
    drafts = segment_document(b"Plain words about nothing in particular.", DocType.TXT, ParseOptions(maxsize=100))
    assert all(d.tags == () for d in drafts)


def test_segments_in_languages_the_model_cannot_read_get_no_tags():
    options = ParseOptions(maxsize=1500, usetags=TOPICS, maxtags=2)
    drafts = segment_document(corpus_file("fek_decision_6.txt").read_bytes(), DocType.TXT, options)
    assert {d.lang for d in drafts} == {"el"}
    assert all(d.tags == () for d in drafts)
