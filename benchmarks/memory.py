"""Peak memory of each process of `docseg serve` while one long PDF is processed, at growing lengths.

The PDFs are made of the corpus's two long text PDFs (100 and 117 pages) repeated to `--pages`
pages each (default 250, 1000 and 2000). For each, a fresh service processes it alone, while every
process of the service is sampled every 50 ms; printed is the peak resident memory of the largest
process of each role (page workers, dispatcher, API replica, Redis, ...), and how much each role
grew per 1,000 pages between the shortest and the longest document; then the same for private
memory (RSS less shared pages: a Ray worker's RSS also counts the object store's pages it maps).
Each document longer than the assembly holds (`ASSEMBLY_HOLD_PAGES`) is processed a second time
with all its pages held, the way every document was assembled before: the baseline for the page
workers' memory and for the time that reading the ranges in passes costs.

    python -m benchmarks.memory [--pages 250 1000 2000] [--plot PATH]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx
import pymupdf

from benchmarks.corpus import CORPUS
from benchmarks.figures import pyplot, save
from benchmarks.processes import TASK_WORKERS, PeakMemory
from segmentation.assembly import HOLD_PAGES
from serve_app.process import ServiceProcess

SOURCES = ["fek_1_Pres_Decree.pdf", "pypdf_GeoTopo-komprimiert.pdf"]
MIB = 1024**2


def long_pdf(pages: int, directory: Path) -> Path:
    """A PDF of `pages` pages: the source PDFs one after the other, again and again."""
    path = directory / f"long-{pages}.pdf"
    with pymupdf.open() as out:
        while out.page_count < pages:
            for name in SOURCES:
                with pymupdf.open(CORPUS / name) as source:
                    out.insert_pdf(source, to_page=min(source.page_count, pages - out.page_count) - 1)
                if out.page_count >= pages:
                    break
        out.save(path, garbage=3, deflate=True)
    return path


Peaks = dict[str, int]  # role -> bytes


def process_alone(path: Path, hold_pages: int | None = None) -> tuple[Peaks, Peaks, float]:
    """Peak RSS and peak private memory by role while a fresh service processes `path`, and the
    seconds from upload to completion. `hold_pages` sets `ASSEMBLY_HOLD_PAGES` (None: the default)."""
    env = {} if hold_pages is None else {"DOCSEG_WORK__ASSEMBLY_HOLD_PAGES": str(hold_pages)}
    service = ServiceProcess(Path(tempfile.mkdtemp(prefix="docseg-memory-")), env=env)
    service.start()
    try:
        headers = {"Authorization": f"Bearer {service.token('memory')}"}
        with httpx.Client(base_url=service.url, headers=headers, timeout=120) as client, PeakMemory(service) as peak:
            started = time.perf_counter()
            job = client.post("/jobs", files={"uploadfile": (path.name, path.read_bytes())}).json()["jobid"]
            while (status := client.get(f"/jobs/{job}").json())["status"] in ("PENDING", "PROCESSING"):
                time.sleep(0.25)
            seconds = time.perf_counter() - started
            if status["status"] != "COMPLETED":
                raise RuntimeError(f"{path.name}: {status}")
            segments = client.get(f"/documents/{status['documentid']}/segments").json()
            print(f"  {path.name}: {len(segments['segments'])} segments in {seconds:.1f} s", flush=True)
        return peak.by_role(), peak.by_role(private=True), seconds
    finally:
        service.stop()


def plot(peaks: dict[str, dict[int, Peaks]], path: Path) -> None:
    """One panel per measure (RSS, private), a line per role."""
    plt = pyplot()
    figure, axes = plt.subplots(1, len(peaks), figsize=(12, 4.5), sharey=True)
    first = next(iter(peaks.values()))
    longest = max(first)
    # One order, so a role has the same colour in every panel and the one legend holds for all.
    roles = sorted({r for by_role in first.values() for r in by_role}, key=lambda r: -first[longest].get(r, 0))
    for axis, (measure, by_length) in zip(axes, peaks.items(), strict=True):
        lengths = sorted(by_length)
        for role in roles:
            axis.plot(lengths, [by_length[n].get(role, 0) / MIB for n in lengths], marker="o", label=role)
        axis.set_xlabel("pages in the PDF")
        axis.set_title(f"peak {measure} of the largest process")
        axis.set_ylim(bottom=0)
    axes[0].set_ylabel("MiB")
    axes[-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    figure.suptitle("Memory per process while one PDF is processed")
    figure.tight_layout()
    save(figure, path)


def print_table(measure: str, by_length: dict[int, Peaks]) -> None:
    shortest, longest = min(by_length), max(by_length)
    print(f"\npeak {measure} of the largest process of each role, MiB; growth per 1,000 pages, {shortest} to {longest}")
    print(f"{'role':18}" + "".join(f"{n:>9}" for n in sorted(by_length)) + f"{'per 1000':>10}")
    for role in sorted(by_length[longest], key=lambda r: -by_length[longest][r]):
        values = [by_length[n].get(role, 0) / MIB for n in sorted(by_length)]
        growth = (values[-1] - values[0]) / (longest - shortest) * 1000
        print(f"{role:18}" + "".join(f"{v:9.0f}" for v in values) + f"{growth:10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, nargs="+", default=[250, 1000, 2000])
    parser.add_argument("--plot", type=Path, default=Path("benchmarks/plots/memory.png"))
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="docseg-long-"))
    peaks: dict[str, dict[int, Peaks]] = {"RSS": {}, "private memory": {}}
    held_workers, seconds = {}, {}
    for pages in sorted(args.pages):
        path = long_pdf(pages, directory)
        print(f"{pages} pages, {path.stat().st_size / MIB:.1f} MiB", flush=True)
        peaks["RSS"][pages], peaks["private memory"][pages], streamed = process_alone(path)
        if pages > HOLD_PAGES:  # the baseline: the same document assembled from all its pages held at once
            _, held, held_seconds = process_alone(path, hold_pages=pages)
            held_workers[pages], seconds[pages] = held.get(TASK_WORKERS, 0), (streamed, held_seconds)
    for measure, by_length in peaks.items():
        print_table(measure, by_length)
    if held_workers:
        print("\nassembled range by range against all pages held (ASSEMBLY_HOLD_PAGES above the page count)")
        print(f"{'pages':>6}{'worker private MiB':>20}{'held':>8}{'seconds':>10}{'held':>8}{'ratio':>8}")
        for pages, held in held_workers.items():
            streamed, held_seconds = seconds[pages]
            private = peaks["private memory"][pages].get(TASK_WORKERS, 0)
            print(f"{pages:6}{private / MIB:20.0f}{held / MIB:8.0f}{streamed:10.1f}{held_seconds:8.1f}"
                  f"{streamed / held_seconds:8.2f}")
    plot(peaks, args.plot)


if __name__ == "__main__":
    main()
