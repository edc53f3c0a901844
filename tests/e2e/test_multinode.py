"""A real two-node Ray cluster on this machine (`ray start --head` plus a second `ray start --address`),
`docseg serve` joined to it with an external Redis: page tasks run on both nodes, and losing the
worker node in the middle of a job costs retries, not the job."""

from __future__ import annotations

import os
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
from serve_app.process import ServiceProcess, kill_session
from tests.conftest import REDIS_URL, corpus_file

pytestmark = pytest.mark.e2e

RAY = str(Path(sys.executable).parent / "ray")


# Both nodes on loopback; token authentication off, as for a cluster inside one trusted network.
NODE_ENV = {"RAY_AUTH_MODE": "disabled"}


def ray_start(*args: str) -> subprocess.Popen[bytes]:
    """`ray start --block` for one node on loopback, leading a session of its own: killing that
    session stops exactly this node (never other Ray instances on the machine)."""
    return subprocess.Popen(
        [RAY, "start", "--block", "--disable-usage-stats", "--node-ip-address=127.0.0.1", *args],
        env={**os.environ, **NODE_ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def alive_nodes(address: str) -> int:
    """Nodes alive in the cluster, asked from a short-lived driver process: a driver in the test
    process would outlive the cluster and take the process down with it later."""
    probe = "import ray; ray.init(address=%r, log_to_driver=False); print(sum(n['Alive'] for n in ray.nodes()))"
    result = subprocess.run([sys.executable, "-c", probe % address], env={**os.environ, **NODE_ENV},
                            capture_output=True, text=True, timeout=60, check=False)
    return int(result.stdout.strip().splitlines()[-1]) if result.returncode == 0 and result.stdout.strip() else 0


@pytest.fixture
def two_nodes() -> Iterator[tuple[str, str, subprocess.Popen[bytes]]]:
    """The cluster's address, its dashboard (for Ray's state API), and the worker node's process."""
    port, dashboard = free_port(), free_port()
    address = f"127.0.0.1:{port}"
    nodes = [ray_start("--head", f"--port={port}", "--num-cpus=1", "--include-dashboard=true",
                       f"--dashboard-port={dashboard}")]
    try:
        deadline = time.monotonic() + 120
        while alive_nodes(address) < 1:
            assert time.monotonic() < deadline, "the Ray head did not start"
            time.sleep(1)
        nodes.append(ray_start(f"--address={address}", "--num-cpus=2", '--resources={"worker_node": 1}'))
        while alive_nodes(address) < 2:
            assert time.monotonic() < deadline, "the second node did not join"
            time.sleep(1)
        yield address, f"http://127.0.0.1:{dashboard}", nodes[1]
    finally:
        for node in reversed(nodes):
            kill_session(node.pid)
            node.wait()


def test_page_tasks_run_on_both_nodes_and_a_lost_node_costs_retries(two_nodes, tmp_path):
    from ray.util.state import list_tasks

    address, dashboard, worker = two_nodes
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
            deadline = time.monotonic() + 180
            nodes: set[str] = set()
            # SPREAD is Ray's best effort, and once in a full-suite run one job's ranges were all seen on one
            # node: up to three jobs, each alone on the cluster, must between them use both nodes.
            for _ in range(3):
                first = client.post("/jobs", files={"uploadfile": ("fek.pdf", data)}).json()
                while client.get(f"/jobs/{first['jobid']}").json()["status"] != "COMPLETED":
                    assert time.monotonic() < deadline
                    time.sleep(0.5)
                seen_by = time.monotonic() + 30  # Ray reports task events to its state API every few seconds
                while len(nodes) < 2 and time.monotonic() < seen_by:
                    ranges = list_tasks(
                        address=dashboard, filters=[("func_or_class_name", "=", "extract_range")], limit=1000,
                        detail=True,
                    )
                    nodes = {t.node_id for t in ranges if t.node_id}
                    time.sleep(1)
                if len(nodes) == 2:
                    break
            assert len(nodes) == 2, f"page tasks ran on {len(nodes)} node(s)"

            second = client.post("/jobs", files={"uploadfile": ("fek.pdf", data)}).json()
            while client.get(f"/jobs/{second['jobid']}").json()["progress"] == 0:
                assert time.monotonic() < deadline + 120
                time.sleep(0.05)
            kill_session(worker.pid)  # the worker node is gone in the middle of the job
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
