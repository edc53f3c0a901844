"""Pages per second through the HTTP API, submit to COMPLETED, against an in-process baseline.

Baseline, measured in the same run: one Python process, PyMuPDF `get_text("blocks")` per page and
the same segmenter. The service run submits every text PDF of the corpus at once and waits for all
of them; the figure is total pages over the wall time from first submit to last COMPLETED.

    python benchmarks/throughput.py [--rounds 3] [--maxsize 1500] [--url URL --token TOKEN]

Without --url it starts `docseg serve` itself (local Ray with DOCSEG_NUM_CPUS CPUs, default all).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pymupdf

from benchmarks.corpus import text_pdfs
from segmentation.document import segment_document, segment_pages
from segmentation.models import Block, DocType, Line, PageContent, ParseOptions
from serve_app.process import ServiceProcess


def baseline(files: list[tuple[Path, int]], maxsize: int) -> float:
    """Seconds for get_text-per-page plus segmentation of every file, one process."""
    started = time.perf_counter()
    for path, _ in files:
        with pymupdf.open(path) as document:
            pages = [
                PageContent(
                    number=index + 1,
                    blocks=tuple(
                        Block(lines=tuple(Line(text=t) for t in block[4].splitlines() if t.strip()))
                        for block in page.get_text("blocks") if block[4].strip()
                    ),
                )
                for index, page in enumerate(document)
            ]
        segment_pages(pages, ParseOptions(maxsize=maxsize))
    return time.perf_counter() - started


def own_pipeline(files: list[tuple[Path, int]], maxsize: int) -> float:
    """Seconds for docseg's own extraction (fonts and positions) plus segmentation, one process."""
    started = time.perf_counter()
    for path, _ in files:
        segment_document(path.read_bytes(), DocType.PDF, ParseOptions(maxsize=maxsize))
    return time.perf_counter() - started


def through_api(client: httpx.Client, files: list[tuple[Path, int]], maxsize: int) -> float:
    """Seconds from the first submit to the last COMPLETED, all files submitted concurrently."""
    def submit(path: Path) -> str:
        reply = client.post("/jobs", files={"uploadfile": (path.name, path.read_bytes())},
                            data={"maxsize": str(maxsize)})
        reply.raise_for_status()
        return str(reply.json()["jobid"])

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        pending = set(pool.map(submit, [path for path, _ in files]))
    # One list request per poll: polling each job would load the two cores more than the work does.
    while pending:
        time.sleep(0.05)
        for job in client.get("/jobs/").json()["items"]:
            if job["id"] in pending and job["status"] not in ("PENDING", "PROCESSING"):
                if job["status"] != "COMPLETED":
                    raise RuntimeError(f"job {job['id']} ended {job['status']}: {job.get('error')}")
                pending.discard(job["id"])
    return time.perf_counter() - started


def one_page_latency(client: httpx.Client, path: Path, count: int) -> list[float]:
    """Seconds from submit to COMPLETED of a one-page PDF, one job at a time, polling every 5 ms."""
    data, latencies = path.read_bytes(), []
    for _ in range(count):
        started = time.perf_counter()
        job_id = client.post("/jobs", files={"uploadfile": (path.name, data)}).json()["jobid"]
        while client.get(f"/jobs/{job_id}").json()["status"] in ("PENDING", "PROCESSING"):
            time.sleep(0.005)
        latencies.append(time.perf_counter() - started)
    return sorted(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--maxsize", type=int, default=1500)
    parser.add_argument("--url")
    parser.add_argument("--token")
    args = parser.parse_args()

    files = text_pdfs()
    pages = sum(count for _, count in files)
    print(f"corpus: {len(files)} text PDFs, {pages} pages, maxsize {args.maxsize}")

    service = None
    if args.url is None:
        service = ServiceProcess(Path(tempfile.mkdtemp(prefix="docseg-bench-")))
        service.start()
        url, token = service.url, service.token("bench")
    else:
        url, token = args.url, args.token
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
            through_api(client, files[:2], args.maxsize)  # warm the workers
            api_times, base_times, own_times = [], [], []
            for round_number in range(1, args.rounds + 1):
                base_times.append(baseline(files, args.maxsize))
                own_times.append(own_pipeline(files, args.maxsize))
                api_times.append(through_api(client, files, args.maxsize))
                print(f"round {round_number}: baseline {pages / base_times[-1]:7.1f}   "
                      f"own in-process {pages / own_times[-1]:7.1f}   api {pages / api_times[-1]:7.1f} pages/s")
            one_page = next(path for path, count in files if count == 1)
            latencies = one_page_latency(client, one_page, 50)
    finally:
        if service is not None:
            service.stop()

    base_rate = pages / statistics.median(base_times)
    own_rate = pages / statistics.median(own_times)
    api_rate = pages / statistics.median(api_times)
    print(f"median  baseline (in-process get_text + segmenter):     {base_rate:7.1f} pages/s")
    print(f"median  docseg extraction + segmenter in one process:   {own_rate:7.1f} pages/s")
    print(f"median  api (submit to COMPLETED, all at once):         {api_rate:7.1f} pages/s")
    print(f"ratio   api / baseline: {api_rate / base_rate:.2f}   api / own in-process: {api_rate / own_rate:.2f}")
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    print(f"one-page PDF, submit to COMPLETED ({len(latencies)} jobs): p50 {p50 * 1000:.0f} ms, "
          f"p99 {p99 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
