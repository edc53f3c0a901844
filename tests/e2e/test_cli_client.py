"""`docseg submit | status | jobs | segments | cancel | delete` against a running service."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import corpus_file

pytestmark = pytest.mark.e2e


def docseg(service, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCSEG_URL": service.url, "DOCSEG_TOKEN": token or service.token("cli")}
    return subprocess.run([sys.executable, "-m", "serve_app.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_submit_wait_and_write_segments(service, tmp_path):
    out = tmp_path / "segments.jsonl"
    files = [str(corpus_file("pypdf_multicolumn.pdf")), str(corpus_file("fek_decision_6.txt"))]
    done = docseg(service, "submit", *files, "--wait", "--out", str(out), "--maxsize", "800",
                  "--tag", "law", "--tag", "weather", "--json")
    assert done.returncode == 0, done.stderr
    states = [json.loads(line) for line in done.stdout.splitlines()]
    assert [s["status"] for s in states] == ["COMPLETED", "COMPLETED"]
    segments = [json.loads(line) for line in out.read_text().splitlines()]
    assert {s["file"] for s in segments} == {"pypdf_multicolumn.pdf", "fek_decision_6.txt"}
    assert all(sum(not c.isspace() for c in s["body"]) <= 800 for s in segments)

    jobid, documentid = states[0]["jobid"], states[0]["documentid"]
    status = docseg(service, "status", jobid, "--json")
    assert status.returncode == 0 and json.loads(status.stdout)["status"] == "COMPLETED"
    assert jobid in docseg(service, "jobs").stdout
    printed = docseg(service, "segments", documentid)
    assert printed.returncode == 0 and "--- 0  page 1" in printed.stdout
    assert docseg(service, "cancel", jobid).returncode == 5  # it has ended: 409
    assert docseg(service, "delete", jobid).returncode == 0
    gone = docseg(service, "status", jobid)
    assert gone.returncode == 4 and "not found" in gone.stderr and "Traceback" not in gone.stderr


def test_exit_codes_say_what_went_wrong(service, tmp_path):
    failed = docseg(service, "submit", str(corpus_file("pdfminer_aes-256.pdf")), "--wait")
    assert failed.returncode == 1 and "encrypted" in failed.stdout
    refused = docseg(service, "jobs", token="not-a-token")
    assert refused.returncode == 3 and "401" in refused.stderr and "Traceback" not in refused.stderr
    invalid = docseg(service, "submit", str(corpus_file("pypdf_multicolumn.pdf")), "--maxsize", "5")
    assert invalid.returncode == 5 and "maxsize" in invalid.stderr
    missing = docseg(service, "submit", str(tmp_path / "nope.pdf"))
    assert missing.returncode == 7 and "not a file" in missing.stderr
    assert docseg(service, "submit", "--help").returncode == 0
