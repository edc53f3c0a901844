"""`docseg serve` as a real subprocess on a free port, with its own data directory and embedded Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cluster.embedded_redis import free_port
from serve_app.auth import issue_token

STARTUP_SECONDS = 240


class RunningService:
    """One `docseg serve` process; `restart` stops it and starts another on the same data."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []
        self.dev_token = ""

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "JWT_SECRET", "RAY_ADDRESS")}
        env.update(DOCSEG_DATA_DIR=str(self.data_dir), DOCSEG_NUM_CPUS="2", DOCSEG_KEY_PREFIX="e2e")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "serve_app.cli", "serve", "--port", str(self.port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        assert self.process.stdout is not None
        lines = iter(self.process.stdout.readline, "")
        for line in lines:
            self.output.append(line)
            if line.startswith("docseg: dev token"):
                self.dev_token = next(lines).strip()
            if line.startswith("docseg: Ctrl-C"):
                break
            if time.monotonic() > deadline:
                break
        if not self.dev_token or self.process.poll() is not None:
            self.stop()
            raise RuntimeError("docseg serve did not start:\n" + "".join(self.output))
        # Drain the rest of the output so the process never blocks on a full pipe.
        import threading

        threading.Thread(target=lambda: self.output.extend(lines), daemon=True).start()

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def secret(self) -> str:
        return (self.data_dir / "jwt_secret").read_text().strip()

    def token(self, subject: str, **kwargs) -> str:
        return issue_token(self.secret, subject, **kwargs)

    def client(self, subject: str | None = None, **kwargs) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token(subject, **kwargs)}"} if subject else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


@pytest.fixture(scope="session")
def service(tmp_path_factory) -> Iterator[RunningService]:
    running = RunningService(tmp_path_factory.mktemp("docseg-data"))
    running.start()
    yield running
    running.stop()
