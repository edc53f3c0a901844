"""Callbacks from a running `docseg serve` to a receiver on this machine, signed with the data directory's secret."""

from __future__ import annotations

import json
import time

import pytest

from cluster.callbacks import verify
from serve_app.server import CALLBACK_SECRET_FILE
from tests.e2e.test_api import submit, wait_for
from tests.receiver import receiver

pytestmark = pytest.mark.e2e


def test_a_job_posts_its_progress_and_its_segments_signed(service):
    secret = (service.data_dir / CALLBACK_SECRET_FILE).read_text().strip()
    with receiver() as hook, service.client("acme") as client:
        reply = submit(client, "pypdf_GeoTopo-komprimiert.pdf", maxsize=1500, callbackurl=hook.url)
        assert wait_for(client, reply["jobid"])["status"] == "COMPLETED"
        segments = client.get(f"/documents/{reply['documentid']}/segments").json()["segments"]
        for _ in range(30):  # the last callback may still be on its way
            deliveries = hook.wait_for(2)
            bodies = [json.loads(d.body) for d in deliveries]
            if bodies and bodies[-1]["status"] == "COMPLETED":
                break
            time.sleep(0.2)
    assert all(verify(secret, d.headers, d.body) for d in deliveries)
    assert all(b["jobid"] == reply["jobid"] for b in bodies)
    progress = [b["progress"] for b in bodies if b["status"] == "PROCESSING"]
    assert progress and all(0 < p < 100 for p in progress)  # a 117-page PDF reports pages as they finish
    final = bodies[-1]
    assert final["progress"] == 100
    assert sorted(s["id"] for s in final["segments"]) == sorted(s["id"] for s in segments)
    assert len({d.headers["webhook-id"] for d in deliveries}) == len(deliveries)


def test_a_callback_to_an_address_that_is_not_allowed_is_never_sent(service):
    with receiver("127.0.0.2") as hook, service.client("acme") as client:
        reply = submit(client, "pdfminer_jo.pdf", callbackurl=hook.url)
        assert wait_for(client, reply["jobid"])["status"] == "COMPLETED"
        assert hook.wait_for(1, timeout=3) == []
