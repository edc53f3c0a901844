"""Peak memory of each process of `docseg serve` while one long PDF is processed, at growing lengths.

The PDFs are made of the corpus's two long text PDFs (100 and 117 pages) repeated to `--pages`
pages each (default 250, 1000 and 2000). For each, a fresh service processes it alone, while every
process of the service is sampled every 50 ms; printed is the peak resident memory of the largest
process of each role (page workers, dispatcher, API replica, Redis, ...), and how much each role
grew per 1,000 pages between the shortest and the longest document.

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
from benchmarks.processes import PeakMemory
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


def process_alone(path: Path) -> tuple[dict[str, int], float]:
    """Peak RSS by role while a fresh service processes `path`, and the seconds it took."""
    service = ServiceProcess(Path(tempfile.mkdtemp(prefix="docseg-memory-")))
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
        return peak.by_role(), seconds
    finally:
        service.stop()


def plot(peaks: dict[int, dict[str, int]], path: Path) -> None:
    plt = pyplot()
    lengths = sorted(peaks)
    roles = sorted({role for by_role in peaks.values() for role in by_role}, key=lambda r: -peaks[lengths[-1]][r])
    figure, axis = plt.subplots(figsize=(8, 4.5))
    for role in roles:
        axis.plot(lengths, [peaks[n].get(role, 0) / MIB for n in lengths], marker="o", label=role)
    axis.set_xlabel("pages in the PDF")
    axis.set_ylabel("peak RSS of the largest process, MiB")
    axis.set_title("Peak memory per process while one PDF is processed")
    axis.set_ylim(bottom=0)
    axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    figure.tight_layout()
    save(figure, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, nargs="+", default=[250, 1000, 2000])
    parser.add_argument("--plot", type=Path, default=Path("benchmarks/plots/memory.png"))
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="docseg-long-"))
    peaks = {}
    for pages in sorted(args.pages):
        path = long_pdf(pages, directory)
        print(f"{pages} pages, {path.stat().st_size / MIB:.1f} MiB", flush=True)
        peaks[pages], _ = process_alone(path)
    shortest, longest = min(peaks), max(peaks)
    print(f"\npeak RSS of the largest process of each role, MiB; growth per 1,000 pages from {shortest} to {longest}")
    print(f"{'role':18}" + "".join(f"{n:>9}" for n in sorted(peaks)) + f"{'per 1000':>10}")
    for role in sorted(peaks[longest], key=lambda r: -peaks[longest][r]):
        values = [peaks[n].get(role, 0) / MIB for n in sorted(peaks)]
        growth = (values[-1] - values[0]) / (longest - shortest) * 1000
        print(f"{role:18}" + "".join(f"{v:9.0f}" for v in values) + f"{growth:10.0f}")
    plot(peaks, args.plot)


if __name__ == "__main__":
    main()
