"""Text-layer pages per second through the HTTP API on 1 and 2 CPUs, against one-process loops.

For each CPU count it starts `docseg serve` with that many page workers (DOCSEG_NUM_CPUS) and,
in the same run, with the service up and idle, measures two loops in this one process:

- baseline: docseg's own extraction (PyMuPDF, fonts and positions), clean-up and segmenter,
  file after file: the service's work without the service;
- PyMuPDF `get_text("blocks")` per page plus the same segmenter: the cheapest extraction there is.

The API round submits every file at once (the corpus's text PDFs, `--copies` times), each with a
callback URL served by this process, and ends when the last job's COMPLETED callback (segments
included) has arrived: pages over the time from first submit to last callback. A second round
does the same as a tenant of its own that polls its job list every 50 ms instead ("API, polled").
During the callback rounds the CPU time of every process of the service is read and summed by
role (page workers, API replica, proxy, dispatcher, ...), with the time each role was runnable but
waited for a core (Linux schedstat): that is what limits the figure. Then
one-page PDFs are sent one at a time for submit-to-COMPLETED latency. With `--pin`, the N-CPU
run (service, loops and this client) is confined to N cores.

    python -m benchmarks.throughput [--cpus 1 2] [--rounds 3] [--copies 2] [--pin] [--plot PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pymupdf

from benchmarks.corpus import text_pdfs
from benchmarks.figures import pyplot, save
from benchmarks.processes import cpu_by_role, cpu_seconds, waited_seconds
from segmentation.document import segment_document, segment_pages
from segmentation.models import Block, DocType, Line, PageContent, ParseOptions
from serve_app.process import ServiceProcess


def get_text_loop(files: Sequence[Path], maxsize: int) -> float:
    """Seconds for get_text("blocks") per page plus segmentation of every file, one process."""
    started = time.perf_counter()
    for path in files:
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


def docseg_loop(files: Sequence[Path], maxsize: int) -> float:
    """Seconds for docseg's own extraction, clean-up and segmentation of every file, one process."""
    started = time.perf_counter()
    for path in files:
        segment_document(path.read_bytes(), DocType.PDF, ParseOptions(maxsize=maxsize))
    return time.perf_counter() - started


class CallbackReceiver:
    """An HTTP server in this process that notes when each job's final callback arrives."""

    def __init__(self) -> None:
        ended: dict[str, str] = {}
        arrived = threading.Condition()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(204)
                self.end_headers()
                if body["status"] not in ("PENDING", "PROCESSING"):
                    with arrived:
                        ended[body["jobid"]] = body["status"]
                        arrived.notify_all()

            def log_message(self, *_: object) -> None:
                pass

        self.ended, self.arrived = ended, arrived
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, jobs: set[str], timeout: float = 600) -> None:
        with self.arrived:
            if not self.arrived.wait_for(lambda: jobs <= self.ended.keys(), timeout):
                raise RuntimeError(f"{len(jobs - self.ended.keys())} jobs sent no final callback in {timeout} s")
        failed = {job: self.ended[job] for job in jobs if self.ended[job] != "COMPLETED"}
        if failed:
            raise RuntimeError(f"jobs did not complete: {failed}")


def through_api(
    service: ServiceProcess, files: Sequence[Path], maxsize: int, receiver: CallbackReceiver | None
) -> float:
    """Seconds from the first submit to the last COMPLETED, every file submitted at once.

    With a receiver, each job's end is the arrival of its callback (which carries the segments);
    without, this client polls its job list every 50 ms.
    """
    # A tenant per round: its job list holds only this round's jobs, so a poll costs the same every round.
    token = service.token(f"bench-{uuid.uuid4().hex[:8]}")
    form = {"maxsize": str(maxsize)} | ({"callbackurl": receiver.url} if receiver else {})
    with httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        def submit(path: Path) -> str:
            reply = client.post("/jobs", files={"uploadfile": (path.name, path.read_bytes())}, data=form)
            reply.raise_for_status()
            return str(reply.json()["jobid"])

        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            pending = set(pool.map(submit, files))
        if receiver is not None:
            receiver.wait(pending)
            return time.perf_counter() - started
        while pending:
            time.sleep(0.05)
            for job in client.get("/jobs/").json()["items"]:
                if job["id"] in pending and job["status"] not in ("PENDING", "PROCESSING"):
                    if job["status"] != "COMPLETED":
                        raise RuntimeError(f"job {job['id']} ended {job['status']}: {job.get('error')}")
                    pending.discard(job["id"])
        return time.perf_counter() - started


def one_page_latency(service: ServiceProcess, path: Path, count: int) -> tuple[list[float], list[float]]:
    """Seconds from submit to COMPLETED of a one-page PDF, one job at a time, polling every 5 ms; and of
    each, the part inside the service: from the job's `created` to its `completed` time stamp."""
    data, latencies, inside = path.read_bytes(), [], []
    with httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {service.token('latency')}"}) as client:
        for _ in range(count):
            started = time.perf_counter()
            job_id = client.post("/jobs", files={"uploadfile": (path.name, data)}).json()["jobid"]
            while (job := client.get(f"/jobs/{job_id}").json())["status"] in ("PENDING", "PROCESSING"):
                time.sleep(0.005)
            latencies.append(time.perf_counter() - started)
            created, completed = (datetime.fromisoformat(job[name]) for name in ("created", "completed"))
            inside.append((completed - created).total_seconds())
    return sorted(latencies), sorted(inside)


@dataclass
class Run:
    """Figures of one CPU count: seconds per round of each path, CPU seconds (and seconds waiting for
    a core) by role in the API rounds."""

    cpus: int
    cores: int  # the machine's cores the run could use
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    waited: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # runnable, no core free
    latencies: list[float] = field(default_factory=list)
    inside: list[float] = field(default_factory=list)  # of each latency, created to completed in the service

    def rate(self, path: str, pages: int) -> float:
        return pages / statistics.median(self.seconds[path])


def measure(cpus: int, files: Sequence[Path], pages: int, rounds: int, maxsize: int, pin: bool) -> Run:
    if pin:  # the service started below inherits this
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:cpus]))
    receiver = CallbackReceiver()
    service = ServiceProcess(
        Path(tempfile.mkdtemp(prefix="docseg-bench-")),
        env={"DOCSEG_NUM_CPUS": str(cpus), "DOCSEG_CALLBACKS__ALLOW": '["127.0.0.1"]'},
    )
    service.start()
    run = Run(cpus, len(os.sched_getaffinity(0)))
    try:
        through_api(service, files[:4], maxsize, receiver)  # warm the workers
        loops: dict[str, Callable[[Sequence[Path], int], float]] = {"docseg loop": docseg_loop,
                                                                     "get_text loop": get_text_loop}
        for number in range(1, rounds + 1):
            for name, loop in loops.items():
                run.seconds[name].append(loop(files, maxsize))
            before, waited_before = cpu_seconds(service), waited_seconds(service)
            run.seconds["API"].append(through_api(service, files, maxsize, receiver))
            for role, seconds in cpu_by_role(before, cpu_seconds(service)).items():
                run.cpu[role] += seconds
            for role, seconds in cpu_by_role(waited_before, waited_seconds(service)).items():
                run.waited[role] += seconds
            run.seconds["API, polled"].append(through_api(service, files, maxsize, None))
            print(f"  {cpus} CPU round {number}: " + "   ".join(
                f"{name} {pages / times[-1]:6.1f}" for name, times in run.seconds.items()) + " pages/s", flush=True)
        one_page = next(path for path, count in text_pdfs() if count == 1)
        run.latencies, run.inside = one_page_latency(service, one_page, 50)
    finally:
        service.stop()
        receiver.server.shutdown()
        if pin:
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    return run


def report(runs: Sequence[Run], pages: int) -> None:
    baseline = runs[0].rate("docseg loop", pages)  # the one-process loop of the first (smallest) run
    print(f"\nmedians, pages/s; baseline = docseg loop of the {runs[0].cpus}-CPU run ({baseline:.1f} pages/s)")
    print(f"{'CPUs':>4}  {'docseg loop':>11}  {'get_text loop':>13}  {'API':>7}  {'API, polled':>11}  "
          f"{'API/loop same run':>17}  {'API/baseline':>12}  {'1-page p50/p99 ms':>17}")
    for run in runs:
        loop, api = run.rate("docseg loop", pages), run.rate("API", pages)
        p50 = run.latencies[len(run.latencies) // 2] * 1000
        p99 = run.latencies[int(0.99 * (len(run.latencies) - 1))] * 1000
        print(f"{run.cpus:>4}  {loop:11.1f}  {run.rate('get_text loop', pages):13.1f}  {api:7.1f}  "
              f"{run.rate('API, polled', pages):11.1f}  {api / loop:17.2f}  {api / baseline:12.2f}  "
              f"{p50:8.0f} / {p99:<6.0f}")
    for run in runs:
        print(f"{run.cpus} CPU, one-page PDF: median {statistics.median(run.latencies) * 1000:.0f} ms from submit to "
              f"seen COMPLETED, of which {statistics.median(run.inside) * 1000:.0f} ms from the job's created to its "
              f"completed time stamp (queue, dispatcher, task, result written); the rest is the upload's way in and "
              f"the polling")
    for run in runs:
        wall = sum(run.seconds["API"])
        total = sum(run.cpu.values())
        print(f"\n{run.cpus} CPU, CPU seconds in the API rounds ({wall:.2f} s of wall time, "
              f"{wall * run.cores:.2f} core-seconds on {run.cores} cores, {total:.2f} used by the service), "
              f"and seconds runnable but waiting for a core:")
        for role, seconds in sorted(run.cpu.items(), key=lambda item: -item[1]):
            print(f"  {role:18} {seconds:6.2f} s  {seconds / total:6.1%}   waited {run.waited.get(role, 0):5.2f} s")


def plot(runs: Sequence[Run], pages: int, path: Path) -> None:
    plt = pyplot()
    figure, (rates, shares) = plt.subplots(1, 2, figsize=(11, 4))
    names = ["get_text loop", "docseg loop", "API", "API, polled"]
    width = 0.2
    for offset, name in enumerate(names):
        xs = [i + (offset - 1.5) * width for i in range(len(runs))]
        rates.bar(xs, [run.rate(name, pages) for run in runs], width, label=name)
    rates.set_xticks(range(len(runs)), [f"{run.cpus} CPU" for run in runs])
    rates.set_ylabel("pages / s")
    rates.set_title("Text-layer pages per second")
    rates.legend()
    roles = sorted({role for run in runs for role in run.cpu}, key=lambda r: -sum(run.cpu.get(r, 0) for run in runs))
    bottoms = [0.0] * len(runs)
    for role in roles:
        values = [run.cpu.get(role, 0) / sum(run.cpu.values()) for run in runs]
        shares.bar(range(len(runs)), values, 0.5, bottom=bottoms, label=role)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    shares.set_xticks(range(len(runs)), [f"{run.cpus} CPU" for run in runs])
    shares.set_title("Where the service's CPU goes (API rounds)")
    shares.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    figure.tight_layout()
    save(figure, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpus", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--copies", type=int, default=2, help="times each corpus file is submitted per round")
    parser.add_argument("--maxsize", type=int, default=1500)
    parser.add_argument("--pin", action="store_true", help="confine the N-CPU run to N cores")
    parser.add_argument("--plot", type=Path, default=Path("benchmarks/plots/throughput.png"))
    args = parser.parse_args()

    files = [path for path, _ in text_pdfs()] * args.copies
    pages = sum(count for _, count in text_pdfs()) * args.copies
    print(f"{len(files)} text PDFs, {pages} pages per round, maxsize {args.maxsize}, {os.cpu_count()} cores")
    runs = [measure(cpus, files, pages, args.rounds, args.maxsize, args.pin) for cpus in args.cpus]
    report(runs, pages)
    plot(runs, pages, args.plot)


if __name__ == "__main__":
    main()
