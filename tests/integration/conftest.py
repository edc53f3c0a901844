"""Helpers for tests that drive the async job store on the real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from cluster.store import JobStore
from tests.conftest import REDIS_URL

Scenario = Callable[[JobStore], Awaitable[None]]


def run_with_store(key_prefix: str, scenario: Scenario) -> None:
    """Run an async scenario against a store under the test's own key prefix."""

    async def main() -> None:
        store = JobStore.from_url(REDIS_URL, key_prefix)
        try:
            await scenario(store)
        finally:
            await store.close()

    asyncio.run(main())
