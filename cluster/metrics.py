"""Prometheus metrics through Ray's metrics system.

Ray exports every process's metrics from its node's metrics agent (the port is `ray start
--metrics-export-port`, or `DOCSEG_METRICS_PORT` for `docseg serve`), with the names below prefixed
`ray_`. `cluster/deploy/grafana-docseg.json` is a dashboard over them. The metrics are made on
first use, and only inside Ray workers and actors (where the service's code runs); in a driver
process (tests, tools) every call is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ray
from ray.util.metrics import Counter, Gauge, Histogram


class _Metric:
    """A Ray metric made when first used in a Ray worker; a no-op anywhere else."""

    def __init__(self, kind: Callable[..., Any], name: str, **options: Any) -> None:
        self.kind, self.name, self.options = kind, name, options
        self._metric: Any = None

    def _get(self) -> Any:
        if self._metric is None:
            worker = ray._private.worker.global_worker
            if not ray.is_initialized() or worker.mode != ray.WORKER_MODE:
                return None
            self._metric = self.kind(self.name, **self.options)
        return self._metric

    def __getattr__(self, method: str) -> Callable[..., None]:
        metric = self._get()
        return getattr(metric, method) if metric is not None else (lambda *args, **kwargs: None)


SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800]

JOBS = _Metric(Counter, "docseg_jobs_total", description="Jobs that ended, by status.", tag_keys=("status",))
PAGES = _Metric(
    Counter, "docseg_pages_total", description="Pages processed: all pages of completed jobs, and those OCR'd.",
    tag_keys=("kind",),
)
JOB_SECONDS = _Metric(
    Histogram, "docseg_job_seconds", description="Time from a job's start to its end.",
    boundaries=SECONDS_BUCKETS, tag_keys=("status",),
)
PAGE_SECONDS = _Metric(
    Histogram, "docseg_page_seconds", description="A completed job's time divided by its pages.",
    boundaries=SECONDS_BUCKETS,
)
QUEUE_DEPTH = _Metric(Gauge, "docseg_queue_depth", description="Jobs queued or running (unacknowledged queue entries).")
RUNNING_JOBS = _Metric(Gauge, "docseg_running_jobs", description="Jobs the dispatcher is running.")
OCR_BATCH_PAGES = _Metric(
    Histogram, "docseg_ocr_batch_pages", description="Images a page task sends to the OCR actors at once.",
    boundaries=[1, 2, 4, 8, 16, 32, 64],
)
CALLBACKS = _Metric(
    Counter, "docseg_callbacks_total", description="Callback deliveries by outcome (delivered, retried, dropped).",
    tag_keys=("outcome",),
)
