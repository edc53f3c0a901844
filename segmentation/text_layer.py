"""When a PDF page's text layer is not usable, whichever library read it.

A page needs OCR when it has no text, when its text is mostly unmapped glyphs (U+FFFD, private
use, control characters), or when it is essentially one image: one image covers most of it and
little visible text is set on it (a scan, perhaps with an invisible OCR layer of doubtful quality).
"""

from __future__ import annotations

from collections.abc import Callable

IMAGE_PAGE_COVERAGE = 0.85
IMAGE_PAGE_MAX_VISIBLE_CHARS = 200
MAX_GARBAGE_RATIO = 0.5


def is_garbage(char: str) -> bool:
    code = ord(char)
    return char == "\ufffd" or 0xE000 <= code <= 0xF8FF or (code < 32 and not char.isspace())


def needs_ocr(text: str, visible_chars: int, image_coverage: Callable[[], float]) -> bool:
    """Whether a page whose text layer holds `text` (`visible_chars` of it visible) needs OCR.

    `image_coverage` (the largest share of the page one image covers) is only asked for when the
    text alone does not decide, since it costs a look at the page's images.
    """
    chars = [c for c in text if not c.isspace()]
    if not chars or sum(map(is_garbage, chars)) > MAX_GARBAGE_RATIO * len(chars):
        return True
    return visible_chars < IMAGE_PAGE_MAX_VISIBLE_CHARS and image_coverage() >= IMAGE_PAGE_COVERAGE
