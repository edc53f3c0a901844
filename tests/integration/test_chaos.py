"""Killed Ray workers and OCR actors in the middle of a job cost a retry, not the job."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from cluster.config import OcrConfig
from cluster.dispatcher import Dispatcher
from cluster.runner import JobRunner
from cluster.status import JobStatus
from cluster.store import JobStore
from segmentation import DocType, OcrBackend, ParseOptions, segment_document
from segmentation.quality import character_error_rate
from tests.conftest import corpus_file
from tests.integration.test_ocr import with_ocr_dispatcher
from tests.integration.test_pipeline import finished, submit_file, wait_until, with_dispatcher

pytestmark = pytest.mark.usefixtures("ray_cluster")


def processes_named(title: str) -> list[int]:
    """Ray names a worker's process after what it runs ("ray::extract_range", "ray::OcrActor...")."""
    listing = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    return [int(line.split(None, 1)[0]) for line in listing.splitlines() if title in line]


def test_a_killed_page_worker_costs_a_retry_not_the_job(key_prefix):
    async def scenario(store: JobStore, _: Dispatcher) -> None:
        job = await submit_file(store, "fek_1_Pres_Decree.pdf", DocType.PDF)

        async def a_range_task_runs():
            return processes_named("ray::extract_range")

        victims = await wait_until(a_range_task_runs, what="a page-range task to run")
        os.kill(victims[0], signal.SIGKILL)
        done = await finished(store, job.id)
        assert done.status == JobStatus.COMPLETED, done.error
        segments = await store.segments(done.documentid)
        data = corpus_file("fek_1_Pres_Decree.pdf").read_bytes()
        expected = segment_document(data, DocType.PDF, ParseOptions(maxsize=1000))
        assert [s.body for s in segments] == [d.body for d in expected]

    with_dispatcher(key_prefix, scenario)


def test_a_killed_ocr_actor_is_restarted_and_the_job_completes(key_prefix):
    async def scenario(store: JobStore, runner: JobRunner) -> None:
        job, _ = await store.submit(
            tenant="acme", ip="127.0.0.1", filename="scan.pdf", doctype=DocType.PDF, callbackurl=None,
            data=corpus_file("paperless_multi-page-images.pdf").read_bytes(),
            options=ParseOptions(enable_ocr=True, ocr_backend=OcrBackend.TESSERACT),
        )

        async def ocr_under_way():
            # The first task sends all three pages to the actor at once, then waits on them.
            current = await store.job(job.id)
            return current.status == JobStatus.PROCESSING and processes_named("ray::OcrActor.recognize")

        victims = await wait_until(ocr_under_way, timeout=120, what="OCR to be under way")
        os.kill(victims[0], signal.SIGKILL)
        done = await finished(store, job.id, timeout=300)
        assert done.status == JobStatus.COMPLETED, done.error
        assert done.pages_without_text == 0
        text = " ".join(s.body for s in await store.segments(done.documentid))
        assert character_error_rate(text, corpus_file("paperless_multi-page-images.gt.txt").read_text()) < 0.1

    with_ocr_dispatcher(key_prefix, scenario, OcrConfig(pool_size=1, dpi=150))
