"""OCR quality and speed: CER per backend through the API, and pages/s against a plain EasyOCR loop.

Character error rate (whitespace-normalised Levenshtein / reference length) is measured through the
HTTP API with `enable_ocr` for EasyOCR and Tesseract on the same corpus pages with ground truth.
Speed: the same scanned pages submitted at once through the service's OCR path (page tasks and
the OCR actor pool), against one process looping plain EasyOCR's `readtext` over the same page
images at the same DPI, model load and rendering excluded. A second loop runs docseg's own engine
(EasyOCR with its CPU speed-up), so the actors' own cost shows apart from the engine's gain.
Rounds interleave in the same run, with the service up during the loops so all share the machine.

    python -m benchmarks.ocr [--dpi 150] [--pool-size N] [--torch-threads N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.corpus import CORPUS
from segmentation import ParseOptions, count_pages, extract_pages, sniff
from segmentation.document import render_pages
from segmentation.ocr import EasyOcrEngine
from segmentation.quality import character_error_rate
from serve_app.process import ServiceProcess

# Documents with ground truth for every OCR'd word (the mixed PDF's text-layer pages included).
GROUND_TRUTH = {
    "tess_phototest.tif": "tess_phototest.gt.txt",
    "paperless_multi-page-images.pdf": "paperless_multi-page-images.gt.txt",
    "paperless_multi-page-mixed.pdf": "paperless_multi-page-mixed.gt.txt",
    "ajax_bsb10234118_0027.png": "ajax_bsb10234118_0027.gt.txt",
    "tess_8071_093.3B.tif": "tess_8071_093.3B.gt.txt",
}
SPEED_SET = ["paperless_multi-page-images.pdf", "tess_phototest.tif", "ocrmypdf_c02-22.pdf", "tess_8071_093.3B.tif"]


def run_job(client: httpx.Client, path: Path, **form: str) -> str:
    job_id = submit(client, path, **form)
    wait_all(client, {job_id})
    document_id = client.get(f"/jobs/{job_id}").json()["documentid"]
    segments = client.get(f"/documents/{document_id}/segments").json()["segments"]
    return "\n".join(s["body"] for s in segments)


def submit(client: httpx.Client, path: Path, **form: str) -> str:
    reply = client.post("/jobs", files={"uploadfile": (path.name, path.read_bytes())}, data=form)
    reply.raise_for_status()
    return str(reply.json()["jobid"])


def wait_all(client: httpx.Client, job_ids: set[str]) -> None:
    pending = set(job_ids)
    while pending:
        time.sleep(0.5)  # OCR takes seconds a page; faster polling would only take CPU from it
        for job_id in list(pending):
            job = client.get(f"/jobs/{job_id}").json()
            if job["status"] not in ("PENDING", "PROCESSING"):
                if job["status"] != "COMPLETED":
                    raise RuntimeError(f"{job_id}: {job['status']} {job.get('error')}")
                pending.discard(job_id)


def page_images(dpi: int) -> list:
    images = []
    for name in SPEED_SET:
        data = (CORPUS / name).read_bytes()
        doctype = sniff(data, name)
        assert doctype is not None
        options = ParseOptions(enable_ocr=True)
        pages = extract_pages(data, doctype, options, 0, count_pages(data, doctype, options))
        images += render_pages(data, doctype, [p.number for p in pages if p.needs_ocr], dpi)
    return images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--pool-size", type=int)
    parser.add_argument("--torch-threads", type=int)
    parser.add_argument("--speed-only", action="store_true", help="skip the CER table")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    env = {"DOCSEG_OCR__DPI": str(args.dpi)}
    if args.pool_size:
        env["DOCSEG_OCR__POOL_SIZE"] = str(args.pool_size)
    if args.torch_threads:
        env["DOCSEG_OCR__TORCH_THREADS"] = str(args.torch_threads)
    service = ServiceProcess(Path(tempfile.mkdtemp(prefix="docseg-ocr-bench-")), env=env)
    service.start()
    try:
        headers = {"Authorization": f"Bearer {service.token('bench')}"}
        with httpx.Client(base_url=service.url, headers=headers, timeout=600) as client:
            print(f"CER through the API (enable_ocr, {args.dpi} dpi)")
            print(f"{'document':36} {'easyocr':>8} {'tesseract':>10}")
            for name, truth in ({} if args.speed_only else GROUND_TRUTH).items():
                reference = (CORPUS / truth).read_text(encoding="utf-8")
                texts = [
                    run_job(client, CORPUS / name, enable_ocr="true", ocr_backend=backend)
                    for backend in ("easyocr", "tesseract")
                ]
                rates = [character_error_rate(text, reference) for text in texts]
                print(f"{name:36} {rates[0]:8.3f} {rates[1]:10.3f}")

            images = page_images(args.dpi)
            plain, engine = plain_reader(), EasyOcrEngine()
            plain.readtext(images[0])  # warm up, as the service's actors are
            engine.recognize(images[0])
            times: dict[str, list[float]] = {"plain": [], "engine": [], "service": []}
            for _ in range(args.rounds):
                # Interleaved, with the service up (idle) during the loops, so all see the same machine.
                times["plain"].append(timed(lambda: [plain.readtext(image) for image in images]))
                times["engine"].append(timed(lambda: [engine.recognize(image) for image in images]))
                times["service"].append(timed(lambda: wait_all(
                    client, {submit(client, CORPUS / name, enable_ocr="true") for name in SPEED_SET}
                )))
                print("round: " + ", ".join(f"{k} {len(images) / v[-1]:.3f} pages/s" for k, v in times.items()),
                      flush=True)
    finally:
        service.stop()

    pages = len(images)
    seconds = {name: statistics.median(values) for name, values in times.items()}
    print(f"\nspeed over {pages} scanned pages at {args.dpi} dpi, median of {args.rounds} rounds")
    print(f"plain EasyOCR loop, one process:      {pages / seconds['plain']:6.3f} pages/s")
    print(f"docseg's EasyOCR engine, one process: {pages / seconds['engine']:6.3f} pages/s")
    print(f"service OCR path (API, actors):       {pages / seconds['service']:6.3f} pages/s")
    print(f"ratio service / plain loop: {seconds['plain'] / seconds['service']:.2f}")
    print(f"ratio service / engine loop (the actors' own cost): {seconds['engine'] / seconds['service']:.2f}")


def plain_reader():
    """EasyOCR as its README loads it, from the same shipped weights."""
    import easyocr
    import easyocr_en_models

    return easyocr.Reader(["en"], gpu=False, model_storage_directory=easyocr_en_models.model_dir(),
                          download_enabled=False, verbose=False)


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
