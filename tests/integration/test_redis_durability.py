"""The embedded Redis's append-only file across a kill -9, and the warning about evicting Redis servers."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time

import pytest
import redis

from cluster.embedded_redis import EmbeddedRedis, eviction_warning, free_port


@pytest.mark.parametrize("appendfsync", ["everysec", "always"])
def test_what_the_embedded_redis_acknowledged_survives_kill_dash_nine(tmp_path, appendfsync):
    server = EmbeddedRedis(tmp_path / "redis", appendfsync=appendfsync)
    server.start()
    try:
        client = redis.Redis.from_url(server.url)
        assert client.config_get("appendfsync")["appendfsync"] == appendfsync
        client.set("job", "accepted")
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
    finally:
        server.stop()
    again = EmbeddedRedis(tmp_path / "redis")
    again.start()
    try:
        assert redis.Redis.from_url(again.url).get("job") == b"accepted"
    finally:
        again.stop()


def test_an_evicting_redis_is_warned_about(tmp_path):
    port = free_port()
    binary = shutil.which("redis-server")
    assert binary is not None
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path),
         "--maxmemory-policy", "allkeys-lru"],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        url = f"redis://127.0.0.1:{port}/0"
        warning = eviction_warning(url)
        assert warning is not None and "allkeys-lru" in warning and "noeviction" in warning
        client.config_set("maxmemory-policy", "noeviction")
        assert eviction_warning(url) is None
    finally:
        process.terminate()
        process.wait()
