"""`docseg serve` configured from the environment: an external Redis, a given secret, limits; and `docseg token`."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import jwt
import pytest
import redis

from serve_app.process import ServiceProcess
from tests.conftest import REDIS_URL, corpus_file

pytestmark = pytest.mark.e2e

SECRET = "configured-secret-" + "x" * 32


@pytest.fixture(scope="module")
def configured(tmp_path_factory):
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    service = ServiceProcess(
        tmp_path_factory.mktemp("configured"),
        env={
            "REDIS_URL": REDIS_URL, "JWT_SECRET": SECRET, "DOCSEG_KEY_PREFIX": prefix,
            "DOCSEG_NUM_CPUS": "1", "DOCSEG_LIMITS__MAX_UPLOAD_BYTES": "200000",
            "DOCSEG_LIMITS__MAX_QUEUED_JOBS": "3",
            "DOCSEG_SERVE__MAX_REPLICAS": "2",  # the API autoscales between 1 and 2 replicas
        },
    )
    service.start()
    yield service, prefix
    service.stop()
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def test_external_redis_and_given_secret(configured):
    service, prefix = configured
    claims = jwt.decode(service.dev_token, SECRET, algorithms=["HS256"])
    assert claims["sub"] == "dev"
    assert not (service.data_dir / "jwt_secret").exists()  # the given secret is used, none is made
    headers = {"Authorization": f"Bearer {service.dev_token}"}
    with httpx.Client(base_url=service.url, headers=headers, timeout=60) as client:
        pdf = corpus_file("pypdf_multicolumn.pdf").read_bytes()
        reply = client.post("/jobs", files={"uploadfile": ("m.pdf", pdf)}).json()
        shared = redis.Redis.from_url(REDIS_URL)
        assert shared.exists(f"{prefix}:job:{reply['jobid']}")
        assert not (service.data_dir / "redis").exists()  # no embedded Redis was started
        # Finished before the next tests, so the burst below starts from an empty queue.
        assert wait_for_end(client, reply["jobid"]) == "COMPLETED"


def wait_for_end(client: httpx.Client, job_id: str, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while (status := client.get(f"/jobs/{job_id}").json()["status"]) in ("PENDING", "PROCESSING"):
        assert time.monotonic() < deadline, f"job {job_id} still {status} after {seconds:.0f} s"
        time.sleep(0.2)
    return str(status)


def test_uploads_over_the_limit_are_413(configured):
    service, _ = configured
    headers = {"Authorization": f"Bearer {service.dev_token}"}
    with httpx.Client(base_url=service.url, headers=headers, timeout=60) as client:
        big = corpus_file("pdfjs_tracemonkey.pdf").read_bytes()
        assert len(big) > 200000
        response = client.post("/jobs", files={"uploadfile": ("big.pdf", big)})
        assert response.status_code == 413 and "limit" in response.json()["detail"]
        assert client.get("/jobs/").status_code == 200


def test_413_comes_before_the_body_is_read(configured):
    """A client declaring 500 MB gets its 413 after sending a few bytes; one streaming without a
    length gets it too, the API having stopped reading at the limit."""
    service, _ = configured
    host, port = "127.0.0.1", int(service.url.rsplit(":", 1)[1])
    head = (
        f"POST /jobs HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {service.dev_token}\r\n"
        "Content-Type: multipart/form-data; boundary=B\r\n"
    )
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall((head + "Content-Length: 500000000\r\n\r\n--B\r\n").encode())
        assert connection.recv(4096).startswith(b"HTTP/1.1 413")

    sent = 0

    def chunks():
        nonlocal sent
        yield b"--B\r\nContent-Disposition: form-data; name=\"uploadfile\"; filename=\"a.pdf\"\r\n\r\n"
        for _ in range(10_000):  # up to 640 MB, if nobody stopped it
            sent += 65536
            yield b"x" * 65536

    headers = {"Authorization": f"Bearer {service.dev_token}", "Content-Type": "multipart/form-data; boundary=B"}
    with httpx.Client(base_url=service.url, headers=headers, timeout=60) as client:
        response = client.post("/jobs", content=chunks())
        assert response.status_code == 413 and "limit" in response.json()["detail"]
    # The API stopped reading at the limit; Serve's HTTP proxy drains (and drops) the rest of the stream.
    assert sent > 0


def test_a_burst_beyond_the_queue_limit_gets_503s_not_a_melted_service(configured):
    service, _ = configured
    headers = {"Authorization": f"Bearer {service.dev_token}"}
    data = corpus_file("pypdf_multicolumn.pdf").read_bytes()

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=service.url, headers=headers, timeout=60) as client:
            return client.post("/jobs", files={"uploadfile": ("a.pdf", data)})

    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(post, range(40)))
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 503} and statuses[200] >= 3 and statuses[503] > 0, statuses
    for busy in (r for r in responses if r.status_code == 503):  # every 503 is ours, not the proxy's
        assert int(busy.headers.get("retry-after", 0)) > 0, (busy.headers, busy.text)
        assert "retry later" in busy.json()["detail"], busy.text
    with httpx.Client(base_url=service.url, headers=headers, timeout=60) as client:
        for reply in (r.json() for r in responses if r.status_code == 200):
            status = wait_for_end(client, reply["jobid"])
            assert status == "COMPLETED", client.get(f"/jobs/{reply['jobid']}").json()


def test_token_command(tmp_path):
    env = {"DOCSEG_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "serve_app.cli", "token", "--sub", "acme", "--ttl", "60", "--role", "admin"]
    token = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout.strip()
    secret = (tmp_path / "jwt_secret").read_text().strip()
    claims = jwt.decode(token, secret, algorithms=["HS256"])
    assert claims["sub"] == "acme" and claims["role"] == "admin" and claims["exp"] - claims["iat"] == 60
    again = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert jwt.decode(again, secret, algorithms=["HS256"])["sub"] == "acme"  # same secret reused


def test_help_explains_the_commands():
    result = subprocess.run([sys.executable, "-m", "serve_app.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "serve" in result.stdout and "token" in result.stdout
    result = subprocess.run([sys.executable, "-m", "serve_app.cli", "token"], capture_output=True, text=True)
    assert result.returncode == 2 and "--sub" in result.stderr
