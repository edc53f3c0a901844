"""Configuration models of the cluster layer; the settings tree in serve_app composes them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class StoreConfig(BaseModel):
    """Where state lives."""

    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = Field(default="docseg", pattern=r"^[A-Za-z0-9_.\-]+$")


class WorkConfig(BaseModel):
    """How jobs are run on Ray."""

    max_running_jobs: int = Field(default=8, ge=1, description="Jobs the dispatcher runs at once.")
    min_pages_per_task: int = Field(
        default=4, ge=1, description="Fewest pages in one page-range task; shorter documents take one task."
    )
    max_pages_per_task: int = Field(default=32, ge=1, description="Most pages in one page-range task.")
    task_retries: int = Field(default=3, ge=0, description="Retries of a page task whose worker died.")
    lease_seconds: float = Field(
        default=60.0, gt=0, description="An unacknowledged queue entry older than this is claimed again."
    )
    poll_seconds: float = Field(
        default=1.0, gt=0, description="Longest wait on the queue before the dispatcher looks around."
    )
