"""Job callbacks: signed POSTs to a job's `callbackurl`, from a durable queue in Redis.

A callback is queued in the same Redis transaction as the change it reports (progress, at most
one per job per `progress_interval_seconds`; the end of the job, with the segments when it
COMPLETED), so nothing the store records goes unreported, whatever dies afterwards. The queue is a
sorted set of delivery ids by the time each is due, beside a hash per delivery (URL, body,
attempts). The deliverer takes a due delivery by pushing its due time one lease ahead (a deliverer
that dies mid-send leaves it to be taken again), POSTs it, and deletes it on a 2xx; otherwise it
is due again after an exponential backoff with jitter, until `max_attempts`.

Deliveries are signed as Standard Webhooks specifies: `webhook-id` (the same on every retry, so a
receiver that remembers ids processes each delivery once), `webhook-timestamp`, and
`webhook-signature`: `v1,` + base64 HMAC-SHA256 over `id.timestamp.body` with the secret.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import random
import secrets
import time
import uuid
from collections.abc import Sequence

import httpx
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from cluster import egress, metrics
from cluster.config import CallbackConfig
from cluster.keys import Keys
from cluster.records import JobRecord

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"

# Take a delivery only if it is still due: moves its due time to the end of the lease, atomically.
_TAKE = """
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if due and tonumber(due) <= tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  return 1
end
return 0
"""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, delivery_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for this delivery."""
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance_seconds: int = 300) -> bool:
    """What a receiver checks (used by docseg's tests and documented for receivers)."""
    try:
        timestamp = int(headers["webhook-timestamp"])
        expected = sign(secret, headers["webhook-id"], timestamp, body)
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance_seconds:
        return False
    offered = headers.get("webhook-signature", "").split()
    return any(hmac.compare_digest(expected, signature) for signature in offered)


def payload(job: JobRecord, segments: Sequence[bytes] | None = None) -> bytes:
    """The JSON a receiver gets: the job's state, and once it COMPLETED the segments (given as each
    one's stored JSON, which goes into the body as it is)."""
    body = json.dumps({
        "jobid": job.id, "documentid": job.documentid, "status": job.status.value,
        "progress": job.progress, "error": job.error, "updated": job.updated.isoformat(),
    }, ensure_ascii=False).encode()
    if segments is None:
        return body
    return body[:-1] + b', "segments": [' + b", ".join(segments) + b"]}"


def enqueue(pipe: Pipeline, keys: Keys, job: JobRecord, body: bytes) -> None:
    """Queue a delivery of `body` to the job's callbackurl, inside the caller's transaction."""
    if not job.callbackurl:
        return
    delivery_id = f"msg_{uuid.uuid4().hex}"
    pipe.hset(keys.callback(delivery_id), mapping={
        "url": job.callbackurl, "body": body, "attempts": 0, "jobid": job.id,
    })
    pipe.zadd(keys.callbacks_due, {delivery_id: time.time()})


async def progress_due(redis: Redis, keys: Keys, job: JobRecord, interval: float) -> bool:
    """Whether a progress callback may go out now (at most one per job per interval)."""
    if not job.callbackurl:
        return False
    if interval <= 0:
        return True
    return bool(await redis.set(keys.callback_throttle(job.id), 1, nx=True, px=int(interval * 1000)))


class CallbackDeliverer:
    """Sends due callbacks; several may run against one Redis (each delivery is taken by one)."""

    def __init__(self, redis: Redis, keys: Keys, config: CallbackConfig, secret: str) -> None:
        self.redis = redis
        self.keys = keys
        self.config = config
        self.secret = secret
        self.allowed = egress.Allowed(config.allow)
        self.delivered = 0
        self.failed = 0  # dropped after max_attempts
        self._take = redis.register_script(_TAKE)
        self._client = httpx.AsyncClient()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._client.aclose()

    async def _loop(self) -> None:
        while True:
            try:
                if not await self.deliver_due():
                    await asyncio.sleep(0.2)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("callback delivery round failed")
                await asyncio.sleep(1.0)

    async def deliver_due(self) -> int:
        """Send the callbacks that are due now; returns how many were taken."""
        now = time.time()
        due = await self.redis.zrangebyscore(self.keys.callbacks_due, "-inf", now, start=0, num=self.config.batch)
        taken = [
            d.decode() if isinstance(d, bytes) else d for d in due
            if await self._take(keys=[self.keys.callbacks_due], args=[d, now, now + self.config.lease_seconds])
        ]
        await asyncio.gather(*(self._deliver(delivery_id) for delivery_id in taken))
        return len(taken)

    async def _deliver(self, delivery_id: str) -> None:
        raw = await self.redis.hgetall(self.keys.callback(delivery_id))
        if not raw:
            await self.redis.zrem(self.keys.callbacks_due, delivery_id)
            return
        record = {k.decode(): v for k, v in raw.items()}
        url, body, attempts = record["url"].decode(), bytes(record["body"]), int(record["attempts"]) + 1
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": delivery_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self.secret, delivery_id, timestamp, body),
        }
        try:
            response = await egress.post(self._client, url, body, headers, self.allowed, self.config.timeout_seconds)
            outcome = None if response.is_success else f"HTTP {response.status_code}"
        except egress.RefusedDestination as exc:
            outcome, attempts = f"refused: {exc}", self.config.max_attempts  # retrying cannot help
        except httpx.HTTPError as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        if outcome is None:
            await self._forget(delivery_id)
            self.delivered += 1
            metrics.CALLBACKS.inc(1, tags={"outcome": "delivered"})
        elif attempts >= self.config.max_attempts:
            log.warning("callback %s to %s dropped after %d attempts: %s", delivery_id, url, attempts, outcome)
            await self._forget(delivery_id)
            self.failed += 1
            metrics.CALLBACKS.inc(1, tags={"outcome": "dropped"})
        else:
            metrics.CALLBACKS.inc(1, tags={"outcome": "retried"})
            wait = min(self.config.backoff_cap_seconds, self.config.backoff_seconds * 2 ** (attempts - 1))
            wait *= random.uniform(0.5, 1.0)  # jitter: receivers that come back are not hit all at once
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(self.keys.callback(delivery_id), mapping={"attempts": attempts, "last_error": outcome})
                pipe.zadd(self.keys.callbacks_due, {delivery_id: time.time() + wait})
                await pipe.execute()

    async def _forget(self, delivery_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.callback(delivery_id))
            pipe.zrem(self.keys.callbacks_due, delivery_id)
            await pipe.execute()
