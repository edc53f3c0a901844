"""The job queue: a Redis Stream read through a consumer group.

An entry stays pending until its job ends and the dispatcher acknowledges it, so a job whose
dispatcher died is read again: at start-up the dispatcher takes back its own pending entries, and
entries another consumer left idle past the lease are claimed.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from cluster.keys import QUEUE_GROUP, Keys

Entry = tuple[str, str]  # (stream entry id, job id)


def _entries(raw: list[tuple[bytes, dict[bytes, bytes]]] | None) -> list[Entry]:
    # Entries deleted from the stream while pending come back with no fields.
    return [(eid.decode(), fields[b"job"].decode()) for eid, fields in raw or [] if fields]


class JobQueue:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.keys.queue, QUEUE_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def own_pending(self, consumer: str) -> list[Entry]:
        """Entries this consumer read before it last stopped: their jobs need running again."""
        reply = await self.redis.xreadgroup(QUEUE_GROUP, consumer, {self.keys.queue: "0"})
        return _entries(reply[0][1] if reply else None)

    async def claim_abandoned(self, consumer: str, lease_ms: int, count: int) -> list[Entry]:
        """Entries idle longer than the lease, taken over from whichever consumer held them."""
        reply = await self.redis.xautoclaim(
            self.keys.queue, QUEUE_GROUP, consumer, min_idle_time=lease_ms, start_id="0-0",
            count=count,
        )
        return _entries(reply[1])

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Entry]:
        """New entries, waiting up to `block_ms` for the first."""
        reply = await self.redis.xreadgroup(
            QUEUE_GROUP, consumer, {self.keys.queue: ">"}, count=count, block=block_ms
        )
        return _entries(reply[0][1] if reply else None)

    async def done(self, entry_id: str) -> None:
        """The entry's job has ended (or needs no work): forget it."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.keys.queue, QUEUE_GROUP, entry_id)
            pipe.xdel(self.keys.queue, entry_id)
            await pipe.execute()

    async def depth(self) -> int:
        """Entries not yet acknowledged: queued plus running jobs."""
        return int(await self.redis.xlen(self.keys.queue))
