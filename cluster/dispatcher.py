"""The dispatcher: reads the job queue and keeps at most `max_running_jobs` runners going.

One per deployment. It is a plain asyncio object; serve_app hosts it in a Serve deployment so
Serve starts, health-checks and restarts it with the API.
"""

from __future__ import annotations

import asyncio
import logging

from cluster import metrics
from cluster.config import WorkConfig
from cluster.logs import job_fields
from cluster.queue import Entry, JobQueue
from cluster.runner import JobRunner

log = logging.getLogger(__name__)

CONSUMER = "dispatcher"


class Dispatcher:
    def __init__(self, queue: JobQueue, runner: JobRunner, config: WorkConfig) -> None:
        self.queue = queue
        self.runner = runner
        self.config = config
        self.running: dict[str, asyncio.Task[None]] = {}  # job id -> its runner
        self._loop_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop_task = asyncio.get_running_loop().create_task(self._loop())

    @property
    def alive(self) -> bool:
        return self._loop_task is not None and not self._loop_task.done()

    async def stop(self) -> None:
        for task in [self._loop_task, *self.running.values()]:
            if task is not None:
                task.cancel()

    def _launch(self, entry: Entry) -> None:
        entry_id, job_id = entry
        if job_id in self.running:
            return  # already ours: a reclaimed entry of a job that is still running here
        task = asyncio.get_running_loop().create_task(self._run(entry_id, job_id))
        self.running[job_id] = task

    async def _run(self, entry_id: str, job_id: str) -> None:
        try:
            await self.runner.run(job_id)
            await self.queue.done(entry_id)
        except Exception:
            # Left unacknowledged: the entry is claimed again after the lease.
            log.exception("runner for job %s crashed", job_id, extra=job_fields(job_id))
        finally:
            self.running.pop(job_id, None)

    async def _loop(self) -> None:
        await self.queue.ensure_group()
        for entry in await self.queue.own_pending(CONSUMER):
            self._launch(entry)
        lease_ms = int(self.config.lease_seconds * 1000)
        block_ms = int(self.config.poll_seconds * 1000)
        while True:
            try:
                metrics.QUEUE_DEPTH.set(await self.queue.depth())
                metrics.RUNNING_JOBS.set(len(self.running))
                free = self.config.max_running_jobs - len(self.running)
                if free <= 0:
                    await asyncio.wait(
                        list(self.running.values()), timeout=self.config.poll_seconds,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    continue
                entries = await self.queue.claim_abandoned(CONSUMER, lease_ms, free)
                entries = [e for e in entries if e[1] not in self.running]
                if not entries:
                    entries = await self.queue.read(CONSUMER, free, block_ms)
                for entry in entries:
                    self._launch(entry)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatcher loop error; retrying")
                await asyncio.sleep(self.config.poll_seconds)
