"""The segmenter's contract: the size cap and no loss, for any text and any maxsize."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation.document import segment_pages
from segmentation.models import Block, Line, PageContent, ParseOptions, Section, StructuredBlock
from segmentation.segmenter import segment


def nonspace(text: str) -> int:
    return sum(not ch.isspace() for ch in text)


def paragraphs(*texts: str, page: int = 1) -> list[StructuredBlock]:
    return [
        StructuredBlock(block=Block(lines=(Line(text=t),)), page=page, section=None) for t in texts
    ]


word = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1, max_size=40,
).filter(lambda w: w.split() == [w])
lines = st.lists(st.lists(word, min_size=0, max_size=30).map(" ".join), min_size=1, max_size=6)
pages = st.lists(st.lists(lines, min_size=0, max_size=8), min_size=1, max_size=4)


def as_pages(raw: list[list[list[str]]]) -> list[PageContent]:
    return [
        PageContent(
            number=number,
            blocks=tuple(
                Block(lines=tuple(Line(text=t, size=size) for t in block), heading_level=None)
                for size, block in zip([10.0, 14.0, 10.0] * 10, blocks, strict=False)
            ),
        )
        for number, blocks in enumerate(raw, start=1)
    ]


@settings(max_examples=300, deadline=None)
@given(raw=pages, maxsize=st.integers(min_value=1, max_value=600))
def test_every_segment_fits_and_nothing_is_lost_or_doubled(raw, maxsize):
    document = as_pages(raw)
    drafts = segment_pages(document, ParseOptions(maxsize=maxsize))
    source = "".join(
        "".join(line.text.split()) for page in document for block in page.blocks for line in block.lines
    )
    assert all(nonspace(d.body) <= maxsize for d in drafts)
    assert all(d.body.strip() for d in drafts)
    assert "".join("".join(d.body.split()) for d in drafts) == source
    assert [d.ordinal for d in drafts] == list(range(len(drafts)))


@settings(max_examples=200, deadline=None)
@given(raw=pages, maxsize=st.integers(min_value=100, max_value=5000))
def test_words_are_kept_whole_when_they_fit(raw, maxsize):
    document = as_pages(raw)
    words = [w for page in document for block in page.blocks for line in block.lines for w in line.text.split()]
    drafts = segment_pages(document, ParseOptions(maxsize=maxsize))
    assert [w for d in drafts for w in d.body.split()] == words


def test_cuts_at_paragraph_end_rather_than_mid_paragraph():
    first = " ".join(["alpha"] * 12) + "."  # 61 non-space characters
    second = " ".join(["beta"] * 12) + "."  # 49
    drafts = segment(paragraphs(first, second), maxsize=100)
    assert [d.body for d in drafts] == [first, second]


def test_cuts_at_sentence_end_inside_a_long_paragraph():
    sentence_a = "The first sentence is here and it is not short at all."
    sentence_b = "A second sentence follows it with several more words."
    sentence_c = "Then a third one closes the paragraph for good."
    drafts = segment(paragraphs(" ".join([sentence_a, sentence_b, sentence_c])), maxsize=100)
    assert drafts[0].body == f"{sentence_a} {sentence_b}"
    assert drafts[1].body == sentence_c


def test_a_word_longer_than_maxsize_is_the_only_thing_cut():
    url = "https://example.org/" + "x" * 250
    drafts = segment(paragraphs(f"see {url} now"), maxsize=100)
    assert all(nonspace(d.body) <= 100 for d in drafts)
    assert "".join("".join(d.body.split()) for d in drafts) == f"see{url}now"


def test_headings_start_segments_and_name_them():
    intro = Section(title="1 Introduction", path=("1 Introduction",))
    methods = Section(title="2 Methods", path=("2 Methods",))
    data = Section(title="2.1 Data", path=("2 Methods", "2.1 Data"))
    blocks = [
        StructuredBlock(Block((Line("1 Introduction"),)), 1, intro, is_heading=True),
        StructuredBlock(Block((Line("Short intro."),)), 1, intro),
        StructuredBlock(Block((Line("2 Methods"),)), 2, methods, is_heading=True),
        StructuredBlock(Block((Line("2.1 Data"),)), 2, data, is_heading=True),
        StructuredBlock(Block((Line("We used data."),)), 3, data),
    ]
    drafts = segment(blocks, maxsize=1000)
    assert [(d.title, d.group, d.pagenr, d.body) for d in drafts] == [
        ("1 Introduction", "1 Introduction", 1, "1 Introduction\n\nShort intro."),
        ("2 Methods", "2 Methods", 2, "2 Methods\n\n2.1 Data\n\nWe used data."),
    ]


def test_pagenr_is_the_page_where_the_segment_starts():
    blocks = paragraphs("one " * 30, page=1) + paragraphs("two " * 30, page=2)
    drafts = segment(blocks, maxsize=100)
    assert [d.pagenr for d in drafts] == [1, 2]


def test_same_input_same_segments():
    blocks = paragraphs(*(f"Paragraph {i}. " + "word " * i for i in range(60)))
    assert segment(blocks, 300) == segment(blocks, 300)
