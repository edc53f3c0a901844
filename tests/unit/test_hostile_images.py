"""Pages too large to render safely: PDF pages render smaller, image bombs are refused with a reason."""

from __future__ import annotations

import struct
import zlib

import pymupdf
import pytest

from segmentation import DocType, ParseOptions, UnreadableDocument, count_pages
from segmentation.document import render_pages
from segmentation.models import PdfBackend, RenderLimits


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge size: what a decompression bomb looks like to a reader."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(
        b"IEND", b""
    )


def test_an_image_claiming_a_billion_pixels_is_refused_with_a_reason():
    bomb = png_header_only(40_000, 40_000)
    with pytest.raises(UnreadableDocument, match="too many pixels"):
        count_pages(bomb, DocType.PNG, ParseOptions())


def test_render_scale_keeps_within_the_pixel_limit():
    limits = RenderLimits(max_pixels=1_000_000)
    assert limits.scale(612, 792, 72) == 1.0  # small enough: the asked resolution
    scale = limits.scale(612 * 20, 792 * 20, 300)  # a poster-sized page
    assert (612 * 20 * scale) * (792 * 20 * scale) <= 1_000_000 * 1.001


@pytest.mark.parametrize("backend", list(PdfBackend))
def test_a_huge_pdf_page_renders_within_the_limit(backend):
    with pymupdf.open() as pdf:
        pdf.new_page(width=14_400, height=14_400)  # 200 x 200 inches, the largest MuPDF makes
        data = pdf.tobytes()
    [image] = render_pages(data, DocType.PDF, [1], 150, ParseOptions(pdf_parsing_backend=backend),
                           RenderLimits(max_pixels=2_000_000))
    assert image.shape[0] * image.shape[1] <= 2_000_000 * 1.01
