"""Run one job on Ray: claim it, fan its pages out to tasks, reassemble, store the result.

The runner lives in the dispatcher's event loop and only orchestrates: the document bytes go into
the object store once, page ranges are parsed in Ray tasks, and the runner waits on their refs
without fetching them. The result comes back in parts, each staged in Redis as it arrives and
published with the job's completion, so neither the runner nor any task holds a long document whole.
Between waits it records progress, which doubles as the check that the job is still its own and
still wanted: a cancel, a delete or a newer runner stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from typing import Any

import ray
from ray import ObjectRefGenerator
from ray.exceptions import RayError, RayTaskError, WorkerCrashedError
from redis.exceptions import RedisError

from cluster import metrics, tasks
from cluster.config import OcrConfig, WorkConfig
from cluster.errors import ClusterError
from cluster.logs import job_fields
from cluster.ocr_pool import OcrPools
from cluster.records import DocumentRecord, JobRecord
from cluster.store import JobStore
from segmentation import PAGED_DOCTYPES, SegmentationError
from segmentation.document import unlock, wants_ocr
from segmentation.models import ImageExtraction, ProcessedDocument, RenderLimits

log = logging.getLogger(__name__)

WORKER_DIED = (
    "the process parsing the document died every time it was tried (out of memory, or a crash in a parser)"
)


def plan_ranges(pages: int, workers: int, config: WorkConfig) -> list[tuple[int, int]]:
    """Split pages into ranges: about two tasks per worker, within the configured bounds."""
    per_task = math.ceil(pages / max(1, 2 * workers))
    per_task = max(config.min_pages_per_task, min(config.max_pages_per_task, per_task))
    return [(start, min(start + per_task, pages)) for start in range(0, pages, per_task)]


def _start(task: Any, retries: int, *args: Any) -> Any:
    """Start a Ray task; Ray's stubs cannot type multi-return or variadic remote functions.

    SPREAD: a job's page ranges go to every node with room rather than filling the dispatcher's
    node first (Ray's default), so one large document uses the whole cluster.
    """
    return task.options(max_retries=retries, scheduling_strategy="SPREAD").remote(*args)


class OverLimit(SegmentationError):
    """The job went past a configured limit (pages, time); the message says which."""


def _user_message(exc: BaseException) -> str:
    """The reason a user sees: our own message for bad input, a short summary for crashes."""
    cause = exc.cause if isinstance(exc, RayTaskError) else exc
    if isinstance(cause, SegmentationError):
        return str(cause)
    if isinstance(cause, WorkerCrashedError):
        return WORKER_DIED
    return f"processing failed: {type(cause).__name__}"


def _cancel_unfinished(started: list[Any], force: bool) -> None:
    """Cancel the tasks (one ref or generator each) that have not finished.

    A finished task is left alone: Ray 2.60's driver can abort on a check ("Tried to complete task
    that was not pending") when a cancel, above all a forced one, races the task's completion.
    """
    if not started:
        return
    _, unfinished = ray.wait(started, num_returns=len(started), timeout=0, fetch_local=False)
    for ref in unfinished:
        ray.cancel(ref, force=force)


class _StagedResult:
    """A job's result as the runner receives it: each part goes to the store at once, and only the
    counts stay here."""

    def __init__(self, store: JobStore, job: JobRecord, started: float) -> None:
        self.store, self.job, self.started = store, job, started
        self.pages_without_text = 0

    async def add(self, part: ProcessedDocument) -> None:
        self.pages_without_text += part.pages_without_text
        await self.store.stage(self.job, part, time.monotonic() - self.started)


class JobRunner:
    def __init__(self, store: JobStore, config: WorkConfig, ocr: OcrConfig | None = None) -> None:
        self.store = store
        self.config = config
        self.ocr_config = ocr or OcrConfig()
        self.ocr_pools = OcrPools(self.ocr_config)
        self.running_jobs = 0  # jobs in `run` now: the dispatcher runs them all through this one runner

    def _workers(self) -> int:
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def _head_pages(self, workers: int, ocr: bool) -> int:
        """Pages the job's first task takes on; a document no longer than that needs no other task.

        While every CPU has a job of its own, splitting a document gains nothing and costs the
        pages' trip between processes (about a tenth of the work): the first task takes it whole.
        Not with OCR: a task renders its pages for OCR all at once (about 6 MB a page), and next to
        OCR the trip costs nothing.
        """
        if self.running_jobs >= workers and not ocr:
            return max(self.config.whole_document_pages, self.config.min_pages_per_task)
        return self.config.min_pages_per_task

    async def run(self, job_id: str) -> None:
        """Process a job to its end; returns quietly when the job is no longer this runner's."""
        self.running_jobs += 1
        try:
            await self._run(job_id)
        finally:
            self.running_jobs -= 1

    async def _run(self, job_id: str) -> None:
        try:
            job = await self.store.claim(job_id)
        except ClusterError as exc:  # cancelled, deleted or finished before it started
            log.info("job %s not started: %s", job_id, exc, extra=job_fields(job_id))
            return
        started = time.monotonic()
        outstanding: list[ray.ObjectRef] = []
        finished = force_cancel = False
        try:
            if job.attempt > self.config.max_attempts:
                # Every earlier run died with its process: this document may be what kills them.
                raise OverLimit(f"the job was started {self.config.max_attempts} times and never finished")
            document = await self.store.document(job.documentid)
            data = await self.store.upload(document.id)
            if data is None:
                await self.store.fail(job, "the uploaded bytes were lost before processing")
                return
            password = await self.store.upload_password(document.id)
            if password:
                data = await asyncio.to_thread(unlock, data, document.doctype, password)
            data_ref = ray.put(data)
            del data  # the tasks read the object store's copy; this one is not held for the rest of the job
            result = _StagedResult(self.store, job, started)
            pages = await self._process(job, document, data_ref, outstanding, result)
            elapsed = time.monotonic() - started
            await self.store.complete(job, elapsed, pages, result.pages_without_text)
            finished = True
            log.info("job %s completed: %d pages in %.2f s", job_id, pages, elapsed, extra=job_fields(job_id))
            metrics.JOB_SECONDS.observe(elapsed, tags={"status": "COMPLETED"})
            metrics.PAGE_SECONDS.observe(elapsed / max(pages, 1))
            metrics.PAGES.inc(pages, tags={"kind": "all"})
        except ClusterError as exc:
            log.info("job %s stopped: %s", job_id, exc, extra=job_fields(job_id))
        except (SegmentationError, RayError) as exc:
            log.warning("job %s failed: %s", job_id, exc, extra=job_fields(job_id))
            force_cancel = isinstance(exc, OverLimit)  # a task past its time may be stuck in C code
            await self._fail_quietly(job, _user_message(exc), time.monotonic() - started)
            metrics.JOB_SECONDS.observe(time.monotonic() - started, tags={"status": "FAILED"})
        finally:
            if not finished:  # cancelled, superseded or failed: its other tasks are wasted work
                _cancel_unfinished(outstanding, force_cancel)
                with contextlib.suppress(RedisError):  # what it staged expires anyway
                    await self.store.drop_staged(job)

    async def _fail_quietly(self, job: JobRecord, reason: str, elapsed: float) -> None:
        try:
            await self.store.fail(job, reason, elapsed)
        except ClusterError as exc:
            log.info("job %s not marked failed: %s", job.id, exc, extra=job_fields(job.id))

    async def _process(
        self,
        job: JobRecord,
        document: DocumentRecord,
        data_ref: ray.ObjectRef,
        outstanding: list[Any],
        result: _StagedResult,
    ) -> int:
        """Process the document into `result`; returns its page count."""
        options, doctype = document.options, document.doctype
        plan = tasks.PagePlan(
            ocr_actors=self.ocr_pools.actors(options.ocr_backend) if wants_ocr(doctype, options) else None,
            dpi=self.ocr_config.dpi,
            images=ImageExtraction(
                link_prefix=f"/documents/{document.id}/images/", min_pixels=self.config.image_min_pixels
            ),
            tag_threshold=self.config.tag_threshold,
            render_limits=RenderLimits(max_pixels=self.config.max_page_pixels),
            memory_bytes=self.config.task_memory_bytes,
            hold_pages=self.config.assembly_hold_pages,
        )
        deadline = time.monotonic() + self.config.job_seconds
        retries = self.config.task_retries
        workers = self._workers()
        head = self._head_pages(workers, ocr=plan.ocr_actors is not None)
        total_ref, head_ref, drafts_ref = _start(
            tasks.extract_head, retries, data_ref, doctype, options, head, self.config.max_pages, plan
        )
        outstanding.append(total_ref)  # one return stands for its task: a task is cancelled once
        await self._wait(job, total_ref, deadline)
        try:
            pages: int = await total_ref
        except RayError:
            # The task's other two returns hold the same error (a bad document, a crashed worker);
            # fetched, they are handled (Ray would log each as an unhandled error later).
            await asyncio.gather(head_ref, drafts_ref, return_exceptions=True)
            raise
        if pages > self.config.max_pages:
            raise OverLimit(f"the document has {pages} pages; at most {self.config.max_pages} are processed")
        deadline = min(deadline, time.monotonic() + 60 + self.config.page_seconds * pages)
        if pages <= head:  # a short document, or a busy cluster: the first task did everything
            await result.add(await drafts_ref)
            return pages
        ranges = plan_ranges(pages - head, workers, self.config) if doctype in PAGED_DOCTYPES else []
        range_refs = [
            _start(tasks.extract_range, retries, data_ref, doctype, options, head + start, head + stop, plan)
            for start, stop in ranges
        ]
        outstanding.extend(range_refs)
        sizes = {ref: stop - start for ref, (start, stop) in zip(range_refs, ranges, strict=True)}
        sizes[head_ref] = head
        waiting, pages_done = [head_ref, *range_refs], 0
        while waiting:
            ready, waiting = await asyncio.to_thread(
                ray.wait, waiting, num_returns=1, timeout=self.config.check_seconds,
                fetch_local=False,
            )
            if ready:
                pages_done += sum(sizes[ref] for ref in ready)
                # Also the cancel check: raises once the job is no longer PROCESSING under our attempt.
                job = await self.store.report_progress(job, pages_done, pages)
            else:
                await self.store.check_owner(job)
            self._check_deadline(deadline)
        parts = _start(tasks.assemble_parts, retries, options, plan, [head_ref, *range_refs])
        outstanding.append(parts)
        while True:
            await self._wait(job, parts, deadline)
            try:
                part_ref = next(parts)
            except StopIteration:
                return pages
            await result.add(await part_ref)

    async def _wait(self, job: JobRecord, ref: ray.ObjectRef | ObjectRefGenerator, deadline: float) -> None:
        """Wait for a task (or a generator's next part), checking between polls that the job is still
        this runner's to finish."""
        while True:
            ready, _ = await asyncio.to_thread(
                ray.wait, [ref], num_returns=1, timeout=self.config.check_seconds, fetch_local=False
            )
            if ready:
                return
            await self.store.check_owner(job)
            self._check_deadline(deadline)

    def _check_deadline(self, deadline: float) -> None:
        if time.monotonic() > deadline:
            raise OverLimit(
                f"the job ran past its time limit ({self.config.job_seconds:.0f} s, "
                f"or 60 s plus {self.config.page_seconds:.0f} s a page)"
            )
