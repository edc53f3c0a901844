"""A real two-node Ray cluster on this machine (`ray start --head` plus a second `ray start --address`),
`docseg serve` joined to it with an external Redis: page tasks run on both nodes, and losing the
worker node in the middle of a job costs retries, not the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from cluster.embedded_redis import free_port
from serve_app.process import ServiceProcess
from tests.conftest import REDIS_URL, corpus_file

pytestmark = pytest.mark.e2e

RAY = str(Path(sys.executable).parent / "ray")


# Both nodes on loopback; token authentication off, as for a cluster inside one trusted network.
NODE_ENV = {"RAY_AUTH_MODE": "disabled"}


def ray_start(*args: str) -> None:
    """`ray start` for one node on loopback; it returns once the node is up."""
    subprocess.run(
        [RAY, "start", "--disable-usage-stats", "--node-ip-address=127.0.0.1", *args],
        env={**os.environ, **NODE_ENV}, capture_output=True, check=True, timeout=120,
    )


def kill_worker_node() -> None:
    """SIGKILL the raylet of the node with the `worker_node` resource; its workers go with it."""
    raylets = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if entry.name.isdigit() and "raylet/raylet" in command and "worker_node," in command:
            raylets.append(int(entry.name))
    [pid] = raylets
    os.kill(pid, signal.SIGKILL)


@pytest.fixture
def two_nodes(monkeypatch) -> Iterator[tuple[str, str]]:
    """The cluster's address and its dashboard (for Ray's state API)."""
    import ray

    for name, value in NODE_ENV.items():
        monkeypatch.setenv(name, value)
    port, dashboard = free_port(), free_port()
    address = f"127.0.0.1:{port}"
    try:
        ray_start("--head", f"--port={port}", "--num-cpus=1", "--include-dashboard=true",
                  f"--dashboard-port={dashboard}")
        ray_start(f"--address={address}", "--num-cpus=2", '--resources={"worker_node": 1}')
        ray.init(address=address, log_to_driver=False)
        assert len([n for n in ray.nodes() if n["Alive"]]) == 2
        yield address, f"http://127.0.0.1:{dashboard}"
    finally:
        ray.shutdown()
        subprocess.run([RAY, "stop", "--force"], env={**os.environ, **NODE_ENV}, capture_output=True, check=False)


def test_page_tasks_run_on_both_nodes_and_a_lost_node_costs_retries(two_nodes, tmp_path):
    from ray.util.state import list_tasks

    address, dashboard = two_nodes
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    service = ServiceProcess(
        tmp_path / "data",
        env={"RAY_ADDRESS": address, "REDIS_URL": REDIS_URL, "DOCSEG_KEY_PREFIX": prefix, **NODE_ENV,
             "DOCSEG_WORK__MAX_PAGES_PER_TASK": "8"},
    )
    service.start()
    try:
        headers = {"Authorization": f"Bearer {service.dev_token}"}
        with httpx.Client(base_url=service.url, headers=headers, timeout=60) as client:
            data = corpus_file("fek_1_Pres_Decree.pdf").read_bytes()
            first = client.post("/jobs", files={"uploadfile": ("fek.pdf", data)}).json()
            deadline = time.monotonic() + 180
            while client.get(f"/jobs/{first['jobid']}").json()["status"] != "COMPLETED":
                assert time.monotonic() < deadline
                time.sleep(0.5)
            ranges = list_tasks(
                address=dashboard, filters=[("func_or_class_name", "=", "extract_range")], limit=1000, detail=True
            )
            nodes = {t.node_id for t in ranges if t.node_id}
            assert len(nodes) == 2, f"page tasks ran on {len(nodes)} node(s)"

            second = client.post("/jobs", files={"uploadfile": ("fek.pdf", data)}).json()
            while client.get(f"/jobs/{second['jobid']}").json()["progress"] == 0:
                assert time.monotonic() < deadline + 120
                time.sleep(0.05)
            kill_worker_node()  # the worker node is gone in the middle of the job
            while (job := client.get(f"/jobs/{second['jobid']}").json())["status"] not in (
                "COMPLETED", "FAILED", "CANCELED"
            ):
                assert time.monotonic() < deadline + 300
                time.sleep(0.5)
            assert job["status"] == "COMPLETED", job
            bodies = [
                [s["body"] for s in client.get(f"/documents/{reply['documentid']}/segments").json()["segments"]]
                for reply in (first, second)
            ]
            assert bodies[0] == bodies[1]  # the interrupted job's segments are those of the undisturbed one
    finally:
        service.stop()
        store = redis.Redis.from_url(REDIS_URL)
        keys = list(store.scan_iter(f"{prefix}:*"))
        if keys:
            store.delete(*keys)
