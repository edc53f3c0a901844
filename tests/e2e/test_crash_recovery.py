"""kill -9 of `docseg serve` and everything it started, in the middle of jobs, then a restart on the
same data directory: every accepted job finishes once, with the segments an uninterrupted run gives."""

from __future__ import annotations

import time
from collections import defaultdict

import httpx
import pytest

from segmentation import ParseOptions, segment_document, sniff
from serve_app.process import ServiceProcess
from tests.conftest import corpus_file

pytestmark = pytest.mark.e2e

DOCUMENTS = [
    "pypdf_GeoTopo-komprimiert.pdf", "fek_1_Pres_Decree.pdf", "pdfjs_tracemonkey.pdf",
    "pypdf_multicolumn.pdf", "docling_word_sample.docx", "fek_decision_6.txt",
]
TERMINAL = {"COMPLETED", "FAILED", "CANCELED"}


def client(service: ServiceProcess) -> httpx.Client:
    return httpx.Client(
        base_url=service.url, headers={"Authorization": f"Bearer {service.token('acme')}"}, timeout=30
    )


def poll(service: ServiceProcess, seen: dict[str, list[int]]) -> dict[str, dict]:
    """One look at every job, remembering the progress each showed."""
    with client(service) as http:
        jobs = {job["id"]: job for job in http.get("/jobs").json()["items"]}
    for job_id, job in jobs.items():
        seen[job_id].append(job["progress"])
    return jobs


def test_kill_dash_nine_mid_jobs_then_restart(tmp_path):
    service = ServiceProcess(tmp_path / "data", env={"DOCSEG_NUM_CPUS": "2"})
    service.start()
    seen: dict[str, list[int]] = defaultdict(list)
    try:
        with client(service) as http:
            replies = {
                name: http.post(
                    "/jobs", files={"uploadfile": (name, corpus_file(name).read_bytes())}, data={"maxsize": "1500"}
                ).json()
                for name in DOCUMENTS
            }
        assert all(reply["success"] for reply in replies.values())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # kill once work is under way and not yet done
            jobs = poll(service, seen)
            # PROCESSING, not a progress figure: on a busy cluster a document is taken whole and shows none.
            if any(j["status"] == "PROCESSING" for j in jobs.values()):
                break
            time.sleep(0.05)
        running = [j["id"] for j in jobs.values() if j["status"] not in TERMINAL]
        assert running, "every job ended before the kill; the test proves nothing"
        service.kill()

        service.start()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            jobs = poll(service, seen)
            if all(j["status"] in TERMINAL for j in jobs.values()):
                break
            time.sleep(0.2)
        assert {j["status"] for j in jobs.values()} == {"COMPLETED"}, jobs
        assert len(jobs) == len(DOCUMENTS)

        for job_id, progress in seen.items():
            assert progress == sorted(progress), f"progress of {job_id} went backwards: {progress}"
        with client(service) as http:
            for name, reply in replies.items():
                segments = http.get(f"/documents/{reply['documentid']}/segments").json()["segments"]
                data = corpus_file(name).read_bytes()
                doctype = sniff(data, name)
                assert doctype is not None
                expected = segment_document(data, doctype, ParseOptions(maxsize=1500))
                assert [(s["ordinal"], s["body"]) for s in segments] == [(d.ordinal, d.body) for d in expected]
                assert len({s["id"] for s in segments}) == len(segments)
    finally:
        service.stop()
