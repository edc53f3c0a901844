"""Callbacks end to end below HTTP: the store queues them in Redis, the deliverer POSTs them to a real
receiver on this machine, signed, retried, durable, and never to an address the guard refuses."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from cluster import egress
from cluster.callbacks import CallbackDeliverer, new_secret, verify
from cluster.config import CallbackConfig
from cluster.store import JobStore
from segmentation import DocType, ParseOptions, SegmentDraft
from segmentation.models import ProcessedDocument
from tests.integration.conftest import run_with_store
from tests.receiver import receiver

SECRET = new_secret()
LOCAL = CallbackConfig(allow=["127.0.0.1"], backoff_seconds=0.05, backoff_cap_seconds=0.2, max_attempts=4)


async def submit(store: JobStore, callbackurl: str | None):
    job, _ = await store.submit(
        tenant="acme", ip="10.0.0.1", filename="a.txt", data=b"hello world", doctype=DocType.TXT,
        options=ParseOptions(maxsize=300), callbackurl=callbackurl,
    )
    return job


def done() -> tuple[ProcessedDocument, ProcessedDocument]:
    """A result in two parts, as a long document's arrives."""
    first = SegmentDraft(ordinal=0, body="Hello world.", pagenr=1, title="Intro", group="Intro", lang="en")
    last = SegmentDraft(ordinal=1, body="Goodbye.", pagenr=2, title="End", group="End", lang="en")
    return (
        ProcessedDocument(segments=[first], pages_without_text=0, images=[]),
        ProcessedDocument(segments=[last], pages_without_text=0, images=[]),
    )


async def deliver_until_idle(deliverer: CallbackDeliverer, rounds: int = 50) -> None:
    """Run delivery rounds until nothing is queued (retries are due within the test's short backoff)."""
    for _ in range(rounds):
        await deliverer.deliver_due()
        if not await deliverer.redis.zcard(deliverer.keys.callbacks_due):
            return
        await asyncio.sleep(0.05)


def test_progress_and_completion_are_posted_signed_with_the_segments(key_prefix):
    with receiver() as hook:

        async def scenario(store: JobStore) -> None:
            store.progress_callback_interval = 0
            job = await store.claim((await submit(store, hook.url)).id)
            job = await store.report_progress(job, 1, 2)
            first, second = done()
            await store.stage(job, first, timeit=0.5)
            await store.stage(job, second, timeit=1.0)
            await store.complete(job, timeit=1.0)
            deliverer = CallbackDeliverer(store.redis, store.keys, LOCAL, SECRET)
            await deliver_until_idle(deliverer)
            await deliverer.stop()

        run_with_store(key_prefix, scenario)
        deliveries = hook.wait_for(2)
    bodies = [json.loads(d.body) for d in deliveries]
    assert [(b["status"], b["progress"]) for b in bodies] == [("PROCESSING", 50), ("COMPLETED", 100)]
    segment, last = bodies[1]["segments"]
    assert {"id", "pagenr", "title", "body", "group", "tags", "lang", "ordinal", "created", "updated"} <= set(segment)
    assert segment["body"] == "Hello world." and segment["lang"] == "en"
    assert (last["body"], last["ordinal"]) == ("Goodbye.", 1)  # both parts, in order
    assert all(verify(SECRET, d.headers, d.body) for d in deliveries)
    assert deliveries[0].headers["webhook-id"] != deliveries[1].headers["webhook-id"]
    assert deliveries[0].path == "/hook"


def test_progress_callbacks_are_throttled_per_job(key_prefix):
    with receiver() as hook:

        async def scenario(store: JobStore) -> None:
            store.progress_callback_interval = 60
            job = await store.claim((await submit(store, hook.url)).id)
            for pages in range(1, 6):
                job = await store.report_progress(job, pages, 10)
            deliverer = CallbackDeliverer(store.redis, store.keys, LOCAL, SECRET)
            await deliver_until_idle(deliverer)
            await deliverer.stop()

        run_with_store(key_prefix, scenario)
        assert [json.loads(d.body)["progress"] for d in hook.wait_for(1)] == [10]


def test_failures_are_retried_with_the_same_id_then_dropped_after_max_attempts(key_prefix):
    with receiver() as hook, receiver() as down:
        hook.statuses = [500, 503]  # two failures, then 200
        down.statuses = [500] * 10

        async def scenario(store: JobStore) -> None:
            for url in (hook.url, down.url):
                await store.cancel((await submit(store, url)).id)
            deliverer = CallbackDeliverer(store.redis, store.keys, LOCAL, SECRET)
            await deliver_until_idle(deliverer)
            assert (deliverer.delivered, deliverer.failed) == (1, 1)
            assert not [k async for k in store.redis.scan_iter(store.keys.callback("*"))]
            await deliverer.stop()

        run_with_store(key_prefix, scenario)
        retried = hook.wait_for(3)
        assert len(retried) == 3 and len({d.headers["webhook-id"] for d in retried}) == 1
        assert all(verify(SECRET, d.headers, d.body) for d in retried)
        assert len(down.deliveries) == LOCAL.max_attempts


def test_a_queued_callback_survives_its_deliverer_and_a_taken_one_is_retaken_after_the_lease(key_prefix):
    with receiver() as hook:

        async def scenario(store: JobStore) -> None:
            await store.cancel((await submit(store, hook.url)).id)
            config = LOCAL.model_copy(update={"lease_seconds": 0.3})
            # A deliverer takes the delivery and dies before sending it (its lease is all that is left).
            first = CallbackDeliverer(store.redis, store.keys, config, SECRET)
            [delivery_id] = await store.redis.zrange(store.keys.callbacks_due, 0, -1)
            now = time.time()
            assert await first._take(keys=[store.keys.callbacks_due], args=[delivery_id, now, now + 0.3])
            await first.stop()
            second = CallbackDeliverer(store.redis, store.keys, config, SECRET)
            assert await second.deliver_due() == 0  # still leased to the dead one
            await asyncio.sleep(0.35)
            assert await second.deliver_due() == 1
            await second.stop()

        run_with_store(key_prefix, scenario)
        assert [json.loads(d.body)["status"] for d in hook.wait_for(1)] == ["CANCELED"]


def test_jobs_without_a_callbackurl_queue_nothing(key_prefix):
    async def scenario(store: JobStore) -> None:
        job = await store.claim((await submit(store, None)).id)
        job = await store.report_progress(job, 1, 2)
        await store.fail(job, "broken")
        assert await store.redis.zcard(store.keys.callbacks_due) == 0

    run_with_store(key_prefix, scenario)


def test_refused_destinations_get_nothing_and_are_not_retried(key_prefix):
    with receiver() as local, receiver("127.0.0.2") as other_loopback:

        async def scenario(store: JobStore) -> None:
            for url in (local.url, other_loopback.url, "http://localhost:9/x", "ftp://example.org/x"):
                await store.cancel((await submit(store, url)).id)
            deliverer = CallbackDeliverer(store.redis, store.keys, CallbackConfig(), SECRET)  # no allow-list
            await deliver_until_idle(deliverer)
            assert (deliverer.delivered, deliverer.failed) == (0, 4)
            await deliverer.stop()

        run_with_store(key_prefix, scenario)
        assert local.deliveries == [] and other_loopback.deliveries == []


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/", "http://[::1]:9/", "http://localhost:9/", "http://169.254.169.254/latest/meta-data/",
     "http://10.0.0.1/", "http://[::ffff:127.0.0.1]:9/", "file:///etc/passwd", "gopher://127.0.0.1/"],
)
def test_the_guard_refuses_before_connecting(url):
    async def attempt() -> None:
        async with httpx.AsyncClient() as client:
            await egress.post(client, url, b"{}", {}, egress.Allowed([]), timeout=1)

    with pytest.raises(egress.RefusedDestination):
        asyncio.run(attempt())


def test_redirects_are_not_followed(key_prefix):
    with receiver() as hook:
        hook.statuses = [302] * 10

        async def scenario(store: JobStore) -> None:
            await store.cancel((await submit(store, hook.url)).id)
            deliverer = CallbackDeliverer(store.redis, store.keys, LOCAL, SECRET)
            await deliver_until_idle(deliverer)
            assert deliverer.failed == 1
            await deliverer.stop()

        run_with_store(key_prefix, scenario)
        assert len(hook.deliveries) == LOCAL.max_attempts  # the Location was never requested
