"""The EasyOCR engine against plain EasyOCR: its CPU speed-up must not change a single result."""

from __future__ import annotations

import easyocr
import easyocr_en_models
import numpy as np
import torch
from PIL import Image

from segmentation.ocr import EasyOcrEngine
from tests.conftest import corpus_file


def test_channels_last_detector_reads_exactly_what_plain_easyocr_reads():
    image = np.asarray(Image.open(corpus_file("tess_phototest.tif")).convert("RGB"))
    plain = easyocr.Reader(
        ["en"], gpu=False, model_storage_directory=easyocr_en_models.model_dir(),
        download_enabled=False, verbose=False,
    )
    engine = EasyOcrEngine(["en"], gpu=False)

    detector_weight = next(engine.reader.detector.parameters())
    assert detector_weight.dim() == 4 and detector_weight.is_contiguous(memory_format=torch.channels_last)
    expected, got = plain.readtext(image), engine.reader.readtext(image)
    assert [text for _, text, _ in got] == [text for _, text, _ in expected]
    assert np.allclose([box for box, _, _ in got], [box for box, _, _ in expected])
    assert len(engine.recognize(image)) >= 8  # the page's lines, merged from the word boxes
