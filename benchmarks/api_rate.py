"""API request rate: `GET /jobs/{id}` and `POST /jobs` of small documents, from a separate load process.

Starts `docseg serve`, then a load generator in its own process (so it does not share the service's
interpreter) runs `--clients` threads, each issuing requests back to back for `--seconds`. Printed
per endpoint: requests per second, latency p50 and p99, errors (any status other than 200, or
503 counted apart as backpressure), and the CPU seconds the service's processes used, by role.

    python -m benchmarks.api_rate [--clients 8] [--seconds 10]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from benchmarks.corpus import CORPUS
from benchmarks.processes import cpu_by_role, cpu_seconds
from serve_app.process import ServiceProcess

SMALL_DOCUMENT = "pdfminer_jo.pdf"  # one page


def load(
    url: str, token: str, method: str, job_id: str, clients: int, seconds: float, out: multiprocessing.Queue
) -> None:
    """Runs in its own process: `clients` threads hammering one endpoint; puts latencies and statuses."""
    data = (CORPUS / SMALL_DOCUMENT).read_bytes()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client_loop() -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            while time.monotonic() < stop:
                started = time.perf_counter()
                try:
                    if method == "GET":
                        status = http.get(f"/jobs/{job_id}").status_code
                    else:
                        status = http.post("/jobs", files={"uploadfile": ("a.pdf", data)}).status_code
                except httpx.HTTPError:
                    status = 0
                with lock:
                    latencies.append(time.perf_counter() - started)
                    statuses[status] += 1

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((latencies, dict(statuses)))


def measure(service: ServiceProcess, token: str, method: str, job_id: str, clients: int, seconds: float) -> None:
    queue: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
    process = multiprocessing.get_context("spawn").Process(
        target=load, args=(service.url, token, method, job_id, clients, seconds, queue)
    )
    before = cpu_seconds(service)
    process.start()
    latencies, statuses = queue.get()
    process.join()
    used = cpu_by_role(before, cpu_seconds(service))
    ordered = sorted(latencies)
    p50, p99 = statistics.median(ordered), ordered[int(0.99 * (len(ordered) - 1))]
    busy = statuses.get(503, 0)
    errors = sum(n for status, n in statuses.items() if status not in (200, 503))
    print(f"{method:4} {len(ordered) / seconds:8.1f} req/s   p50 {p50 * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms   "
          f"errors {errors}   503 (backpressure) {busy}", flush=True)
    print("     CPU seconds of the service by role: " + ", ".join(
        f"{role} {seconds:.1f}" for role, seconds in sorted(used.items(), key=lambda item: -item[1])), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    service = ServiceProcess(Path(tempfile.mkdtemp(prefix="docseg-rate-")))
    service.start()
    try:
        token = service.token("rate")
        with httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {token}"}) as http:
            reply = http.post("/jobs", files={"uploadfile": ("a.pdf", (CORPUS / SMALL_DOCUMENT).read_bytes())}).json()
        print(f"{args.clients} client threads in a separate process, {args.seconds:.0f} s per endpoint")
        measure(service, token, "GET", reply["jobid"], args.clients, args.seconds)
        measure(service, token, "POST", "", args.clients, args.seconds)
    finally:
        service.stop()


if __name__ == "__main__":
    main()
