"""Prometheus metrics from a running service, through Ray's metrics agent."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.conftest import METRICS_PORT
from tests.e2e.test_api import submit, wait_for

pytestmark = pytest.mark.e2e


def test_jobs_pages_and_queue_are_exported(service):
    with service.client("acme") as client:
        assert wait_for(client, submit(client, "pypdf_GeoTopo-komprimiert.pdf")["jobid"])["status"] == "COMPLETED"
    wanted = ['ray_docseg_jobs_total{', 'status="COMPLETED"', "ray_docseg_pages_total", "ray_docseg_queue_depth",
              "ray_docseg_job_seconds_bucket", "ray_docseg_page_seconds_bucket"]
    deadline = time.monotonic() + 60  # Ray's agent exports every few seconds
    text = ""
    while time.monotonic() < deadline:
        text = httpx.get(f"http://127.0.0.1:{METRICS_PORT}/metrics", timeout=10).text
        if all(w in text for w in wanted):
            break
        time.sleep(2)
    missing = [w for w in wanted if w not in text]
    assert not missing, missing
