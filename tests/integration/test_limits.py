"""Configured limits on a real local Ray: each ends the job FAILED with a reason, and the next job runs."""

from __future__ import annotations

import logging

import pytest
import ray

from cluster.config import OcrConfig
from cluster.dispatcher import Dispatcher
from cluster.records import JobRecord
from cluster.runner import WORKER_DIED, JobRunner
from cluster.status import JobStatus
from cluster.store import JobStore
from segmentation import DocType, OcrBackend, ParseOptions
from tests.conftest import corpus_file
from tests.integration.conftest import run_with_store
from tests.integration.test_pipeline import CONFIG, finished, submit_file, wait_until, with_dispatcher

pytestmark = pytest.mark.usefixtures("ray_cluster")


def test_too_many_pages_fails_and_a_short_document_still_completes(key_prefix, caplog):
    caplog.set_level(logging.INFO, logger="cluster")

    async def scenario(store: JobStore, _: Dispatcher) -> None:
        long = await submit_file(store, "fek_1_Pres_Decree.pdf", DocType.PDF)
        short = await submit_file(store, "pypdf_multicolumn.pdf", DocType.PDF)
        failed = await finished(store, long.id)
        assert failed.status == JobStatus.FAILED
        assert failed.error == "the document has 100 pages; at most 50 are processed"
        assert (await finished(store, short.id)).status == JobStatus.COMPLETED
        # The runner's log lines name their job, for log pipelines (cluster/logs.py).
        assert any(getattr(r, "job_id", None) == long.id and r.levelname == "WARNING" for r in caplog.records)

        async def completion_logged() -> bool:
            # The runner logs once the completing transaction has returned, which a poll can precede.
            return any(getattr(r, "job_id", None) == short.id and "completed" in r.getMessage() for r in caplog.records)

        assert await wait_until(completion_logged, timeout=10, what="the short job's completion log line")

    with_dispatcher(key_prefix, scenario, CONFIG.model_copy(update={"max_pages": 50}))


def test_a_job_past_its_time_limit_fails(key_prefix):
    async def scenario(store: JobStore, _: Dispatcher) -> None:
        # 100 Greek pages take well over a second of CPU, far past the 0.1 s allowed.
        job = await submit_file(store, "fek_1_Pres_Decree.pdf", DocType.PDF)
        failed = await finished(store, job.id)
        assert failed.status == JobStatus.FAILED and "time limit" in (failed.error or "")
        assert await store.redis.hlen(store.keys.segments(job.documentid)) == 0

    with_dispatcher(key_prefix, scenario, CONFIG.model_copy(update={"job_seconds": 0.1}))


def test_a_document_whose_runs_keep_dying_fails_after_max_attempts(key_prefix):
    async def scenario(store: JobStore) -> None:
        job = await submit_file(store, "pypdf_multicolumn.pdf", DocType.PDF)
        for _ in range(CONFIG.max_attempts):
            await store.claim(job.id)  # a run that died with its process, leaving the job PROCESSING
        await JobRunner(store, CONFIG).run(job.id)
        failed = await store.job(job.id)
        assert failed.status == JobStatus.FAILED and failed.attempt == CONFIG.max_attempts + 1
        assert failed.error == f"the job was started {CONFIG.max_attempts} times and never finished"

    run_with_store(key_prefix, scenario)


def test_a_page_task_over_its_memory_cap_fails_the_job_and_the_workers_go_on(key_prefix):
    # 1 MiB more than a warm worker has: parsing fits, rendering a 150 dpi page for OCR does not.
    tight = CONFIG.model_copy(update={"task_memory_bytes": 1024 * 1024})
    options = {"enable_ocr": True, "ocr_backend": OcrBackend.TESSERACT}

    async def run(store: JobStore, config) -> JobRecord:
        job, _ = await store.submit(
            tenant="acme", ip="127.0.0.1", filename="scan.pdf", doctype=DocType.PDF, callbackurl=None,
            data=corpus_file("paperless_multi-page-images.pdf").read_bytes(), options=ParseOptions(**options),
        )
        runner = JobRunner(store, config, OcrConfig(pool_size=1))
        try:
            await runner.run(job.id)
        finally:
            for actors in runner.ocr_pools._pools.values():
                for actor in actors:
                    ray.kill(actor)
        return await store.job(job.id)

    async def scenario(store: JobStore) -> None:
        failed = await run(store, tight)
        assert failed.status == JobStatus.FAILED
        # Which allocation fails first decides: MuPDF's (a clean error) or Ray's own in that worker.
        assert failed.error in ("the document needs more memory than a page task may use (1 MiB more)", WORKER_DIED)
        assert (await run(store, CONFIG)).status == JobStatus.COMPLETED  # the same workers, uncapped

    run_with_store(key_prefix, scenario)
