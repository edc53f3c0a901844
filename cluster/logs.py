"""Structured logs: one JSON object per line, carrying the job id where there is one.

Code that works on a job logs with `extra=job_fields(job_id)`; `JsonFormatter` writes the record's
time, level, logger, message and those fields, so a log pipeline can select one job's lines.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

JOB_FIELD = "job_id"


def job_fields(job_id: str) -> dict[str, Any]:
    return {JOB_FIELD: job_id}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        job_id = getattr(record, JOB_FIELD, None)
        if job_id is not None:
            entry[JOB_FIELD] = job_id
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: int = logging.INFO) -> None:
    """JSON lines on stderr for docseg's own loggers (`cluster`, `serve_app`), once per process."""
    for name in ("cluster", "serve_app"):
        logger = logging.getLogger(name)
        if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
            handler = logging.StreamHandler()
            handler.setFormatter(JsonFormatter())
            logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
