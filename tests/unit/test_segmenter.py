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
    drafts = segment(blocks, maxsize=100)  # neither top-level section is tiny (under 10 characters)
    assert [(d.title, d.group, d.pagenr, d.body) for d in drafts] == [
        ("1 Introduction", "1 Introduction", 1, "1 Introduction\n\nShort intro."),
        ("2.1 Data", "2 Methods > 2.1 Data", 2, "2 Methods\n\n2.1 Data\n\nWe used data."),
    ]


def test_pagenr_is_the_page_where_the_segment_starts():
    blocks = paragraphs("one " * 30, page=1) + paragraphs("two " * 30, page=2)
    drafts = segment(blocks, maxsize=100)
    assert [d.pagenr for d in drafts] == [1, 2]


def test_same_input_same_segments():
    blocks = paragraphs(*(f"Paragraph {i}. " + "word " * i for i in range(60)))
    assert segment(blocks, 300) == segment(blocks, 300)


def section(title: str, *paragraphs_: str, parent: str | None = None, page: int = 1) -> list[StructuredBlock]:
    path = (parent, title) if parent else (title,)
    placed = Section(title=title, path=path)
    return [StructuredBlock(Block((Line(title),)), page, placed, is_heading=True)] + [
        StructuredBlock(Block((Line(text),)), page, placed) for text in paragraphs_
    ]


def test_small_subsections_merge_up_to_maxsize_but_top_level_sections_stay_apart():
    sentence = "A sentence of ordinary length for a section body."  # 41 non-space characters
    blocks = (
        section("1 Scope", sentence * 2)
        + section("1.1 Terms", sentence, parent="1 Scope")  # small: joins 1 Scope
        + section("1.2 Symbols", sentence, parent="1 Scope")  # small: joins too, all fits in 400
        + section("2 Rules", sentence)  # top level and not tiny: a new segment
    )
    drafts = segment(blocks, maxsize=400)
    assert [d.title for d in drafts] == ["1 Scope", "2 Rules"]
    assert "1.1 Terms" in drafts[0].body and "1.2 Symbols" in drafts[0].body


def test_tiny_top_level_sections_merge_with_each_other():
    blocks = section("Preface", "Short.") + section("Contents", "Brief.") + section("1 Body", "word " * 200)
    drafts = segment(blocks, maxsize=1000)  # tiny: under 100 characters
    assert drafts[0].title == "Preface" and "Contents" in drafts[0].body
    assert drafts[1].title == "1 Body"


def test_a_subsection_that_does_not_fit_starts_its_own_segment():
    long = "This paragraph is long enough to fill most of a segment on its own. " * 4
    blocks = section("1 Scope", long) + section("1.1 Terms", long, parent="1 Scope")
    drafts = segment(blocks, maxsize=400)
    assert [d.title for d in drafts] == ["1 Scope", "1.1 Terms"]


def test_a_list_that_fits_is_moved_whole_into_the_next_segment():
    intro = "Intro paragraph that takes a good part of the segment on its own here."
    items = [f"- item number {i} of the list" for i in range(6)]  # 6 x 21 characters
    blocks = [*paragraphs(intro), StructuredBlock(Block(tuple(Line(t) for t in items)), 1, None)]
    drafts = segment(blocks, maxsize=150)
    assert [d.body for d in drafts] == [intro, "\n".join(items)]


def test_list_items_in_separate_blocks_stay_together_too():
    intro = "Intro paragraph that takes a good part of the segment on its own here."
    items = [f"{i}. item number {i} of the list" for i in range(1, 6)]
    drafts = segment(paragraphs(intro, *items), maxsize=150)
    assert drafts[0].body == intro
    assert drafts[1].body == "\n\n".join(items)


def table_block(rows: int) -> tuple[Block, str]:
    header = "| Name | Value |\n| --- | --- |"
    lines = header.split("\n") + [f"| row{i} | {i * 7} |" for i in range(rows)]
    return Block(tuple(Line(t) for t in lines)), header


def test_a_table_that_fits_stays_whole():
    table, _ = table_block(5)
    intro = paragraphs("Before the table there is a paragraph of some length here.")
    drafts = segment([*intro, StructuredBlock(table, 1, None)], maxsize=100)  # together they do not fit
    assert len(drafts) == 2
    assert drafts[-1].body == "\n".join(line.text for line in table.lines)


def test_a_long_table_is_cut_between_rows_and_repeats_its_header():
    table, header = table_block(40)
    drafts = segment([StructuredBlock(table, 1, None)], maxsize=120)
    assert len(drafts) > 3
    for draft in drafts:
        assert nonspace(draft.body) <= 120
        assert draft.body.startswith(header)
        assert all(line.startswith("| ") and line.endswith(" |") for line in draft.body.split("\n"))
    rows = [line for d in drafts for line in d.body.split("\n")[2:]]
    assert rows == [line.text for line in table.lines[2:]]


cell = st.text(alphabet="abcxyz019 .", min_size=1, max_size=12).map(str.strip).filter(bool)


@settings(max_examples=200, deadline=None)
@given(
    header=st.lists(cell, min_size=1, max_size=4),
    rows=st.lists(st.lists(cell, min_size=1, max_size=4), min_size=1, max_size=30),
    maxsize=st.integers(min_value=1, max_value=300),
)
def test_tables_any_size_keep_the_cap_and_every_row(header, rows, maxsize):
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    drafts = segment([StructuredBlock(Block(tuple(Line(t) for t in lines)), 1, None)], maxsize)
    assert all(nonspace(d.body) <= maxsize for d in drafts)
    repeated = "\n".join(lines[:2]) + "\n"
    bodies = [d.body[len(repeated):] if i and d.body.startswith(repeated) else d.body for i, d in enumerate(drafts)]
    # Characters, not words: at tiny maxsizes a word longer than maxsize is cut, as anywhere.
    assert "".join("".join(body.split()) for body in bodies) == "".join("".join(line.split()) for line in lines)
