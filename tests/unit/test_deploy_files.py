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


def test_api_replicas_fixed_or_autoscaled_from_settings():
    from serve_app.settings import ServeConfig

    assert ServeConfig().replica_options() == {"num_replicas": 1, "max_ongoing_requests": 64}
    scaled = ServeConfig(num_replicas=2, max_replicas=8, target_ongoing_requests=4).replica_options()
    assert scaled["autoscaling_config"] == {"min_replicas": 2, "max_replicas": 8, "target_ongoing_requests": 4}
    assert "num_replicas" not in scaled


def test_the_rayservice_deploys_the_real_app_with_settings_it_accepts(monkeypatch):
    import importlib

    from serve_app.settings import Settings

    service = yaml.safe_load((DEPLOY / "rayservice.yaml").read_text())
    assert service["apiVersion"] == "ray.io/v1" and service["kind"] == "RayService"
    [app] = yaml.safe_load(service["spec"]["serveConfigV2"])["applications"]
    module, _, name = app["import_path"].partition(":")
    assert callable(getattr(importlib.import_module(module), name))  # serve_app.app:build_app exists
    monkeypatch.setenv("REDIS_URL", "redis://redis:6379/0")  # what the secrets give the pods
    settings = Settings(**app["args"])
    assert settings.serve.replica_options()["autoscaling_config"]["max_replicas"] == 8
    cluster = service["spec"]["rayClusterConfig"]
    groups = {g["groupName"]: g for g in cluster["workerGroupSpecs"]}
    assert set(groups) == {"cpu", "gpu"}
    gpu = groups["gpu"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert gpu["nvidia.com/gpu"] == "1"
    assert all(g["minReplicas"] <= g["maxReplicas"] for g in groups.values())
    for spec in [cluster["headGroupSpec"], *groups.values()]:
        env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in spec["template"]["spec"]["containers"][0]["env"]}
        assert {"REDIS_URL", "JWT_SECRET", "DOCSEG_CALLBACKS__SECRET"} <= set(env)


def test_the_ray_up_config_starts_docseg_serve_on_the_cluster():
    config = yaml.safe_load((DEPLOY / "ray-cluster.yaml").read_text())
    assert {"cluster_name", "provider", "available_node_types", "head_node_type"} <= set(config)
    assert config["head_node_type"] in config["available_node_types"]
    commands = " ".join(config["head_start_ray_commands"])
    assert "docseg serve" in commands and "RAY_ADDRESS=auto" in commands and "REDIS_URL" in commands
    assert any("pip install docseg" in c for c in config["setup_commands"])


def test_the_grafana_dashboard_uses_only_metrics_docseg_exports():
    import json
    import re

    from cluster import metrics

    exported = {f"ray_{m.name}" for m in vars(metrics).values() if isinstance(m, metrics._Metric)}
    dashboard = json.loads((DEPLOY / "grafana-docseg.json").read_text())
    used = {
        re.sub(r"_(bucket|sum|count)$", "", name)
        for panel in dashboard["panels"] for target in panel["targets"]
        for name in re.findall(r"\bray_docseg_\w+", target["expr"])
    }
    assert used and used <= exported, used - exported
    assert len(exported) >= 8
