"""Prometheus metrics through Ray's metrics system.

Ray exports every process's metrics from its node's metrics agent (the port is `ray start
--metrics-export-port`, or `DOCSEG_METRICS_PORT` for `docseg serve`), with the names below prefixed
`ray_`. `cluster/deploy/grafana-docseg.json` is a dashboard over them. Outside a Ray worker the
calls are harmless no-ops, so tests and tools may run this code freely.
"""

from __future__ import annotations

from ray.util.metrics import Counter, Gauge, Histogram

SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800]

JOBS = Counter("docseg_jobs_total", description="Jobs that ended, by status.", tag_keys=("status",))
PAGES = Counter(
    "docseg_pages_total", description="Pages processed: all pages of completed jobs, and those OCR'd.",
    tag_keys=("kind",),
)
JOB_SECONDS = Histogram(
    "docseg_job_seconds", description="Time from a job's start to its end.", boundaries=SECONDS_BUCKETS,
    tag_keys=("status",),
)
PAGE_SECONDS = Histogram(
    "docseg_page_seconds", description="A completed job's time divided by its pages.", boundaries=SECONDS_BUCKETS,
)
QUEUE_DEPTH = Gauge("docseg_queue_depth", description="Jobs queued or running (unacknowledged queue entries).")
RUNNING_JOBS = Gauge("docseg_running_jobs", description="Jobs the dispatcher is running.")
OCR_BATCH_PAGES = Histogram(
    "docseg_ocr_batch_pages", description="Images a page task sends to the OCR actors at once.",
    boundaries=[1, 2, 4, 8, 16, 32, 64],
)
CALLBACKS = Counter(
    "docseg_callbacks_total", description="Callback deliveries by outcome (delivered, retried, dropped).",
    tag_keys=("outcome",),
)
