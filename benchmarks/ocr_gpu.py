"""OCR pages/s on a GPU machine through the actor pool, over pool size, batch size and DPI.

For a machine with a GPU (run it there once, it prints one line per setting and the best):

    python -m benchmarks.ocr_gpu [--pages 24] [--fractions 1,0.5,0.25] [--batches 1,8,32] [--dpis 100,150,200]

Each setting starts a fresh pool (`DOCSEG_OCR__GPU_FRACTION` gives the actors per GPU), warms every
actor on one page, then times the same scanned corpus pages, rendered at that DPI, through
`recognize_pages`, exactly as the page tasks send them.
"""

from __future__ import annotations

import argparse
import itertools
import time

import ray

from benchmarks.corpus import CORPUS
from cluster.config import OcrConfig
from cluster.ocr_pool import OcrPools, recognize_pages
from segmentation import OcrBackend, ParseOptions, count_pages
from segmentation.document import render_pages
from segmentation.models import DocType

SCANS = ["fek_scanned_test_ocr.pdf", "paperless_multi-page-images.pdf", "ocrmypdf_c02-22.pdf"]


def scanned_pages(count: int, dpi: int) -> list:
    images = []
    for name in itertools.cycle(SCANS):
        data = (CORPUS / name).read_bytes()
        numbers = list(range(1, count_pages(data, DocType.PDF, ParseOptions()) + 1))
        images += render_pages(data, DocType.PDF, numbers, dpi)
        if len(images) >= count:
            return images[:count]
    raise AssertionError("unreachable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--fractions", default="1,0.5,0.25")
    parser.add_argument("--batches", default="1,8,32")
    parser.add_argument("--dpis", default="100,150,200")
    args = parser.parse_args()

    ray.init(address="local", include_dashboard=False)
    gpus = ray.cluster_resources().get("GPU", 0)
    print(f"cluster: {ray.cluster_resources().get('CPU', 0):.0f} CPUs, {gpus:.0f} GPUs")
    if not gpus:
        print("no GPU here: this script measures the GPU path only")
        return
    results = []
    fractions, batches = map(float, args.fractions.split(",")), map(int, args.batches.split(","))
    settings = list(itertools.product(fractions, batches))
    for dpi in map(int, args.dpis.split(",")):
        images = scanned_pages(args.pages, dpi)
        for fraction, batch in settings:
            pools = OcrPools(OcrConfig(gpu_fraction=fraction, easyocr_batch_size=batch, dpi=dpi))
            actors = pools.actors(OcrBackend.EASYOCR)
            recognize_pages(actors, images[: len(actors)])  # load and warm every actor
            started = time.perf_counter()
            recognize_pages(actors, images)
            rate = len(images) / (time.perf_counter() - started)
            results.append((rate, dpi, len(actors), batch))
            print(f"dpi {dpi:4}  actors {len(actors):3}  batch {batch:3}  {rate:7.2f} pages/s", flush=True)
            for actor in actors:
                ray.kill(actor)
    rate, dpi, actors, batch = max(results)
    print(f"best: {rate:.2f} pages/s with {actors} actors, batch {batch}, {dpi} dpi")


if __name__ == "__main__":
    main()
