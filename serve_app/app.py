"""The Ray Serve application: the API ingress and the dispatcher, deployed together.

`build_app(settings)` is the typed app builder (`serve run serve_app.app:build_app`), so the same
application runs under `docseg serve`, a Serve config file, or a KubeRay RayService.
"""

from __future__ import annotations

import logging

from ray import serve
from ray.serve import Application
from ray.serve.handle import DeploymentHandle

from cluster import logs
from cluster.callbacks import CallbackDeliverer
from cluster.dispatcher import Dispatcher
from cluster.queue import JobQueue
from cluster.runner import JobRunner
from cluster.store import JobStore
from serve_app import deps
from serve_app.api import api
from serve_app.auth import TokenVerifier
from serve_app.settings import Settings

log = logging.getLogger(__name__)


@serve.deployment(num_replicas=1, ray_actor_options={"num_cpus": 0}, max_ongoing_requests=16)
class DispatcherDeployment:
    """Hosts the one dispatcher loop; Serve restarts it when its health check fails."""

    def __init__(self, settings: Settings) -> None:
        logs.configure()
        store = JobStore.from_url(
            settings.redis(), settings.key_prefix, settings.callbacks.progress_interval_seconds
        )
        self.dispatcher = Dispatcher(
            JobQueue(store.redis, store.keys), JobRunner(store, settings.work, settings.ocr), settings.work
        )
        self.dispatcher.start()
        self.callbacks = CallbackDeliverer(store.redis, store.keys, settings.callbacks, settings.callback_secret())
        self.callbacks.start()

    def check_health(self) -> None:
        if not self.dispatcher.alive:
            raise RuntimeError("the dispatcher loop has stopped")
        if not self.callbacks.alive:
            raise RuntimeError("the callback deliverer has stopped")

    async def running_jobs(self) -> list[str]:
        return sorted(self.dispatcher.running)

    async def health(self) -> dict[str, object]:
        """The dispatcher loop, the callback deliverer and the OCR actors (started on first use)."""
        return {
            "dispatcher": self.dispatcher.alive,
            "callbacks": self.callbacks.alive,
            "running_jobs": len(self.dispatcher.running),
            "ocr": await self.dispatcher.runner.ocr_pools.health(),
        }


@serve.deployment(ray_actor_options={"num_cpus": 0})
@serve.ingress(api)
class ApiIngress:
    """The HTTP API. Requests only touch Redis; the dispatcher does the work."""

    def __init__(self, settings: Settings, dispatcher: DeploymentHandle) -> None:
        deps.install(
            deps.Services(
                settings=settings,
                store=JobStore.from_url(settings.redis(), settings.key_prefix),
                verifier=TokenVerifier(settings.secret(), settings.auth),
                dispatcher=dispatcher,
            )
        )
        # Binding the dispatcher here makes Serve deploy, health-check and restart it with the API;
        # jobs reach it through the Redis queue, and only the deep health check calls it.
        self.dispatcher = dispatcher


def build_app(settings: Settings) -> Application:
    """The docseg application for these settings (Redis URL and JWT secret must be set)."""
    settings.redis()
    settings.secret()
    # The decorators turn the classes into Deployments, which mypy cannot see.
    ingress = ApiIngress.options(**settings.serve.replica_options())  # type: ignore[attr-defined]
    dispatcher = DispatcherDeployment.bind(settings)  # type: ignore[attr-defined]
    return ingress.bind(settings, dispatcher)
