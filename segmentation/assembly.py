"""A document's segments from its prepared pages (`document.prepare_pages`), one range at a time.

Furniture and structure need the whole document's statistics (the text repeated at page edges, the
body font size, the heading sizes, each section's size before its first word is packed), so a long
document's ranges are read in passes that keep only what they learn, never all the pages:
1. the text that recurs at page edges (furniture);
2. the pages without furniture: their fonts and heading shapes, the pages OCR missed, the images;
3. the blocks placed in sections: each section's size;
4. the blocks placed again and cut into segments, handed out in batches with languages and tags.
A document of up to `hold_pages` pages is read once and its cleaned pages held between passes: it
fits in memory, and making them again would only cost time.

The result comes as parts (`ProcessedDocument`s whose fields add up), so the caller can store the
segments batch by batch instead of holding them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import islice

from segmentation.language import detect_language
from segmentation.models import PageContent, ParseOptions, ProcessedDocument, SegmentDraft, StructuredBlock
from segmentation.page_furniture import FurnitureStats
from segmentation.segmenter import SectionSizes, segment_stream
from segmentation.structure import HeadingStats
from segmentation.tags import DEFAULT_THRESHOLD, TAGGED_LANGUAGES, tag_texts

# Each call gives the document's page ranges again, in page order (from memory, or fetched anew).
PageRanges = Callable[[], Iterable[Sequence[PageContent]]]

HOLD_PAGES = 256
SEGMENTS_PER_PART = 256


def with_tags(
    drafts: list[SegmentDraft], options: ParseOptions, threshold: float = DEFAULT_THRESHOLD
) -> list[SegmentDraft]:
    """The segments tagged with the client's `usetags`, in one batch.

    Only segments in a language the model reads are tagged (see `tags.TAGGED_LANGUAGES`).
    """
    taggable = [i for i, d in enumerate(drafts) if d.lang is None or d.lang in TAGGED_LANGUAGES]
    if not options.usetags or options.maxtags <= 0 or not taggable:
        return drafts
    chosen = tag_texts([drafts[i].body for i in taggable], options.usetags, options.maxtags, threshold)
    tagged = list(drafts)
    for index, tags in zip(taggable, chosen, strict=True):
        tagged[index] = replace(drafts[index], tags=tuple(tags))
    return tagged


class _Passes:
    """The document's ranges, cleaned and placed, as often as the passes ask for them."""

    def __init__(self, ranges: PageRanges, hold_pages: int) -> None:
        self.ranges = ranges
        furniture, pages = FurnitureStats(), 0
        held: list[Sequence[PageContent]] | None = []
        for page_range in ranges():
            furniture.add(page_range)
            pages += len(page_range)
            if held is not None and pages <= hold_pages:
                held.append(page_range)
            else:
                held = None
        self.rule = furniture.rule()
        # Too long to hold (None): the ranges are read again for each pass.
        self.held = [self.rule.clean_pages(page_range) for page_range in held] if held is not None else None
        self.headings = HeadingStats()

    def cleaned(self) -> Iterable[tuple[list[PageContent], int]]:
        if self.held is not None:
            return self.held
        return (self.rule.clean_pages(page_range) for page_range in self.ranges())

    def placed(self) -> Iterator[StructuredBlock]:
        """Every block in its section, in document order (needs the headings pass first)."""
        structurer = self.headings.structurer()
        for pages, _ in self.cleaned():
            yield from structurer.place(pages)


def assemble_parts(
    ranges: PageRanges,
    options: ParseOptions,
    tag_threshold: float = DEFAULT_THRESHOLD,
    hold_pages: int = HOLD_PAGES,
) -> Iterator[ProcessedDocument]:
    """The document's result in parts: first its images and counts, then its segments in batches."""
    passes = _Passes(ranges, hold_pages)
    removed_words = pages_without_text = 0
    for pages, removed in passes.cleaned():
        passes.headings.add(pages)
        removed_words += removed
        pages_without_text += sum(1 for page in pages if page.needs_ocr)
        images = [image for page in pages for image in page.images]
        if images:
            yield ProcessedDocument(segments=[], pages_without_text=0, images=images)
    yield ProcessedDocument(
        segments=[], pages_without_text=pages_without_text, images=[], removed_words=removed_words
    )
    sizes = SectionSizes()
    sizes.add(passes.placed())
    segments = segment_stream(passes.placed(), options.maxsize, sizes)
    while batch := list(islice(segments, SEGMENTS_PER_PART)):
        drafts = [replace(draft, lang=detect_language(draft.body)) for draft in batch]
        yield ProcessedDocument(segments=with_tags(drafts, options, tag_threshold), pages_without_text=0, images=[])


def joined(parts: Iterable[ProcessedDocument]) -> ProcessedDocument:
    """The parts of one document's result as one."""
    whole = ProcessedDocument(segments=[], pages_without_text=0, images=[])
    for part in parts:
        whole.segments.extend(part.segments)
        whole.images.extend(part.images)
        whole = replace(
            whole,
            pages_without_text=whole.pages_without_text + part.pages_without_text,
            removed_words=whole.removed_words + part.removed_words,
        )
    return whole
