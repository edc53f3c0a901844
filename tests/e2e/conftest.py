"""`docseg serve` as a real subprocess on a free port, with its own data directory and embedded Redis."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cluster.embedded_redis import free_port
from serve_app.process import ServiceProcess

METRICS_PORT = free_port()


class RunningService(ServiceProcess):
    def client(self, subject: str | None = None, **token_options) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token(subject, **token_options)}"} if subject else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


@pytest.fixture(scope="session")
def service(tmp_path_factory) -> Iterator[RunningService]:
    running = RunningService(
        tmp_path_factory.mktemp("docseg-data"),
        env={
            "DOCSEG_NUM_CPUS": "2", "DOCSEG_KEY_PREFIX": "e2e", "DOCSEG_METRICS_PORT": str(METRICS_PORT),
            # Callback tests run their receiver on 127.0.0.1, which is allowed here and only here.
            "DOCSEG_CALLBACKS__ALLOW": '["127.0.0.1"]', "DOCSEG_CALLBACKS__PROGRESS_INTERVAL_SECONDS": "0",
        },
    )
    running.start()
    yield running
    running.stop()
