"""The job store against the real Redis: transactions, transitions, fencing, tenancy, deletion."""

from __future__ import annotations

import asyncio

import pytest

from cluster.errors import DocumentNotFound, InvalidTransition, JobNotFound, StaleAttempt
from cluster.queue import JobQueue
from cluster.records import JobRecord, SegmentRecord
from cluster.status import TERMINAL, TRANSITIONS, DocumentStatus, JobStatus, sources_of
from cluster.store import STAGED_SECONDS, JobStore
from segmentation import DocType, ParseOptions, SegmentDraft
from segmentation.models import PageImage, ProcessedDocument
from tests.integration.conftest import run_with_store


async def submit(store: JobStore, tenant: str = "acme", data: bytes = b"hello world"):
    return await store.submit(
        tenant=tenant, ip="10.0.0.1", filename="a.txt", data=data, doctype=DocType.TXT,
        options=ParseOptions(maxsize=300), callbackurl=None,
    )


def result(drafts: list[SegmentDraft], with_image: bool = False) -> ProcessedDocument:
    images = [PageImage("p1-x5", 1, b"\x89PNG...", "image/png", 10, 10)] if with_image else []
    return ProcessedDocument(segments=drafts, pages_without_text=0, images=images)


async def complete(store: JobStore, job: JobRecord, done: ProcessedDocument, timeit: float) -> JobRecord:
    """What a runner does with a one-part result."""
    await store.stage(job, done, timeit)
    return await store.complete(job, timeit)


def test_terminal_statuses_have_no_way_out():
    assert all(not TRANSITIONS[s] for s in TERMINAL)
    assert sources_of(JobStatus.CANCELED) == {JobStatus.NEW, JobStatus.PENDING, JobStatus.PROCESSING}


def test_submit_stores_everything_and_queues_the_job(key_prefix):
    async def scenario(store: JobStore) -> None:
        job, document = await submit(store)
        assert job.status == JobStatus.PENDING
        stored = await store.job(job.id)
        assert stored.status == JobStatus.PENDING and stored.ip == "10.0.0.1" and stored.maxsize == 300
        assert (await store.document(document.id)).options == ParseOptions(maxsize=300)
        assert await store.upload(document.id) == b"hello world"
        queue = JobQueue(store.redis, store.keys)
        await queue.ensure_group()
        assert [job_id for _, job_id in await queue.read("c", 10, 10)] == [job.id]

    run_with_store(key_prefix, scenario)


def test_tenants_see_only_their_own(key_prefix):
    async def scenario(store: JobStore) -> None:
        mine, my_doc = await submit(store, "acme")
        theirs, _ = await submit(store, "globex")
        assert [j.id for j in await store.jobs("acme")] == [mine.id]
        assert {j.id for j in await store.jobs(None)} == {mine.id, theirs.id}
        with pytest.raises(JobNotFound):
            await store.job(theirs.id, "acme")
        with pytest.raises(JobNotFound):
            await store.cancel(theirs.id, "acme")
        with pytest.raises(DocumentNotFound):
            await store.segments(my_doc.id, "globex")
        assert (await store.job(theirs.id, "globex")).status == JobStatus.PENDING

    run_with_store(key_prefix, scenario)


def test_runner_lifecycle_and_fencing(key_prefix):
    async def scenario(store: JobStore) -> None:
        job, document = await submit(store)
        first = await store.claim(job.id)
        assert (first.status, first.attempt) == (JobStatus.PROCESSING, 1)
        first = await store.report_progress(first, 1, 4)
        assert first.progress == 25
        # A second runner takes over (the first one's lease ran out): the first is fenced out.
        second = await store.claim(job.id)
        assert second.attempt == 2
        with pytest.raises(StaleAttempt):
            await store.report_progress(first, 2, 4)
        with pytest.raises(StaleAttempt):
            await complete(store, first, result([]), 1.0)
        with pytest.raises(StaleAttempt):
            await store.check_owner(first)
        await store.check_owner(second)
        drafts = [SegmentDraft(ordinal=i, body=f"body {i}", pagenr=1, title=None, group=None) for i in range(3)]
        done = await complete(store, second, result(drafts), 2.4)
        assert (done.status, done.progress, done.timeit) == (JobStatus.COMPLETED, 100, 2)
        assert done.completed is not None
        segments = await store.segments(document.id)
        assert [s.body for s in segments] == ["body 0", "body 1", "body 2"]
        assert (await store.segment(document.id, segments[1].id)).ordinal == 1
        assert (await store.document(document.id)).status == DocumentStatus.PROCESSED
        assert await store.upload(document.id) is None  # bytes kept only until the job ends
        with pytest.raises(InvalidTransition):
            await store.cancel(job.id)
        assert (await store.job(job.id)).status == JobStatus.COMPLETED

    run_with_store(key_prefix, scenario)


def test_progress_never_goes_backwards(key_prefix):
    async def scenario(store: JobStore) -> None:
        job, _ = await submit(store)
        claimed = await store.claim(job.id)
        claimed = await store.report_progress(claimed, 3, 4)
        claimed = await store.report_progress(claimed, 1, 4)
        assert (await store.job(job.id)).progress == 75

    run_with_store(key_prefix, scenario)


def test_cancelled_job_refuses_runner_writes(key_prefix):
    async def scenario(store: JobStore) -> None:
        job, document = await submit(store)
        claimed = await store.claim(job.id)
        cancelled = await store.cancel(job.id, "acme")
        assert cancelled.status == JobStatus.CANCELED and cancelled.completed is not None
        with pytest.raises(InvalidTransition):
            await complete(store, claimed, result([]), 1.0)
        with pytest.raises(InvalidTransition):
            await store.report_progress(claimed, 1, 2)
        with pytest.raises(InvalidTransition):
            await store.check_owner(claimed)
        assert (await store.document(document.id)).status == DocumentStatus.CANCELED
        with pytest.raises(InvalidTransition):
            await store.claim(job.id)

    run_with_store(key_prefix, scenario)


def test_failed_job_keeps_its_reason(key_prefix):
    async def scenario(store: JobStore) -> None:
        job, _ = await submit(store)
        claimed = await store.claim(job.id)
        failed = await store.fail(claimed, "the PDF is encrypted and needs a password", 0.2)
        stored = await store.job(job.id)
        assert stored.status == JobStatus.FAILED == failed.status
        assert stored.error == "the PDF is encrypted and needs a password"

    run_with_store(key_prefix, scenario)


def test_delete_leaves_no_key_behind(key_prefix):
    async def scenario(store: JobStore) -> None:
        job, document = await submit(store)
        claimed = await store.claim(job.id)
        await complete(store, claimed, result([SegmentDraft(0, "x", 1, None, None)], with_image=True), 0.1)
        assert await store.image(document.id, "p1-x5", "acme") == (b"\x89PNG...", "image/png")
        running, _ = await submit(store)
        await store.claim(running.id)
        for job_id in (job.id, running.id):
            await store.delete(job_id, "acme")
        leftovers = [k.decode() async for k in store.redis.scan_iter(f"{key_prefix}:*")]
        # Only the shared queue stream and empty indexes may remain; no key names a job or document.
        assert all(job.id not in k and document.id not in k for k in leftovers)
        assert await store.jobs("acme") == []
        with pytest.raises(JobNotFound):
            await store.job(job.id)

    run_with_store(key_prefix, scenario)


def test_racing_claims_never_share_an_attempt(key_prefix):
    async def scenario(store: JobStore) -> None:
        job, _ = await submit(store)
        results = await asyncio.gather(*(store.claim(job.id) for _ in range(5)), return_exceptions=True)
        winners = [r.attempt for r in results if not isinstance(r, BaseException)]
        losers = [r for r in results if isinstance(r, BaseException)]
        assert winners and len(set(winners)) == len(winners)
        assert all(isinstance(e, StaleAttempt) for e in losers)
        assert (await store.job(job.id)).attempt == max(winners)

    run_with_store(key_prefix, scenario)


def test_an_uploads_password_lives_exactly_as_long_as_the_upload(key_prefix):
    async def scenario(store: JobStore) -> None:
        for end in ("complete", "fail", "cancel"):
            job, document = await store.submit(
                tenant="acme", ip="10.0.0.1", filename="a.pdf", data=b"%PDF-", doctype=DocType.PDF,
                options=ParseOptions(), callbackurl=None, password="s3cret",
            )
            assert await store.upload_password(document.id) == "s3cret"
            if end == "cancel":
                await store.cancel(job.id)
            else:
                claimed = await store.claim(job.id)
                if end == "complete":
                    await complete(store, claimed, result([]), 0.1)
                else:
                    await store.fail(claimed, "broken")
            assert await store.upload_password(document.id) is None
            assert await store.upload(document.id) is None

    run_with_store(key_prefix, scenario)


def test_a_result_staged_in_parts_is_published_whole_and_only_on_completion(key_prefix):
    async def scenario(store: JobStore) -> None:
        job, document = await submit(store)
        claimed = await store.claim(job.id)
        drafts = [SegmentDraft(i, f"segment {i}", i + 1, None, None) for i in range(5)]
        await store.stage(claimed, result(drafts[:2], with_image=True), 0.1)
        await store.stage(claimed, result(drafts[2:]), 0.2)
        assert await store.segments(document.id) == []  # nothing is visible before the job completes
        await store.complete(claimed, 0.3, pages=5)
        assert [s.body for s in await store.segments(document.id)] == [d.body for d in drafts]
        assert await store.image(document.id, "p1-x5") == (b"\x89PNG...", "image/png")
        for key in store.keys.result(document.id):
            assert await store.redis.ttl(key) == -1  # published for good: the staging expiry is gone
        assert not await store.redis.exists(*store.keys.staged(job.id, claimed.attempt))

    run_with_store(key_prefix, scenario)


def test_a_replaced_run_cannot_publish_its_parts_and_what_it_staged_expires(key_prefix):
    async def scenario(store: JobStore) -> None:
        job, document = await submit(store)
        first = await store.claim(job.id)
        await store.stage(first, result([SegmentDraft(0, "from the first run", 1, None, None)]), 0.1)
        second = await store.claim(job.id)  # the first runner was taken for dead
        await store.stage(second, result([SegmentDraft(0, "from the second run", 1, None, None)]), 0.1)
        with pytest.raises(StaleAttempt):
            await store.complete(first, 0.2)
        await store.complete(second, 0.2)
        assert [s.body for s in await store.segments(document.id)] == ["from the second run"]
        left = store.keys.staged(job.id, first.attempt)
        assert 0 < await store.redis.ttl(left.segments) <= STAGED_SECONDS
        await store.drop_staged(first)
        assert not await store.redis.exists(*left)

    run_with_store(key_prefix, scenario)


def test_segments_are_read_back_in_order_a_batch_at_a_time(key_prefix):
    async def scenario(store: JobStore) -> None:
        for count in (0, 4, 5):
            job, document = await submit(store)
            claimed = await store.claim(job.id)
            drafts = [SegmentDraft(i, f"segment {i}", 1, None, None) for i in range(count)]
            await complete(store, claimed, result(drafts[::-1]), 0.1)  # stored in any order
            batches = [batch async for batch in store.segment_json_batches(document.id, batch=2)]
            assert [len(batch) for batch in batches] == [2] * (count // 2) + [1] * (count % 2)
            records = [SegmentRecord.model_validate_json(raw) for batch in batches for raw in batch]
            assert records == await store.segments(document.id)
            assert [r.body for r in records] == [f"segment {i}" for i in range(count)]

    run_with_store(key_prefix, scenario)


def test_an_upload_given_in_chunks_is_stored_whole_and_kept(key_prefix):
    parts = [b"%PDF-1.7\n", b"\x00" * 100_000, b"%%EOF\n"]

    async def chunks():
        for part in parts:
            yield part

    async def scenario(store: JobStore) -> None:
        _, document = await store.submit(
            tenant="acme", ip="10.0.0.1", filename="a.pdf", data=chunks(), doctype=DocType.PDF,
            options=ParseOptions(), callbackurl=None,
        )
        assert await store.upload(document.id) == b"".join(parts)
        assert (await store.document(document.id)).filesize == sum(len(part) for part in parts)
        assert await store.redis.ttl(store.keys.upload(document.id)) == -1  # kept by the submit: no expiry

    run_with_store(key_prefix, scenario)
