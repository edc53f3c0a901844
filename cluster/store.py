"""The Redis job store: the single source of truth for jobs, documents, segments and the queue.

Every status change goes through `_transition`, which checks the transition table and, for
runners, the attempt number, inside a WATCH/MULTI transaction: a terminal job never changes again
and a runner that lost its lease cannot overwrite the one that replaced it.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from cluster import callbacks, metrics
from cluster.errors import (
    DocumentNotFound,
    ImageNotFound,
    InvalidTransition,
    JobNotFound,
    SegmentNotFound,
    StaleAttempt,
)
from cluster.keys import Keys
from cluster.queue import JobQueue
from cluster.records import DocumentRecord, JobRecord, SegmentRecord, utcnow
from cluster.status import TERMINAL, TRANSITIONS, DocumentStatus, JobStatus
from segmentation import DocType, ParseOptions
from segmentation.models import ProcessedDocument

_SEGMENT_NAMESPACE = uuid.UUID("6f1d7a52-3f0c-4d8e-9a57-2b8f0c7e4d11")

# Segments are read back in order this many at a time (answers and callback bodies stream them).
SEGMENT_BATCH = 500
# Bytes written for a submit that never happened (its process died) are gone after this long.
UNSUBMITTED_UPLOAD_SECONDS = 3600
# A run's staged result outlives the run by at most this long (the run died before completing).
STAGED_SECONDS = 24 * 3600

# Extra writes made in the same transaction as a status change.
ExtraWrites = Callable[[Pipeline, JobRecord], None]


def segment_id(document_id: str, ordinal: int) -> str:
    """Deterministic, so a job that is processed twice writes the same segments, not new ones."""
    return uuid.uuid5(_SEGMENT_NAMESPACE, f"{document_id}:{ordinal}").hex


def _require_processing(job: JobRecord) -> None:
    """A runner may write only while its job is PROCESSING (not cancelled, not finished)."""
    if job.status != JobStatus.PROCESSING:
        raise InvalidTransition(job.id, job.status, JobStatus.PROCESSING)


class JobStore:
    """Reads and writes jobs, documents and segments. `tenant=None` means an admin sees all."""

    def __init__(self, redis: Redis, keys: Keys, progress_callback_interval: float = 2.0) -> None:
        self.redis = redis
        self.keys = keys
        self.progress_callback_interval = progress_callback_interval

    @classmethod
    def from_url(cls, url: str, prefix: str, progress_callback_interval: float = 2.0) -> JobStore:
        return cls(Redis.from_url(url), Keys(prefix), progress_callback_interval)

    async def close(self) -> None:
        await self.redis.aclose()

    # -- submitting -------------------------------------------------------------------------

    async def submit(
        self,
        *,
        tenant: str,
        ip: str,
        filename: str,
        data: bytes | AsyncIterable[bytes],
        doctype: DocType,
        options: ParseOptions,
        callbackurl: str | None,
        password: str | None = None,
    ) -> tuple[JobRecord, DocumentRecord]:
        """Store the document, its bytes and its job, and queue the job.

        The bytes (given whole, or in chunks so a large upload is never held whole) are written
        first, with an expiry; the transaction that stores the document and the job and queues it
        keeps them. If this process dies in between, the bytes expire and nothing was accepted.
        """
        now = utcnow()
        job_id, document_id = uuid.uuid4().hex, uuid.uuid4().hex
        filesize = await self._write_upload(self.keys.upload(document_id), data)
        document = DocumentRecord(
            id=document_id, tenant=tenant, jobid=job_id, status=DocumentStatus.NEW,
            created=now, updated=now, filename=filename, filesize=filesize,
            mimetype=doctype.mimetype, doctype=doctype,
            options_json=DocumentRecord.dump_options(options),
        )
        job = JobRecord(
            id=job_id, tenant=tenant, ip=ip, documentid=document_id, status=JobStatus.NEW,
            created=now, updated=now, maxsize=options.maxsize, callbackurl=callbackurl,
        )
        queued = job.model_copy(update={"status": JobStatus.PENDING})
        score = now.timestamp()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.document(document_id), mapping=document.to_hash())
            pipe.persist(self.keys.upload(document_id))
            if password:
                pipe.set(self.keys.upload_password(document_id), password)
            pipe.hset(self.keys.job(job_id), mapping=job.to_hash())
            for index in (self.keys.jobs_index(tenant), self.keys.jobs_index()):
                pipe.zadd(index, {job_id: score})
            for index in (self.keys.documents_index(tenant), self.keys.documents_index()):
                pipe.zadd(index, {document_id: score})
            pipe.xadd(self.keys.queue, {"job": job_id})
            pipe.hset(self.keys.job(job_id), "status", JobStatus.PENDING.value)
            await pipe.execute()
        return queued, document

    async def _write_upload(self, key: str, data: bytes | AsyncIterable[bytes]) -> int:
        """Write the upload's bytes to `key`, expiring unless a submit keeps them; returns their size."""
        if isinstance(data, bytes):
            await self.redis.set(key, data, ex=UNSUBMITTED_UPLOAD_SECONDS)
            return len(data)
        size = 0
        async for chunk in data:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.append(key, chunk)
                pipe.expire(key, UNSUBMITTED_UPLOAD_SECONDS)
                await pipe.execute()
            size += len(chunk)
        return size

    # -- reading ----------------------------------------------------------------------------

    async def job(self, job_id: str, tenant: str | None = None) -> JobRecord:
        raw = await self.redis.hgetall(self.keys.job(job_id))
        if not raw:
            raise JobNotFound(job_id)
        job = JobRecord.from_hash(raw)
        if tenant is not None and job.tenant != tenant:
            raise JobNotFound(job_id)
        return job

    async def document(self, document_id: str, tenant: str | None = None) -> DocumentRecord:
        raw = await self.redis.hgetall(self.keys.document(document_id))
        if not raw:
            raise DocumentNotFound(document_id)
        document = DocumentRecord.from_hash(raw)
        if tenant is not None and document.tenant != tenant:
            raise DocumentNotFound(document_id)
        return document

    async def _hashes(self, index: str, key_of: Callable[[str], str]) -> list[dict[Any, Any]]:
        ids = [i.decode() for i in await self.redis.zrange(index, 0, -1)]
        async with self.redis.pipeline(transaction=False) as pipe:
            for item_id in ids:
                pipe.hgetall(key_of(item_id))
            return [raw for raw in await pipe.execute() if raw]

    async def jobs(self, tenant: str | None = None) -> list[JobRecord]:
        """The tenant's jobs (every job for None), oldest first."""
        raws = await self._hashes(self.keys.jobs_index(tenant), self.keys.job)
        return [JobRecord.from_hash(raw) for raw in raws]

    async def documents(self, tenant: str | None = None) -> list[DocumentRecord]:
        raws = await self._hashes(self.keys.documents_index(tenant), self.keys.document)
        return [DocumentRecord.from_hash(raw) for raw in raws]

    async def segments(self, document_id: str, tenant: str | None = None) -> list[SegmentRecord]:
        """The document's segments in order (empty until its job completes)."""
        await self.document(document_id, tenant)
        return [
            SegmentRecord.model_validate_json(raw)
            async for batch in self.segment_json_batches(document_id)
            for raw in batch
        ]

    async def segment_json_batches(
        self, document_id: str, batch: int = SEGMENT_BATCH
    ) -> AsyncIterator[list[bytes]]:
        """The document's segments as their stored JSON, in order, `batch` at a time.

        For answers that stream the segments instead of holding them all: the ids follow from the
        ordinals, which run from 0 without a gap, so no listing or sorting of the whole set is needed.
        """
        async for found in self._segments_in_order(self.keys.segments(document_id), document_id, batch):
            yield found

    async def _segments_in_order(
        self, key: str, document_id: str, batch: int = SEGMENT_BATCH
    ) -> AsyncIterator[list[bytes]]:
        """The segment JSON in the hash `key`, by ordinal, `batch` at a time."""
        for start in itertools.count(0, batch):
            ids = [segment_id(document_id, ordinal) for ordinal in range(start, start + batch)]
            found = list(itertools.takewhile(lambda raw: raw is not None, await self.redis.hmget(key, ids)))
            if found:
                yield found
            if len(found) < batch:
                return

    async def segment(
        self, document_id: str, segment_id: str, tenant: str | None = None
    ) -> SegmentRecord:
        await self.document(document_id, tenant)
        raw = await self.redis.hget(self.keys.segments(document_id), segment_id)
        if raw is None:
            raise SegmentNotFound(f"{document_id}/{segment_id}")
        return SegmentRecord.model_validate_json(raw)

    async def image(
        self, document_id: str, image_id: str, tenant: str | None = None
    ) -> tuple[bytes, str]:
        """An extracted image's bytes and content type."""
        await self.document(document_id, tenant)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(self.keys.image_data(document_id), image_id)
            pipe.hget(self.keys.images(document_id), image_id)
            data, meta = await pipe.execute()
        if data is None or meta is None:
            raise ImageNotFound(f"{document_id}/{image_id}")
        return bytes(data), str(json.loads(meta)["content_type"])

    async def upload(self, document_id: str) -> bytes | None:
        data = await self.redis.get(self.keys.upload(document_id))
        return bytes(data) if data is not None else None

    async def queue_depth(self) -> int:
        """Jobs queued or running: what backpressure counts."""
        return await JobQueue(self.redis, self.keys).depth()

    async def upload_password(self, document_id: str) -> str | None:
        password = await self.redis.get(self.keys.upload_password(document_id))
        return bytes(password).decode() if password is not None else None

    def _drop_upload(self, pipe: Pipeline, document_id: str) -> None:
        """The upload (and its password) is needed only until the job ends."""
        pipe.delete(self.keys.upload(document_id), self.keys.upload_password(document_id))

    # -- the one place status changes -------------------------------------------------------

    async def _transition(
        self,
        job_id: str,
        target: JobStatus | None,
        *,
        tenant: str | None = None,
        attempt: int | None = None,
        fields: Mapping[str, Any] | None = None,
        extra: ExtraWrites | None = None,
    ) -> JobRecord:
        """Move a job to `target` (None: stay PROCESSING and only write `fields`), atomically.

        `attempt` fences runners: the write happens only while the job's attempt is still theirs.
        """
        key = self.keys.job(job_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    raw = await pipe.hgetall(key)
                    if not raw:
                        raise JobNotFound(job_id)
                    job = JobRecord.from_hash(raw)
                    if tenant is not None and job.tenant != tenant:
                        raise JobNotFound(job_id)
                    if attempt is not None and job.attempt != attempt:
                        raise StaleAttempt(f"job {job_id} attempt {attempt} is stale")
                    if target is None:
                        _require_processing(job)
                    elif target not in TRANSITIONS[job.status]:
                        raise InvalidTransition(job_id, job.status, target)
                    now = utcnow()
                    update: dict[str, Any] = {"updated": now, **(fields or {})}
                    if target is not None:
                        update["status"] = target
                        if target in TERMINAL:
                            update["completed"] = now
                    changed = job.model_copy(update=update)
                    pipe.multi()
                    pipe.hset(key, mapping=changed.to_hash())
                    if extra is not None:
                        extra(pipe, changed)
                    await pipe.execute()
                    if target in TERMINAL:
                        metrics.JOBS.inc(1, tags={"status": target.value})
                    return changed
                except WatchError:
                    continue

    # -- clients ----------------------------------------------------------------------------

    async def cancel(self, job_id: str, tenant: str | None = None) -> JobRecord:
        """Cancel a job that has not ended; a finished job raises InvalidTransition."""

        def also(pipe: Pipeline, job: JobRecord) -> None:
            pipe.hset(self.keys.document(job.documentid), mapping={
                "status": DocumentStatus.CANCELED.value, "updated": job.updated.isoformat()})
            self._drop_upload(pipe, job.documentid)
            callbacks.enqueue(pipe, self.keys, job, callbacks.payload(job))

        return await self._transition(job_id, JobStatus.CANCELED, tenant=tenant, extra=also)

    async def delete(self, job_id: str, tenant: str | None = None) -> None:
        """Delete a job with its document, upload and segments; a running job is cancelled first."""
        job = await self.job(job_id, tenant)
        if job.status not in TERMINAL:
            try:
                job = await self.cancel(job_id, tenant)
            except InvalidTransition:
                job = await self.job(job_id, tenant)  # it ended meanwhile; delete it as it is
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(
                self.keys.job(job.id),
                self.keys.document(job.documentid),
                self.keys.upload(job.documentid),
                self.keys.upload_password(job.documentid),
                *self.keys.result(job.documentid),
                *self.keys.staged(job.id, job.attempt),  # written by a run that is being stopped
                self.keys.callback_throttle(job.id),
            )
            for index in (self.keys.jobs_index(job.tenant), self.keys.jobs_index()):
                pipe.zrem(index, job.id)
            for index in (self.keys.documents_index(job.tenant), self.keys.documents_index()):
                pipe.zrem(index, job.documentid)
            await pipe.execute()

    # -- runners ----------------------------------------------------------------------------

    async def claim(self, job_id: str) -> JobRecord:
        """Take a PENDING job (or one whose runner died) for a new runner: bumps `attempt`."""
        job = await self.job(job_id)
        return await self._transition(
            job_id, JobStatus.PROCESSING, attempt=job.attempt,
            fields={"attempt": job.attempt + 1, "started": utcnow()},
        )

    async def check_owner(self, job: JobRecord) -> None:
        """Raise unless the job is still PROCESSING under this runner's attempt (cancel, delete, takeover)."""
        current = await self.job(job.id)
        if current.attempt != job.attempt:
            raise StaleAttempt(f"job {job.id} attempt {job.attempt} is stale")
        _require_processing(current)

    async def report_progress(
        self, job: JobRecord, pages_done: int, pages_total: int
    ) -> JobRecord:
        """Record finished pages; progress never goes backwards and stays below 100 until done."""
        progress = max(job.progress, min(99, pages_done * 100 // max(pages_total, 1)))
        notify = await callbacks.progress_due(self.redis, self.keys, job, self.progress_callback_interval)

        def also(pipe: Pipeline, changed: JobRecord) -> None:
            if notify:
                callbacks.enqueue(pipe, self.keys, changed, callbacks.payload(changed))

        return await self._transition(
            job.id, None, attempt=job.attempt,
            fields={"progress": progress, "pages_done": pages_done, "pages_total": pages_total}, extra=also,
        )

    async def stage(self, job: JobRecord, part: ProcessedDocument, timeit: float) -> None:
        """Write a part of the job's result (segments, images) beside the job, for `complete` to publish.

        A long document's result comes in parts, each written as it arrives, so no process holds all
        of it. The parts belong to this run (job and attempt): a run that was replaced or died cannot
        mix its parts into another's, and what it left expires.
        """
        now, seconds = utcnow(), round(timeit)
        records = {
            segment_id(job.documentid, d.ordinal): SegmentRecord(
                id=segment_id(job.documentid, d.ordinal), documentid=job.documentid,
                body=d.body, pagenr=d.pagenr, group=d.group, title=d.title, tags=list(d.tags), lang=d.lang,
                created=now, updated=now, timeit=seconds, ordinal=d.ordinal,
            ).model_dump_json()
            for d in part.segments
        }
        staged = self.keys.staged(job.id, job.attempt)
        async with self.redis.pipeline(transaction=False) as pipe:
            if records:
                pipe.hset(staged.segments, mapping=records)
            if part.images:
                pipe.hset(staged.image_data, mapping={image.id: image.data for image in part.images})
                pipe.hset(staged.images, mapping={
                    image.id: json.dumps({"content_type": image.content_type, "page": image.page,
                                          "width": image.width, "height": image.height})
                    for image in part.images
                })
            for key in staged:
                pipe.expire(key, STAGED_SECONDS)
            await pipe.execute()

    async def drop_staged(self, job: JobRecord) -> None:
        """Forget what a run that will not complete had written."""
        staged = self.keys.staged(job.id, job.attempt)
        await self.redis.delete(*staged)

    async def complete(
        self, job: JobRecord, timeit: float, pages: int | None = None, pages_without_text: int = 0
    ) -> JobRecord:
        """Publish the staged result, mark the job COMPLETED and its document PROCESSED, atomically.

        `pages`, the document's page count, is recorded as done and total (a document parsed in one
        task reported no progress on the way).
        """
        seconds = round(timeit)
        staged = self.keys.staged(job.id, job.attempt)
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in staged:
                pipe.exists(key)
            present = {key for key, found in zip(staged, await pipe.execute(), strict=True) if found}
        # The receiver gets the segments in the callback's body (the one place the whole result is
        # held: as the stored JSON, not as objects).
        segments = (
            [raw async for batch in self._segments_in_order(staged.segments, job.documentid) for raw in batch]
            if job.callbackurl else None
        )

        def also(pipe: Pipeline, done: JobRecord) -> None:
            published = self.keys.result(done.documentid)
            for staged_key, key in zip(staged, published, strict=True):
                pipe.delete(key)
                if staged_key in present:
                    pipe.rename(staged_key, key)
                    pipe.persist(key)  # a renamed key keeps its expiry; a published result has none
            pipe.hset(self.keys.document(done.documentid), mapping={
                "status": DocumentStatus.PROCESSED.value, "updated": done.updated.isoformat()})
            self._drop_upload(pipe, done.documentid)
            if segments is not None:
                callbacks.enqueue(pipe, self.keys, done, callbacks.payload(done, segments))

        return await self._transition(
            job.id, JobStatus.COMPLETED, attempt=job.attempt,
            fields={"progress": 100, "timeit": seconds, "pages_without_text": pages_without_text,
                    **({"pages_done": pages, "pages_total": pages} if pages is not None else {})},
            extra=also,
        )

    async def fail(self, job: JobRecord, reason: str, timeit: float | None = None) -> JobRecord:
        """Mark the job FAILED with a reason a user can read; its upload is dropped."""

        def also(pipe: Pipeline, failed: JobRecord) -> None:
            self._drop_upload(pipe, failed.documentid)
            callbacks.enqueue(pipe, self.keys, failed, callbacks.payload(failed))

        fields: dict[str, Any] = {"error": reason}
        if timeit is not None:
            fields["timeit"] = round(timeit)
        return await self._transition(
            job.id, JobStatus.FAILED, attempt=job.attempt, fields=fields, extra=also
        )
