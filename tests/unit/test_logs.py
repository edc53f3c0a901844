"""Structured logs: JSON lines that carry the job id."""

from __future__ import annotations

import json
import logging

from cluster.logs import JsonFormatter, job_fields


def test_a_record_about_a_job_becomes_a_json_line_with_its_id():
    record = logging.LogRecord("cluster.runner", logging.WARNING, __file__, 1, "job %s failed: %s", ("abc", "x"), None)
    for name, value in job_fields("abc").items():
        setattr(record, name, value)
    line = json.loads(JsonFormatter().format(record))
    assert line["job_id"] == "abc" and line["level"] == "WARNING" and line["message"] == "job abc failed: x"
    assert line["logger"] == "cluster.runner" and line["time"].endswith("+00:00")
    plain = logging.LogRecord("cluster.queue", logging.INFO, __file__, 1, "no job here", (), None)
    assert "job_id" not in json.loads(JsonFormatter().format(plain))
