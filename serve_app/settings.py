"""The one settings tree, read from the environment (prefix DOCSEG_, nested with `__`).

A few well-known names are read without the prefix: REDIS_URL, RAY_ADDRESS, JWT_SECRET.
Example: DOCSEG_WORK__MAX_RUNNING_JOBS=8, DOCSEG_LIMITS__MAX_UPLOAD_BYTES=52428800.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cluster.config import CallbackConfig, OcrConfig, WorkConfig

MIN_SECRET_LENGTH = 32


class AuthConfig(BaseModel):
    require_exp: bool = Field(default=True, description="Refuse tokens without an `exp` claim.")
    audience: str | None = Field(default=None, description="Required `aud` claim, if set.")
    issuer: str | None = Field(default=None, description="Required `iss` claim, if set.")
    leeway_seconds: int = Field(default=10, ge=0, description="Clock skew allowed on `exp`.")


class ServeConfig(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    num_replicas: int = Field(default=1, ge=1, description="API replicas (without autoscaling).")
    max_ongoing_requests: int = Field(default=64, ge=1, description="Concurrent requests per API replica.")
    proxy_location: Literal["HeadOnly", "EveryNode"] = Field(
        default="HeadOnly",
        description="Where `docseg serve` runs HTTP proxies: the head only (one URL), or every node.",
    )
    max_replicas: int | None = Field(
        default=None, ge=1, description="Set to autoscale the API replicas between num_replicas and this."
    )
    target_ongoing_requests: float = Field(
        default=16.0, gt=0, description="Autoscaling aims at this many requests in flight per replica."
    )

    def replica_options(self) -> dict[str, object]:
        """Serve deployment options for the API: a fixed count, or autoscaling bounds."""
        if self.max_replicas is None or self.max_replicas <= self.num_replicas:
            return {"num_replicas": self.num_replicas, "max_ongoing_requests": self.max_ongoing_requests}
        return {
            "max_ongoing_requests": self.max_ongoing_requests,
            "autoscaling_config": {
                "min_replicas": self.num_replicas, "max_replicas": self.max_replicas,
                "target_ongoing_requests": self.target_ongoing_requests,
            },
        }


class RedisConfig(BaseModel):
    appendfsync: Literal["everysec", "always"] = Field(
        default="everysec",
        description="fsync policy of the embedded Redis's append-only file: `always` loses nothing on a power "
        "cut, at a cost in write speed; `everysec` may lose the last second.",
    )


class LimitsConfig(BaseModel):
    max_upload_bytes: int = Field(default=100 * 1024 * 1024, ge=1, description="Largest upload (413 above).")
    max_queued_jobs: int = Field(
        default=1000, ge=1,
        description="Jobs queued or running past which POST /jobs answers 503 with Retry-After (backpressure).",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOCSEG_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("docseg")),
        description="Embedded Redis data and the dev JWT secret live here.",
    )
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "DOCSEG_REDIS_URL"),
        description="An external Redis; unset: `docseg serve` starts an embedded one.",
    )
    ray_address: str | None = Field(
        default=None, validation_alias=AliasChoices("RAY_ADDRESS", "DOCSEG_RAY_ADDRESS"),
        description="An existing Ray cluster; unset: a local Ray instance is started.",
    )
    jwt_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("JWT_SECRET", "DOCSEG_JWT_SECRET"),
        description="HS256 signing secret; unset: `docseg serve` makes one in the data directory.",
    )
    key_prefix: str = Field(default="docseg", pattern=r"^[A-Za-z0-9_.\-]+$")
    num_cpus: int | None = Field(default=None, ge=1, description="CPUs of a local Ray instance.")
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535,
        description="Port of a local Ray instance's Prometheus endpoint (/metrics); unset: Ray picks one.",
    )
    auth: AuthConfig = AuthConfig()
    work: WorkConfig = WorkConfig()
    ocr: OcrConfig = OcrConfig()
    serve: ServeConfig = ServeConfig()
    limits: LimitsConfig = LimitsConfig()
    callbacks: CallbackConfig = CallbackConfig()
    embedded_redis: RedisConfig = RedisConfig()

    @field_validator("jwt_secret")
    @classmethod
    def _strong_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"JWT_SECRET must be at least {MIN_SECRET_LENGTH} characters")
        return value

    def secret(self) -> str:
        if self.jwt_secret is None:
            raise RuntimeError("no JWT secret is configured")
        return self.jwt_secret.get_secret_value()

    def callback_secret(self) -> str:
        if self.callbacks.secret is None:
            raise RuntimeError("no callback signing secret is configured")
        return self.callbacks.secret.get_secret_value()

    def redis(self) -> str:
        if self.redis_url is None:
            raise RuntimeError("no Redis URL is configured")
        return self.redis_url
