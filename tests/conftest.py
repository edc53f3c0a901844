"""Fixtures shared by every test: the corpus, a real Redis, a real local Ray."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("DOCSEG_CORPUS", REPO.parent / "shared" / "corpus"))
REDIS_URL = os.environ.get("DOCSEG_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def corpus_file(name: str) -> Path:
    path = CORPUS / name
    if not path.exists():
        raise FileNotFoundError(f"corpus file {path} is missing; set DOCSEG_CORPUS")
    return path


@pytest.fixture
def key_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the shared Redis; every key under it is removed after."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[None]:
    """One local Ray instance for the whole session, as Ray's own tests do."""
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
