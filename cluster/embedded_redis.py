"""An embedded Redis server for the one-machine default: started, owned and stopped by docseg.

It persists with an append-only file under the data directory, so jobs survive a restart.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis server could not be started."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedRedis:
    def __init__(self, directory: Path, port: int | None = None, appendfsync: str = "everysec") -> None:
        self.appendfsync = appendfsync
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise EmbeddedRedisError(
                "redis-server is not installed: install it (Debian: apt-get install redis-server) "
                "or set REDIS_URL to a running Redis"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
                "--appendonly", "yes", "--appendfsync", self.appendfsync, "--save", "",
                "--protected-mode", "yes", "--logfile", "redis.log",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if client.ping():
                    # Loading the AOF answers LOADING errors first; wait until it is done.
                    return
            except redis.exceptions.BusyLoadingError:
                pass
            except redis.exceptions.ConnectionError:
                if self.process.poll() is not None:
                    raise EmbeddedRedisError(
                        f"redis-server exited at start; see {self.directory / 'redis.log'}"
                    ) from None
            if time.monotonic() > deadline:
                self.stop()
                raise EmbeddedRedisError("redis-server did not answer in time")
            time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server; SIGTERM makes Redis flush its append-only file first."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def eviction_warning(url: str) -> str | None:
    """A warning when a Redis may evict keys (jobs, uploads, queue entries) under memory pressure."""
    client = redis.Redis.from_url(url)
    try:
        policy = client.config_get("maxmemory-policy").get("maxmemory-policy")
    except redis.exceptions.ResponseError:
        return None  # CONFIG is disabled on this server (some managed services): nothing to check
    finally:
        client.close()
    if policy in (None, "noeviction"):
        return None
    return (
        f"the Redis at {url.split('@')[-1]} has maxmemory-policy {policy}: under memory pressure it may "
        "evict jobs, uploads and queue entries; set maxmemory-policy noeviction"
    )
