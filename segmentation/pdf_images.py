"""Embedded PDF images as link blocks among a page's text, for `process_images` with either backend."""

from __future__ import annotations

from collections.abc import Sequence

from segmentation.models import Block, ImageExtraction, Line, PageImage

Box = tuple[float, float, float, float]  # left, top, right, bottom in points from the page's top left


def with_image_links(
    blocks: Sequence[Block], images: Sequence[tuple[Box, PageImage]], extraction: ImageExtraction
) -> list[Block]:
    """The blocks with a Markdown link block for each image, placed before the first block below its top."""
    placed = list(blocks)
    for box, image in sorted(images, key=lambda item: item[0][1]):
        link = Block(
            lines=(Line(text=f"![image]({extraction.link_prefix}{image.id})"),), image_id=image.id, bbox=box
        )
        index = next((i for i, b in enumerate(placed) if b.bbox is not None and b.bbox[1] > box[1]), len(placed))
        placed.insert(index, link)
    return placed
