"""Segment quality over the corpus: docseg beside two splitters users pick today, in the same run.

Methods, for maxsize 500, 1500 and 5000:
- docseg: the service's own parsing, clean-up and segmentation (the code the page tasks run);
- langchain: PyMuPDF's plain text cut by LangChain's RecursiveCharacterTextSplitter at
  chunk_size = maxsize characters, no overlap;
- pymupdf4llm: pymupdf4llm's Markdown (its defaults, OCR off), split on its headings by LangChain's
  MarkdownHeaderTextSplitter, then by size as above; a chunk's title is its deepest heading.
The baselines read PDFs only; docseg's figures for the other formats follow in their own table.

Figures, per method and maxsize:
- recall and precision of the segments' words against the parser's own text (PyMuPDF's
  `get_text()` words; for docseg less the running headers, footers and page numbers it removed,
  whose word count is printed beside). Words are compared as multisets after the same
  normalisation for every method: NFKC, Markdown and HTML markup stripped, line-end hyphens joined;
- size: share within maxsize non-whitespace characters, median fill (size / maxsize), crumbs
  (segments under 10% of maxsize);
- clean ends: share of segments that end at a sentence end, at the end of a block of the parser
  (a paragraph, a heading, a table row) or at the end of the document;
- headings: over the PDFs with an outline, the share of outline entries that open a segment:
  its title is the entry's, or one of its first three paragraphs or lines is (a chapter heading
  followed at once by a section heading opens the segment with both).
Tags: accuracy on a labelled set made from the corpus (each document's topic is its label), through
the pipeline and as a threshold sweep that calibrates the default.
Language: per language, the share of segments whose `lang` is the document's language.

    python -m benchmarks.quality [--maxsize 500 1500 5000] [--plot benchmarks/plots/quality.png]
                                 [--documents FILE ...]

Needs the `bench` extra (pip install -e .[bench]).
"""

from __future__ import annotations

import argparse
import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from benchmarks.corpus import CORPUS, text_pdfs
from benchmarks.figures import pyplot, save
from segmentation import DocType, ParseOptions, count_pages, extract_pages, sniff
from segmentation.dehyphenate import join_hyphenated
from segmentation.document import assemble
from segmentation.models import PageContent
from segmentation.page_furniture import remove_furniture
from segmentation.reading_order import reading_order
from segmentation.structure import _folded
from segmentation.tags import DEFAULT_THRESHOLD, TAGGED_LANGUAGES, similarities

OTHER_FORMATS = [
    "docling_word_sample.docx", "pptx_tbl-cell.pptx", "pymupdf_test_open2.html", "fek_decision_6.txt",
]
# The topic of each document that has one; the labels are the tags offered to every segment.
TOPICS = {
    "pdfjs_tracemonkey.pdf": "computer science",
    "pypdf_GeoTopo-komprimiert.pdf": "mathematics",
    "fek_1_Pres_Decree.pdf": "law and government",
    "fek_decision_6.txt": "law and government",
    "plumber_nics-background-checks-2015-11.pdf": "crime statistics",
    "docling_word_sample.docx": "nature and animals",
    "pymupdf_chinese-tables.pdf": "finance",
    "pdfminer_jo.pdf": "literature",
}
LANGUAGES = {
    "pdfjs_tracemonkey.pdf": "en", "docling_word_sample.docx": "en",
    "plumber_nics-background-checks-2015-11.pdf": "en",
    "pypdf_GeoTopo-komprimiert.pdf": "de", "pymupdf_test_open2.html": "de",
    "fek_1_Pres_Decree.pdf": "el", "fek_decision_6.txt": "el",
    "pypdf_habibi.pdf": "ar", "pymupdf_chinese-tables.pdf": "zh", "pdfminer_jo.pdf": "ja",
}
_MARKUP = re.compile(r"</?[a-z]+[^>]*>|[*_`#|>\[\]]")
_SENTENCE_END = re.compile(r"[.!?;:\u0387\u037e\u3002\uff01\uff1f\u061f\u06d4][\"'\u201d\u2019)\]\u00bb]*$")


@dataclass
class Chunk:
    body: str
    title: str | None = None


@dataclass
class Figures:
    """What one method produced on a set of documents at one maxsize."""

    sizes: list[int] = field(default_factory=list)
    clean_ends: int = 0
    matched: int = 0
    produced: int = 0
    reference: int = 0
    removed: int = 0
    outline_entries: int = 0
    outline_found: int = 0


def tokens(text: str) -> list[str]:
    """Words after the normalisation every method gets: NFKC, markup stripped, line-end hyphens joined."""
    lines, _ = join_hyphenated(unicodedata.normalize("NFKC", text).split("\n"))
    words = (_MARKUP.sub("", word) for line in lines for word in line.split())
    return [w for w in words if w.strip("-:")]


def nonspace(text: str) -> int:
    return sum(not ch.isspace() for ch in text)


def pdf_pages(data: bytes) -> list[PageContent]:
    options = ParseOptions()
    return extract_pages(data, DocType.PDF, options, 0, count_pages(data, DocType.PDF, options))


def block_words(pages: Sequence[PageContent]) -> list[str]:
    return [w for page in pages for block in page.blocks for line in block.lines for w in line.text.split()]


# -- methods --------------------------------------------------------------------------------------


def docseg(path: Path, maxsize: int) -> tuple[list[Chunk], Counter[str]]:
    """docseg's segments and the words its clean-up removed."""
    data = path.read_bytes()
    doctype = sniff(data, path.name)
    assert doctype is not None
    options = ParseOptions(maxsize=maxsize)
    pages = extract_pages(data, doctype, options, 0, count_pages(data, doctype, options))
    result = assemble(pages, options)
    kept, _ = remove_furniture(reading_order(pages))
    removed = Counter(tokens(" ".join(block_words(pages)))) - Counter(tokens(" ".join(block_words(kept))))
    return [Chunk(d.body, d.title) for d in result.segments], removed


def plain_text(path: Path) -> str:
    with pymupdf.open(path) as document:
        return "".join(page.get_text() for page in document)


def langchain(path: Path, maxsize: int) -> list[Chunk]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=maxsize, chunk_overlap=0)
    return [Chunk(text) for text in splitter.split_text(plain_text(path))]


def pymupdf4llm_chunks(path: Path, maxsize: int) -> list[Chunk]:
    import pymupdf4llm
    from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

    markdown = pymupdf4llm.to_markdown(str(path), use_ocr=False, show_progress=False)
    headers = [("#" * level, f"h{level}") for level in range(1, 7)]
    sections = MarkdownHeaderTextSplitter(headers_to_split_on=headers, strip_headers=False).split_text(markdown)
    splitter = RecursiveCharacterTextSplitter(chunk_size=maxsize, chunk_overlap=0)
    chunks = []
    for section in sections:
        levels = sorted(section.metadata)
        title = section.metadata[levels[-1]] if levels else None
        chunks += [Chunk(text, title) for text in splitter.split_text(section.page_content)]
    return chunks


# -- measures -------------------------------------------------------------------------------------


def block_end_keys(pages: Sequence[PageContent]) -> set[tuple[str, ...]]:
    """The last three words before each block end of the parser's blocks, normalised."""
    keys = set()
    for page in pages:
        for block in page.blocks:
            words = tokens(block.text)
            if words:
                keys.add(tuple(words[-3:]))
                keys.add(tuple(words[-1:]))  # a segment of one or two words
    return keys


def ends_cleanly(chunk: Chunk, ends: set[tuple[str, ...]], last: bool) -> bool:
    words = tokens(chunk.body)
    if not words or last or _SENTENCE_END.search(words[-1]) or chunk.body.rstrip().endswith("|"):
        return True
    return tuple(words[-3:]) in ends or (len(words) < 3 and tuple(words[-1:]) in ends)


def opens_with(chunk: Chunk, title: str) -> bool:
    """Whether the chunk is titled so, or opens with it: among its first three paragraphs or lines."""
    body = chunk.body.strip()
    openings = [chunk.title or "", *body.split("\n\n")[:3], *body.split("\n")[:3]]
    return _folded(title) in {_folded(text) for text in openings}


def measure(
    figures: Figures, chunks: list[Chunk], reference: Counter[str], removed: Counter[str],
    pages: Sequence[PageContent], maxsize: int,
) -> None:
    produced = Counter(w for chunk in chunks for w in tokens(chunk.body))
    expected = reference - removed
    figures.matched += sum((produced & expected).values())
    figures.produced += sum(produced.values())
    figures.reference += sum(expected.values())
    figures.removed += sum(removed.values())
    figures.sizes += [nonspace(chunk.body) for chunk in chunks]
    ends = block_end_keys(pages)
    figures.clean_ends += sum(ends_cleanly(c, ends, i == len(chunks) - 1) for i, c in enumerate(chunks))
    entries = [e.title for page in pages for e in page.outline if _folded(e.title)]
    present = [t for t in entries if set(tokens(t)) <= set(reference)]  # entries typeset as text
    figures.outline_entries += len(present)
    figures.outline_found += sum(any(opens_with(c, t) for c in chunks) for t in present)


def row(name: str, figures: Figures, maxsize: int) -> str:
    sizes = figures.sizes or [0]
    within = sum(s <= maxsize for s in sizes) / len(sizes)
    fill = statistics.median(s / maxsize for s in sizes)
    crumbs = sum(s < 0.1 * maxsize for s in sizes) / len(sizes)
    recall = figures.matched / max(figures.reference, 1)
    precision = figures.matched / max(figures.produced, 1)
    clean = figures.clean_ends / len(sizes)
    headings = f"{figures.outline_found / figures.outline_entries:.3f}" if figures.outline_entries else "-"
    return (
        f"{name:12} {len(figures.sizes):6} {recall:7.3f} {precision:9.3f} {figures.removed:8} {within:7.1%} "
        f"{fill:6.2f} {crumbs:7.1%} {clean:7.1%} {headings:>8}"
    )


HEADER = (
    f"{'method':12} {'segs':>6} {'recall':>7} {'precision':>9} {'removed':>8} {'in cap':>7} "
    f"{'fill':>6} {'crumbs':>7} {'clean':>7} {'headings':>8}"
)
Method = Callable[[Path, int], list[Chunk]]


def compare_on_pdfs(documents: Sequence[Path], maxsizes: Sequence[int]) -> dict[tuple[str, int], Figures]:
    methods: dict[str, Method] = {"langchain": langchain, "pymupdf4llm": pymupdf4llm_chunks}
    results: dict[tuple[str, int], Figures] = defaultdict(Figures)
    parsed = {path: pdf_pages(path.read_bytes()) for path in documents}
    references = {path: Counter(tokens(plain_text(path))) for path in documents}
    for maxsize in maxsizes:
        for path in documents:
            chunks, removed = docseg(path, maxsize)
            measure(results["docseg", maxsize], chunks, references[path], removed, parsed[path], maxsize)
            for name, method in methods.items():
                measure(results[name, maxsize], method(path, maxsize), references[path], Counter(),
                        parsed[path], maxsize)
        print(f"\nPDFs ({len(documents)} documents), maxsize {maxsize}")
        print(HEADER)
        for name in ("docseg", *methods):
            print(row(name, results[name, maxsize], maxsize))
    return results


def other_formats(documents: Sequence[Path], maxsizes: Sequence[int]) -> None:
    print(f"\ndocseg on the other formats ({', '.join(path.name for path in documents)})")
    print(HEADER)
    for maxsize in maxsizes:
        figures = Figures()
        for path in documents:
            data = path.read_bytes()
            doctype = sniff(data, path.name)
            assert doctype is not None
            pages = extract_pages(data, doctype, ParseOptions(), 0, count_pages(data, doctype, ParseOptions()))
            chunks, removed = docseg(path, maxsize)
            measure(figures, chunks, Counter(tokens(" ".join(block_words(pages)))), removed, pages, maxsize)
        print(row(f"max {maxsize}", figures, maxsize))


def tags_and_languages(maxsize: int = 1500) -> None:
    labels = sorted(set(TOPICS.values()))
    texts, truth, documents, applied = [], [], [], []
    languages: dict[str, list[bool]] = defaultdict(list)
    for name in sorted(set(TOPICS) | set(LANGUAGES)):
        data = (CORPUS / name).read_bytes()
        doctype = sniff(data, name)
        assert doctype is not None
        options = ParseOptions(maxsize=maxsize, usetags=tuple(labels), maxtags=1)
        pages = extract_pages(data, doctype, options, 0, count_pages(data, doctype, options))
        segments = assemble(pages, options).segments
        if name in LANGUAGES:
            languages[LANGUAGES[name]] += [s.lang == LANGUAGES[name] for s in segments]
        if name in TOPICS:
            texts += [s.body for s in segments if s.lang is None or s.lang in TAGGED_LANGUAGES]
            truth += [TOPICS[name]] * (len(texts) - len(truth))
            documents += [name] * (len(texts) - len(documents))
            applied += [(s.tags[0] if s.tags else None, TOPICS[name], s.lang) for s in segments]

    print(f"\nlanguage of segments (maxsize {maxsize}): share tagged with the document's language")
    for code, hits in sorted(languages.items()):
        print(f"  {code}: {sum(hits) / len(hits):6.1%} of {len(hits)} segments")

    print(f"\ntags through the pipeline (maxtags 1, threshold {DEFAULT_THRESHOLD}): {len(applied)} labelled segments, "
          f"tags offered: {', '.join(labels)}")
    for group, rows in (("tagged languages", [a for a in applied if a[2] is None or a[2] in TAGGED_LANGUAGES]),
                        ("other languages", [a for a in applied if a[2] is not None and a[2] not in TAGGED_LANGUAGES])):
        tagged = [(tag, topic) for tag, topic, _ in rows if tag]
        right = sum(tag == topic for tag, topic in tagged)
        print(f"  {group:16}: {len(rows):4} segments, {len(tagged) / max(len(rows), 1):6.1%} tagged, "
              f"right when tagged {right / max(len(tagged), 1):6.1%}")

    scores = similarities(texts, labels)
    best = [labels[int(row.argmax())] for row in scores]
    top = [float(row.max()) for row in scores]
    wrong = [float(v) for row, t in zip(scores, truth, strict=True) for j, v in enumerate(row) if labels[j] != t]
    hits = sum(b == t for b, t in zip(best, truth, strict=True))
    print(f"  calibration over the {len(texts)} segments in tagged languages: "
          f"top tag right for {hits / len(texts):.1%}")
    print(f"  {'threshold':>9} {'tagged':>7} {'right when tagged':>18} {'F1':>6} {'wrong pairs over':>17}")
    for threshold in sorted({0.0, 0.05, DEFAULT_THRESHOLD, 0.15, 0.2, 0.25}):
        tagged = [(b, t) for b, t, s in zip(best, truth, top, strict=True) if s >= threshold]
        precision = sum(b == t for b, t in tagged) / len(tagged) if tagged else 0.0
        recall = sum(b == t for b, t in tagged) / len(texts)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        over = sum(v >= threshold for v in wrong) / len(wrong)
        mark = "  (default)" if threshold == DEFAULT_THRESHOLD else ""
        print(f"  {threshold:9.2f} {len(tagged) / len(texts):7.1%} {precision:18.1%} {f1:6.3f} {over:17.1%}{mark}")
    print("  per document, share of its segments whose top tag is its topic:")
    for name in sorted(set(documents)):
        rows = [b == t for b, t, d in zip(best, truth, documents, strict=True) if d == name]
        print(f"    {name:44} {sum(rows) / len(rows):6.1%} of {len(rows)}")


def plot(results: dict[tuple[str, int], Figures], maxsizes: Sequence[int], path: Path) -> None:
    plt = pyplot()
    names = ["docseg", "langchain", "pymupdf4llm"]
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    width = 0.25
    for offset, name in enumerate(names):
        xs = [i + (offset - 1) * width for i in range(len(maxsizes))]
        clean = [results[name, m].clean_ends / max(len(results[name, m].sizes), 1) for m in maxsizes]
        fills = [statistics.median(s / m for s in results[name, m].sizes) for m in maxsizes]
        axes[0].bar(xs, clean, width, label=name)
        axes[1].bar(xs, fills, width, label=name)
    for axis, label in zip(axes, ["segments ending cleanly", "median fill (size / maxsize)"], strict=True):
        axis.set_xticks(range(len(maxsizes)), [f"maxsize {m}" for m in maxsizes])
        axis.set_ylim(0, 1)
        axis.set_title(label)
    figure.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=len(names))
    figure.suptitle("Segment quality on the corpus PDFs")
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    save(figure, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--maxsize", type=int, nargs="+", default=[500, 1500, 5000])
    parser.add_argument("--plot", type=Path, default=Path("benchmarks/plots/quality.png"))
    parser.add_argument("--documents", type=Path, nargs="+",
                        help="measure these files instead of the corpus (the labelled tag and language set is skipped)")
    args = parser.parse_args()
    documents = args.documents or [path for path, _ in text_pdfs()] + [CORPUS / name for name in OTHER_FORMATS]
    pdfs = [path for path in documents if path.suffix.lower() == ".pdf"]
    results = compare_on_pdfs(pdfs, args.maxsize)
    other_formats([path for path in documents if path not in pdfs], args.maxsize)
    if not args.documents:
        tags_and_languages()
    plot(results, args.maxsize, args.plot)


if __name__ == "__main__":
    main()
