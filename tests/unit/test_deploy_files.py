"""Deployment files are loaded and checked, so they cannot silently rot."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

from serve_app.cli import build_parser

DEPLOY = Path(__file__).resolve().parents[2] / "cluster" / "deploy"


def test_the_batch_rayjob_runs_a_real_docseg_batch_command():
    job = yaml.safe_load((DEPLOY / "rayjob-batch.yaml").read_text())
    assert job["apiVersion"] == "ray.io/v1" and job["kind"] == "RayJob"
    command = shlex.split(job["spec"]["entrypoint"])
    assert command[:2] == ["docseg", "batch"]
    args = build_parser().parse_args(command[1:])  # the entrypoint's flags are the CLI's flags
    assert args.input.startswith("s3://") and args.out.startswith("s3://")
    cluster = job["spec"]["rayClusterSpec"]
    assert cluster["headGroupSpec"]["template"]["spec"]["containers"]
    assert all(group["template"]["spec"]["containers"] for group in cluster["workerGroupSpecs"])
