"""Bulk reprocessing: `run_batch` on Ray Data against a multiprocessing.Pool of the same work, same run.

Both segment the corpus's text-layer PDFs (and the other formats) with the same options and write
a Parquet file per document; the Pool runs `segmentation.document` directly in as many processes as
Ray has CPUs. Then the batch is run again on the same output: the resumed no-op rerun.

    python -m benchmarks.bulk [--rounds 3] [--maxsize 1500]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time

import ray

from benchmarks.corpus import CORPUS, text_pdfs
from cluster.bulk import process_document, run_batch
from segmentation import ParseOptions

OTHERS = ["docling_word_sample.docx", "pptx_tbl-cell.pptx", "pymupdf_test_open2.html", "fek_decision_6.txt"]


def pool_worker(job: tuple[str, str, int]) -> dict:
    path, out, maxsize = job
    return process_document({"path": path}, out, ParseOptions(maxsize=maxsize), None, 150)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--maxsize", type=int, default=1500)
    args = parser.parse_args()
    pdfs = text_pdfs()
    paths = [str(p) for p, _ in pdfs] + [str(CORPUS / name) for name in OTHERS]
    pages = sum(n for _, n in pdfs) + len(OTHERS)
    options = ParseOptions(maxsize=args.maxsize)

    ray.init(address="local", include_dashboard=False, log_to_driver=False)
    cpus = int(ray.cluster_resources().get("CPU", 1))
    batch_times, pool_times, rerun_times = [], [], []
    try:
        run_batch(paths[:1], tempfile.mkdtemp(), options)  # warm up Ray Data's workers once
        for _ in range(args.rounds):
            out = tempfile.mkdtemp(prefix="docseg-bulk-")
            started = time.perf_counter()
            report = run_batch(paths, out, options)
            batch_times.append(time.perf_counter() - started)
            assert report.failed == 0 and report.done == len(paths), report
            started = time.perf_counter()
            rerun = run_batch(paths, out, options)
            rerun_times.append(time.perf_counter() - started)
            assert rerun.skipped == len(paths)

            pool_out = tempfile.mkdtemp(prefix="docseg-pool-")
            started = time.perf_counter()
            with multiprocessing.get_context("spawn").Pool(cpus) as pool:
                results = pool.map(pool_worker, [(p, pool_out, args.maxsize) for p in paths])
            pool_times.append(time.perf_counter() - started)
            assert all(r["status"] == "done" for r in results), results
            print(f"round: batch {pages / batch_times[-1]:.1f} pages/s, pool {pages / pool_times[-1]:.1f} pages/s, "
                  f"rerun {rerun_times[-1]:.2f} s", flush=True)
    finally:
        ray.shutdown()

    batch, pool, rerun = (statistics.median(t) for t in (batch_times, pool_times, rerun_times))
    print(f"\n{len(paths)} documents, {pages} pages, {cpus} CPUs, median of {args.rounds} rounds")
    print(f"docseg batch (Ray Data):         {pages / batch:7.1f} pages/s")
    print(f"multiprocessing.Pool({cpus}), same work: {pages / pool:7.1f} pages/s (pool start included)")
    print(f"ratio batch / pool: {pool / batch:.2f}")
    print(f"resumed no-op rerun: {rerun:.2f} s")


if __name__ == "__main__":
    main()
