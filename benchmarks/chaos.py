"""Chaos: jobs through `docseg serve` while the service and its workers are killed, then counted.

Each round submits the corpus documents, kills a Ray page worker in the middle of the work
(SIGKILL), then kills the whole service and everything it started (kill -9 of its session, as a
crash would) at a random moment, and starts it again on the same data directory. At the end every
accepted job must have COMPLETED once, with exactly the segments an uninterrupted in-process run
gives. Printed: jobs submitted, kills, jobs lost, jobs with wrong or duplicate segments, progress
that went backwards, and the time from each restart until all of that round's jobs had ended.

    python -m benchmarks.chaos [--rounds 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

from benchmarks.corpus import CORPUS
from segmentation import ParseOptions, segment_document, sniff
from serve_app.process import ServiceProcess

DOCUMENTS = [
    "pypdf_GeoTopo-komprimiert.pdf", "fek_1_Pres_Decree.pdf", "pdfjs_tracemonkey.pdf", "pypdf_multicolumn.pdf",
    "docling_word_sample.docx", "fek_decision_6.txt", "pymupdf_test_open2.html",
]
TERMINAL = {"COMPLETED", "FAILED", "CANCELED"}
MAXSIZE = 1500


def jobs_of(service: ServiceProcess) -> dict[str, dict]:
    headers = {"Authorization": f"Bearer {service.token('chaos')}"}
    with httpx.Client(base_url=service.url, headers=headers, timeout=30) as client:
        return {job["id"]: job for job in client.get("/jobs").json()["items"]}


def kill_a_page_worker() -> bool:
    listing = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    workers = [int(line.split(None, 1)[0]) for line in listing.splitlines() if "ray::extract_range" in line]
    if workers:
        os.kill(random.choice(workers), signal.SIGKILL)
    return bool(workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    random.seed(args.seed)

    expected = {}
    for name in DOCUMENTS:
        data = (CORPUS / name).read_bytes()
        doctype = sniff(data, name)
        assert doctype is not None
        expected[name] = [d.body for d in segment_document(data, doctype, ParseOptions(maxsize=MAXSIZE))]

    service = ServiceProcess(Path(tempfile.mkdtemp(prefix="docseg-chaos-")), env={"DOCSEG_NUM_CPUS": "2"})
    service.start()
    submitted: dict[str, tuple[str, str]] = {}  # job id -> (document name, document id)
    progress: dict[str, list[int]] = defaultdict(list)
    service_kills = worker_kills = 0
    recoveries = []
    try:
        for round_number in range(1, args.rounds + 1):
            headers = {"Authorization": f"Bearer {service.token('chaos')}"}
            with httpx.Client(base_url=service.url, headers=headers, timeout=60) as client:
                for name in DOCUMENTS:
                    reply = client.post(
                        "/jobs", files={"uploadfile": (name, (CORPUS / name).read_bytes())},
                        data={"maxsize": str(MAXSIZE)},
                    ).json()
                    submitted[reply["jobid"]] = (name, reply["documentid"])
            kill_at = time.monotonic() + random.uniform(0.3, 2.5)
            worker_killed = False
            while time.monotonic() < kill_at:
                for job_id, job in jobs_of(service).items():
                    progress[job_id].append(job["progress"])
                if not worker_killed:
                    worker_killed = kill_a_page_worker()
                    worker_kills += worker_killed
                time.sleep(0.05)
            unfinished = sum(j["status"] not in TERMINAL for j in jobs_of(service).values())
            service.kill()
            service_kills += 1
            restarted = time.monotonic()
            service.start()
            while True:
                jobs = jobs_of(service)
                for job_id, job in jobs.items():
                    progress[job_id].append(job["progress"])
                if all(j["status"] in TERMINAL for j in jobs.values()):
                    break
                time.sleep(0.2)
            recoveries.append(time.monotonic() - restarted)
            print(f"round {round_number}: killed with {unfinished} of {len(jobs)} jobs unfinished "
                  f"(a page worker killed: {worker_killed}); all ended {recoveries[-1]:.1f} s after the restart",
                  flush=True)

        jobs = jobs_of(service)
        headers = {"Authorization": f"Bearer {service.token('chaos')}"}
        wrong = 0
        with httpx.Client(base_url=service.url, headers=headers, timeout=60) as client:
            for name, document_id in submitted.values():
                segments = client.get(f"/documents/{document_id}/segments").json()["segments"]
                ordinals = [s["ordinal"] for s in segments]
                if [s["body"] for s in segments] != expected[name] or ordinals != list(range(len(segments))):
                    wrong += 1
    finally:
        service.stop()

    lost = sum(1 for job_id in submitted if jobs.get(job_id, {}).get("status") != "COMPLETED")
    backwards = sum(1 for values in progress.values() if values != sorted(values))
    print(f"\njobs submitted {len(submitted)}, service kills {service_kills}, page worker kills {worker_kills}")
    print(f"jobs lost or not COMPLETED: {lost}; jobs with wrong or duplicate segments: {wrong}; "
          f"progress seen going backwards: {backwards}")
    print(f"time from restart to every job ended: median {statistics.median(recoveries):.1f} s, "
          f"max {max(recoveries):.1f} s (the restart itself included)")


if __name__ == "__main__":
    main()
