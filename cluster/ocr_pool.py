"""A pool of OCR actors per backend: each loads its model once and serves pages from any job.

Actors take a share of a GPU where the cluster has GPUs and run on CPU otherwise. A page task
sends its rendered pages to the pool and waits; cancelling the page task cancels its queued
pages, so a cancelled job stops holding the pool while other jobs' pages go on.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import ray
from ray.exceptions import RayError, TaskCancelledError

from cluster.config import OcrConfig
from segmentation import OcrBackend, SegmentationError
from segmentation.ocr import OcrEngine, OcrLine, create_engine


@ray.remote
class OcrActor:
    """Holds one loaded OCR engine."""

    def __init__(
        self, backend: OcrBackend, languages: list[str], gpu: bool, config: OcrConfig, threads: int
    ) -> None:
        # Ray sets OMP_NUM_THREADS to the actor's CPU reservation (1 when it reserves none), which
        # would leave torch on one thread; the pool says how many this actor should use.
        import torch

        torch.set_num_threads(threads)
        self.pages = 0
        self.engine: OcrEngine | None = None
        self.error: SegmentationError | None = None
        try:
            self.engine = create_engine(
                backend, languages, gpu, config.tesseract_command, config.easyocr_batch_size
            )
        except SegmentationError as exc:
            # Kept, not raised: every page sent here then fails its job with this message.
            self.error = exc

    def recognize(self, image: np.ndarray) -> list[OcrLine]:
        if self.engine is None:
            assert self.error is not None
            raise self.error
        lines = self.engine.recognize(image)
        self.pages += 1
        return lines

    def pages_done(self) -> int:
        return self.pages


ACTOR_RESTARTS = 3


class OcrPools:
    """The OCR actors of one deployment, created on first use per backend."""

    def __init__(self, config: OcrConfig) -> None:
        self.config = config
        self._pools: dict[OcrBackend, list[Any]] = {}

    async def health(self, timeout: float = 2.0) -> dict[str, dict[str, int]]:
        """Per started backend, how many actors answer within `timeout` out of how many there are."""
        report = {}
        for backend, actors in self._pools.items():
            answering = 0
            for actor in actors:
                try:
                    await asyncio.wait_for(actor.pages_done.remote(), timeout)
                    answering += 1
                except (TimeoutError, RayError):
                    pass
            report[backend.value] = {"actors": len(actors), "answering": answering}
        return report

    def actors(self, backend: OcrBackend | None) -> list[Any]:
        backend = backend or OcrBackend.EASYOCR
        if backend not in self._pools:
            self._pools[backend] = self._start(backend)
        return self._pools[backend]

    def _start(self, backend: OcrBackend) -> list[Any]:
        resources = ray.cluster_resources()
        gpus = resources.get("GPU", 0)
        languages = (
            self.config.tesseract_languages if backend == OcrBackend.TESSERACT else self.config.easyocr_languages
        )
        if gpus and backend == OcrBackend.EASYOCR:
            size = self.config.pool_size or max(1, int(gpus / self.config.gpu_fraction))
            options: dict[str, Any] = {"num_gpus": self.config.gpu_fraction, "num_cpus": 0}
        else:
            size = self.config.pool_size or max(1, int(resources.get("CPU", 1)) // 2)
            options = {"num_cpus": self.config.actor_cpus}
        use_gpu = "num_gpus" in options
        threads = self.config.torch_threads or max(1, int(resources.get("CPU", 1)) // size)
        # OpenMP reads this at start-up; torch's own setting alone leaves OpenCV on one thread.
        options["runtime_env"] = {"env_vars": {"OMP_NUM_THREADS": str(threads)}}
        # A killed actor is restarted and the pages it held are sent again: a retry, not a failed job.
        options.update(max_restarts=ACTOR_RESTARTS, max_task_retries=ACTOR_RESTARTS)
        return [
            OcrActor.options(**options).remote(  # type: ignore[attr-defined]
                backend, languages, use_gpu, self.config, threads
            )
            for _ in range(size)
        ]


def recognize_pages(actors: Sequence[Any], images: Sequence[np.ndarray]) -> list[list[OcrLine]]:
    """OCR the images on the pool, spread from a random start; cancels its queued pages if cancelled."""
    start = random.randrange(len(actors))
    refs = [actors[(start + i) % len(actors)].recognize.remote(image) for i, image in enumerate(images)]
    try:
        return list(ray.get(refs))
    except (KeyboardInterrupt, TaskCancelledError):
        for ref in refs:
            ray.cancel(ref)
        raise
