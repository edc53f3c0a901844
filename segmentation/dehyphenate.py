"""Join words that typesetting hyphenated at the end of a line ("segmen-" + "tation").

A line ending in a letter and a hyphen (or a soft hyphen), followed by a line that starts with a
lower-case letter, is a word broken in two; the hyphen is dropped and the halves joined. A capital
or a digit after the break ("Jean-" / "Paul", "COVID-" / "19") keeps the hyphen: those are compounds.
Only lines of one block are joined; a word broken across a column or a page stays as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from segmentation.models import Block, PageContent

_BROKEN_END = re.compile(r"(?<=[^\W\d_])(?:-|\u00ad)$")
_SOFT_HYPHEN = "\u00ad"


def join_hyphenated(lines: Sequence[str]) -> tuple[list[str], int]:
    """The lines with words broken at line ends joined onto the earlier line, and how many were joined."""
    joined = [line.rstrip() for line in lines]
    count = 0
    for index in range(len(joined) - 1):
        head, tail = joined[index], joined[index + 1].lstrip()
        if not _BROKEN_END.search(head) or not tail[:1].islower():
            continue
        first, _, rest = tail.partition(" ")
        joined[index] = head[:-1] + first
        joined[index + 1] = rest
        count += 1
    return [line.replace(_SOFT_HYPHEN, "") for line in joined], count


def _may_change(texts: Sequence[str]) -> bool:
    """Whether `join_hyphenated` could change these lines (a hyphen or space at a line's end, a soft
    hyphen anywhere): a cheap test that most blocks fail."""
    return any(text[-1:] in ("-", _SOFT_HYPHEN) or text[-1:].isspace() or _SOFT_HYPHEN in text for text in texts)


def _dehyphenated(block: Block) -> Block:
    texts = [line.text for line in block.lines]
    if not _may_change(texts):
        return block
    texts, _ = join_hyphenated(texts)
    if texts == [line.text for line in block.lines]:
        return block
    # The joined word went to the earlier line, so a line is only emptied when it was one word.
    return replace(block, lines=tuple(
        line if line.text == text else replace(line, text=text)
        for line, text in zip(block.lines, texts, strict=True)
        if text.strip()
    ))


def dehyphenate(pages: Sequence[PageContent]) -> list[PageContent]:
    """Every block of every page with its line-end hyphenation undone."""
    cleaned = []
    for page in pages:
        blocks = tuple(_dehyphenated(block) for block in page.blocks)
        changed = any(new is not old for new, old in zip(blocks, page.blocks, strict=True))
        cleaned.append(replace(page, blocks=blocks) if changed else page)
    return cleaned
