"""`docseg serve`: everything one machine needs, started in order and stopped in reverse.

Ray (local, or the cluster at RAY_ADDRESS), an embedded Redis unless REDIS_URL is set, then the
Serve application. With no JWT_SECRET a secret is made once in the data directory, so dev tokens
keep working across restarts.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import ray
from pydantic import SecretStr
from ray import serve

from cluster.callbacks import new_secret as new_callback_secret
from cluster.embedded_redis import EmbeddedRedis, eviction_warning
from serve_app.app import build_app
from serve_app.settings import Settings

APP_NAME = "docseg"
SECRET_FILE = "jwt_secret"
CALLBACK_SECRET_FILE = "callback_secret"


def _kept_secret(settings: Settings, name: str, make: Callable[[], str]) -> SecretStr:
    """A secret kept in the data directory, made (readable by this user only) if absent."""
    path: Path = settings.data_dir / name
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    return SecretStr(path.read_text().strip())


def with_secret(settings: Settings) -> Settings:
    """Settings with a JWT secret and a callback signing secret: the configured ones, else the
    data directory's (made if absent)."""
    if settings.jwt_secret is None:
        settings = settings.model_copy(
            update={"jwt_secret": _kept_secret(settings, SECRET_FILE, lambda: secrets.token_urlsafe(48))}
        )
    if settings.callbacks.secret is None:
        secret = _kept_secret(settings, CALLBACK_SECRET_FILE, new_callback_secret)
        settings = settings.model_copy(
            update={"callbacks": settings.callbacks.model_copy(update={"secret": secret})}
        )
    return settings


class LocalService:
    """The service and what it needs, owned by this process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = with_secret(settings)
        self.redis: EmbeddedRedis | None = None
        self._own_ray = False

    @property
    def url(self) -> str:
        return f"http://{self.settings.serve.host}:{self.settings.serve.port}"

    def start(self) -> None:
        if self.settings.redis_url is None:
            self.redis = EmbeddedRedis(
                self.settings.data_dir / "redis", appendfsync=self.settings.embedded_redis.appendfsync
            )
            self.redis.start()
            self.settings = self.settings.model_copy(update={"redis_url": self.redis.url})
        else:
            warning = eviction_warning(self.settings.redis_url)
            if warning:
                print(f"docseg: warning: {warning}", flush=True)
        self._own_ray = self.settings.ray_address is None
        ray.init(
            address=self.settings.ray_address or "local",
            num_cpus=self.settings.num_cpus if self._own_ray else None,
            _metrics_export_port=self.settings.metrics_port if self._own_ray else None,
            include_dashboard=False,
            logging_level=logging.WARNING,
            log_to_driver=False,
        )
        serve.start(
            proxy_location=self.settings.serve.proxy_location,
            http_options={"host": self.settings.serve.host, "port": self.settings.serve.port},
        )
        serve.run(build_app(self.settings), name=APP_NAME, route_prefix="/")

    def stop(self) -> None:
        try:
            if ray.is_initialized():
                if self._own_ray:
                    serve.shutdown()
                else:
                    serve.delete(APP_NAME)
                ray.shutdown()
        finally:
            if self.redis is not None:
                self.redis.stop()
