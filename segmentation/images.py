"""Image documents (PNG, JPEG, TIFF): one page per frame, every page to be OCR'd."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from PIL import Image, ImageSequence, UnidentifiedImageError

from segmentation.errors import UnreadableDocument
from segmentation.models import DEFAULT_RENDER_LIMITS, PageContent, RenderLimits
from segmentation.ocr import to_rgb_array


@contextmanager
def open_image(data: bytes) -> Iterator[Image.Image]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            yield image
    except Image.DecompressionBombError as exc:
        raise UnreadableDocument(f"the image has too many pixels to be read safely: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise UnreadableDocument(f"the image cannot be read: {exc}") from exc


def count_pages(data: bytes) -> int:
    with open_image(data) as image:
        return int(getattr(image, "n_frames", 1))


def extract_pages(data: bytes, start: int, stop: int) -> list[PageContent]:
    """Empty pages marked for OCR: an image has no text layer."""
    return [PageContent(number=n + 1, needs_ocr=True) for n in range(start, min(stop, count_pages(data)))]


def render_pages(data: bytes, numbers: Sequence[int], limits: RenderLimits = DEFAULT_RENDER_LIMITS) -> list[np.ndarray]:
    """The frames with these 1-based numbers as RGB arrays, shrunk to fit `limits`."""
    wanted = set(numbers)
    with open_image(data) as image:
        frames = {
            index + 1: to_rgb_array(_fitted(frame, limits))
            for index, frame in enumerate(ImageSequence.Iterator(image))
            if index + 1 in wanted
        }
    return [frames[number] for number in numbers]


def _fitted(frame: Image.Image, limits: RenderLimits) -> Image.Image:
    width, height = frame.size
    if width * height <= limits.max_pixels:
        return frame
    ratio = (limits.max_pixels / (width * height)) ** 0.5
    return frame.resize((max(1, int(width * ratio)), max(1, int(height * ratio))))
