"""Jobs through the dispatcher on a real local Ray and the real Redis."""

from __future__ import annotations

import asyncio
import time

import pytest

from cluster.config import WorkConfig
from cluster.dispatcher import CONSUMER, Dispatcher
from cluster.queue import JobQueue
from cluster.records import JobRecord
from cluster.runner import JobRunner, plan_ranges
from cluster.status import TERMINAL, JobStatus
from cluster.store import JobStore
from segmentation import DocType, ParseOptions, PdfBackend, segment_document
from segmentation.assembly import SEGMENTS_PER_PART
from tests.conftest import corpus_file
from tests.integration.conftest import run_with_store

pytestmark = pytest.mark.usefixtures("ray_cluster")

CONFIG = WorkConfig(max_running_jobs=2, min_pages_per_task=2, max_pages_per_task=8, poll_seconds=0.2)


async def submit_file(store: JobStore, name: str, doctype: DocType, maxsize: int = 1000) -> JobRecord:
    job, _ = await store.submit(
        tenant="acme", ip="127.0.0.1", filename=name, data=corpus_file(name).read_bytes(),
        doctype=doctype, options=ParseOptions(maxsize=maxsize), callbackurl=None,
    )
    return job


async def wait_until(predicate, timeout: float = 120.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def finished(store: JobStore, job_id: str, timeout: float = 120.0) -> JobRecord:
    async def check():
        job = await store.job(job_id)
        return job if job.status in TERMINAL else None

    return await wait_until(check, timeout, f"job {job_id} to end")


def with_dispatcher(key_prefix: str, scenario, config: WorkConfig = CONFIG) -> None:
    async def main(store: JobStore) -> None:
        dispatcher = Dispatcher(JobQueue(store.redis, store.keys), JobRunner(store, config), config)
        dispatcher.start()
        try:
            await scenario(store, dispatcher)
        finally:
            await dispatcher.stop()

    run_with_store(key_prefix, main)


def test_plan_ranges_covers_every_page_once():
    for pages in (1, 3, 14, 100, 117):
        ranges = plan_ranges(pages, workers=2, config=CONFIG)
        assert [p for a, b in ranges for p in range(a, b)] == list(range(pages))
        assert all(b - a <= CONFIG.max_pages_per_task for a, b in ranges)


def test_pdf_job_completes_with_pymupdfs_words(key_prefix):
    name = "fek_1_Pres_Decree.pdf"  # 100 Greek pages: many page-range tasks

    async def scenario(store: JobStore, _: Dispatcher) -> None:
        job = await submit_file(store, name, DocType.PDF, maxsize=800)
        done = await finished(store, job.id)
        assert done.status == JobStatus.COMPLETED, done.error
        assert (done.progress, done.pages_total, done.pages_done) == (100, 100, 100)
        segments = await store.segments(done.documentid)
        # The segments of one process (whose words are MuPDF's, cleaned: tests/unit/test_parsers.py).
        expected = segment_document(corpus_file(name).read_bytes(), DocType.PDF, ParseOptions(maxsize=800))
        assert [s.body for s in segments] == [d.body for d in expected]
        assert all(sum(not c.isspace() for c in s.body) <= 800 for s in segments)
        assert [s.ordinal for s in segments] == list(range(len(segments)))
        assert segments[-1].pagenr > 90

    with_dispatcher(key_prefix, scenario)


def test_on_a_busy_cluster_documents_are_taken_whole_with_the_same_segments(key_prefix):
    name = "fek_1_Pres_Decree.pdf"
    config = CONFIG.model_copy(update={"max_running_jobs": 3, "whole_document_pages": 256})

    async def scenario(store: JobStore, _: Dispatcher) -> None:
        runner = JobRunner(store, config)
        runner.running_jobs = 1  # of 2 CPUs (conftest): the document is split
        assert runner._head_pages(workers=2, ocr=False) == config.min_pages_per_task
        runner.running_jobs = 2
        assert runner._head_pages(workers=2, ocr=False) == 256
        assert runner._head_pages(workers=2, ocr=True) == config.min_pages_per_task  # rendered pages are big
        jobs = [await submit_file(store, name, DocType.PDF, maxsize=800) for _ in range(3)]
        expected = [d.body for d in segment_document(corpus_file(name).read_bytes(), DocType.PDF,
                                                     ParseOptions(maxsize=800))]
        for job in jobs:  # run two or three at once on 2 CPUs: taken whole, or split if one ran alone
            done = await finished(store, job.id)
            assert done.status == JobStatus.COMPLETED and done.pages_done == 100, done.error
            assert [s.body for s in await store.segments(done.documentid)] == expected

    with_dispatcher(key_prefix, scenario, config)


def test_a_document_too_long_to_hold_is_assembled_range_by_range_into_the_same_segments(key_prefix):
    name = "pypdf_GeoTopo-komprimiert.pdf"  # 117 pages: 15 page-range tasks of at most 8
    config = CONFIG.model_copy(update={"assembly_hold_pages": 0})
    options = ParseOptions(maxsize=150)  # more segments than one part holds: the result comes in parts

    async def scenario(store: JobStore, _: Dispatcher) -> None:
        job, _ = await store.submit(
            tenant="acme", ip="127.0.0.1", filename=name, data=corpus_file(name).read_bytes(),
            doctype=DocType.PDF, options=options, callbackurl=None,
        )
        done = await finished(store, job.id)
        assert done.status == JobStatus.COMPLETED and done.pages_done == 117, done.error
        segments = await store.segments(done.documentid)
        expected = segment_document(corpus_file(name).read_bytes(), DocType.PDF, options)
        assert len(expected) > 2 * SEGMENTS_PER_PART
        assert [(s.ordinal, s.body, s.pagenr, s.title) for s in segments] == [
            (d.ordinal, d.body, d.pagenr, d.title) for d in expected
        ]
        assert not await store.redis.exists(*store.keys.staged(done.id, done.attempt))

    with_dispatcher(key_prefix, scenario, config)


def test_bad_documents_fail_with_a_reason_and_others_still_complete(key_prefix):
    async def scenario(store: JobStore, _: Dispatcher) -> None:
        encrypted = await submit_file(store, "pdfminer_aes-256.pdf", DocType.PDF)
        broken = await submit_file(store, "ocrmypdf_invalid.pdf", DocType.PDF)
        good = await submit_file(store, "pypdf_multicolumn.pdf", DocType.PDF)
        assert "encrypted" in (await finished(store, encrypted.id)).error
        assert "cannot be opened" in (await finished(store, broken.id)).error
        assert (await finished(store, good.id)).status == JobStatus.COMPLETED
        for job_id in (encrypted.id, broken.id):
            job = await store.job(job_id)
            assert job.status == JobStatus.FAILED and job.completed is not None
            assert await store.upload(job.documentid) is None

    with_dispatcher(key_prefix, scenario)


def test_text_job(key_prefix):
    async def scenario(store: JobStore, _: Dispatcher) -> None:
        job = await submit_file(store, "fek_decision_6.txt", DocType.TXT, maxsize=400)
        done = await finished(store, job.id)
        assert done.status == JobStatus.COMPLETED
        segments = await store.segments(done.documentid)
        text = corpus_file("fek_decision_6.txt").read_text(encoding="utf-8")
        assert [w for s in segments for w in s.body.split()] == text.split()

    with_dispatcher(key_prefix, scenario)


async def stopped_mid_job(store: JobStore, dispatcher: Dispatcher, name: str, stop) -> JobRecord:
    """Submit a document, wait until its job runs, `stop` it (cancel or delete), wait for its runner to go."""
    job = await submit_file(store, name, DocType.PDF, maxsize=200)

    async def processing():
        return (await store.job(job.id)).status == JobStatus.PROCESSING

    await wait_until(processing, what="the job to start")
    await stop(job.id, "acme")

    async def runner_gone():
        return job.id not in dispatcher.running

    await wait_until(runner_gone, what="the runner to stop")
    return job


def test_cancel_stops_a_running_job(key_prefix):
    async def scenario(store: JobStore, dispatcher: Dispatcher) -> None:
        job = await stopped_mid_job(store, dispatcher, "pypdf_GeoTopo-komprimiert.pdf", store.cancel)
        stored = await store.job(job.id)
        assert stored.status == JobStatus.CANCELED
        assert await store.redis.hlen(store.keys.segments(job.documentid)) == 0

    with_dispatcher(key_prefix, scenario)


def test_jobs_of_a_dead_dispatcher_are_taken_over(key_prefix):
    async def scenario(store: JobStore) -> None:
        queue = JobQueue(store.redis, store.keys)
        await queue.ensure_group()
        job = await submit_file(store, "pypdf_multicolumn.pdf", DocType.PDF)
        # A dispatcher read the job and died while running it: entry pending, job PROCESSING.
        assert [j for _, j in await queue.read(CONSUMER, 10, 100)] == [job.id]
        orphan = await store.claim(job.id)
        dispatcher = Dispatcher(queue, JobRunner(store, CONFIG), CONFIG)
        dispatcher.start()
        try:
            done = await finished(store, job.id)
        finally:
            await dispatcher.stop()
        assert done.status == JobStatus.COMPLETED and done.attempt == orphan.attempt + 1
        assert await queue.depth() == 0

    run_with_store(key_prefix, scenario)


def test_pypdfium2_job_fans_out_over_page_ranges(key_prefix):
    name = "fek_1_Pres_Decree.pdf"

    async def scenario(store: JobStore, _: Dispatcher) -> None:
        job, _ = await store.submit(
            tenant="acme", ip="127.0.0.1", filename=name, data=corpus_file(name).read_bytes(),
            doctype=DocType.PDF, options=ParseOptions(maxsize=800, pdf_parsing_backend=PdfBackend.PYPDFIUM2),
            callbackurl=None,
        )
        done = await finished(store, job.id)
        assert done.status == JobStatus.COMPLETED and done.pages_done == 100, done.error
        segments = await store.segments(done.documentid)
        options = ParseOptions(maxsize=800, pdf_parsing_backend=PdfBackend.PYPDFIUM2)
        expected = segment_document(corpus_file(name).read_bytes(), DocType.PDF, options)
        assert [s.body for s in segments] == [d.body for d in expected]
        assert segments[-1].pagenr > 90

    with_dispatcher(key_prefix, scenario)


def test_delete_of_a_running_job_stops_it_and_leaves_no_key(key_prefix):
    async def scenario(store: JobStore, dispatcher: Dispatcher) -> None:
        job = await stopped_mid_job(store, dispatcher, "fek_1_Pres_Decree.pdf", store.delete)
        await asyncio.sleep(1.0)  # anything the stopped runner still wrote would be there by now
        leftovers = [k.decode() async for k in store.redis.scan_iter(f"{key_prefix}:*")]
        assert not [k for k in leftovers if job.id in k or job.documentid in k], leftovers
        assert await store.jobs("acme") == []

    with_dispatcher(key_prefix, scenario)


def test_a_cancelled_job_stops_within_a_second(key_prefix):
    async def scenario(store: JobStore, dispatcher: Dispatcher) -> None:
        cancelled_at: list[float] = []

        async def cancel(job_id: str, tenant: str) -> None:
            cancelled_at.append(time.monotonic())
            await store.cancel(job_id, tenant)

        await stopped_mid_job(store, dispatcher, "fek_1_Pres_Decree.pdf", cancel)
        stopped = time.monotonic() - cancelled_at[0]
        print(f"runner stopped {stopped:.2f} s after the cancel")
        assert stopped < 1.0  # the promise; the runner looks every 0.25 s

    with_dispatcher(key_prefix, scenario, CONFIG.model_copy(update={"check_seconds": WorkConfig().check_seconds}))
