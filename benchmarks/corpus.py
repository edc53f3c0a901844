"""The shared corpus as benchmarks see it: files by kind, from MANIFEST.tsv."""

from __future__ import annotations

import csv
import os
from pathlib import Path

CORPUS = Path(os.environ.get("DOCSEG_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
TEXT_LAYER_KINDS = {"text", "table", "form", "nonlatin"}


def text_pdfs() -> list[tuple[Path, int]]:
    """PDFs with a text layer and their page counts (scanned, broken and encrypted ones left out)."""
    with (CORPUS / "MANIFEST.tsv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        (CORPUS / row["file"], int(row["pages"]))
        for row in rows
        if row["file"].endswith(".pdf") and row["kind"] in TEXT_LAYER_KINDS and row["pages"]
    ]
