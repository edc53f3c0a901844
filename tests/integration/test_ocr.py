"""OCR through the dispatcher, page tasks and the OCR actor pool: real EasyOCR and real Tesseract on CPU.

Inputs are small real scans from the corpus with ground truth (`.gt.txt`).
"""

from __future__ import annotations

import asyncio

import pytest
import ray

from cluster.config import OcrConfig
from cluster.dispatcher import Dispatcher
from cluster.queue import JobQueue
from cluster.runner import JobRunner
from cluster.status import JobStatus
from cluster.store import JobStore
from segmentation import DocType, OcrBackend, ParseOptions
from segmentation.quality import character_error_rate
from tests.conftest import corpus_file
from tests.integration.conftest import run_with_store
from tests.integration.test_pipeline import CONFIG, finished, wait_until

pytestmark = pytest.mark.usefixtures("ray_cluster")

OCR = OcrConfig(pool_size=1, dpi=150)


def ground_truth(name: str) -> str:
    return corpus_file(name).read_text(encoding="utf-8")


async def run_job(store: JobStore, name: str, doctype: DocType, **options) -> tuple[JobStatus, list[str], object]:
    job, _ = await store.submit(
        tenant="acme", ip="127.0.0.1", filename=name, data=corpus_file(name).read_bytes(),
        doctype=doctype, options=ParseOptions(**options), callbackurl=None,
    )
    done = await finished(store, job.id, timeout=300)
    segments = await store.segments(done.documentid)
    return done, [s.body for s in segments], segments


def with_ocr_dispatcher(key_prefix: str, scenario, ocr: OcrConfig = OCR) -> None:
    async def main(store: JobStore) -> None:
        runner = JobRunner(store, CONFIG, ocr)
        dispatcher = Dispatcher(JobQueue(store.redis, store.keys), runner, CONFIG)
        dispatcher.start()
        try:
            await scenario(store, runner)
        finally:
            await dispatcher.stop()
            for actors in runner.ocr_pools._pools.values():
                for actor in actors:
                    ray.kill(actor)

    run_with_store(key_prefix, main)


def test_mixed_pdf_ocrs_only_the_image_pages(key_prefix):
    name = "paperless_multi-page-mixed.pdf"  # pages 1-3 scanned, 4-6 with a text layer

    async def scenario(store: JobStore, runner: JobRunner) -> None:
        done, bodies, _ = await run_job(store, name, DocType.PDF, maxsize=2000, enable_ocr=True)
        assert done.status == JobStatus.COMPLETED, done.error
        assert done.pages_without_text == 0
        text = "\n".join(bodies)
        assert character_error_rate(text, ground_truth("paperless_multi-page-mixed.gt.txt")) < 0.1
        # The text-layer pages keep PyMuPDF's text exactly; only three pages went to the pool.
        assert "This is a multi page document. Page 4." in text
        (actor,) = runner.ocr_pools.actors(OcrBackend.EASYOCR)
        assert await actor.pages_done.remote() == 3

        off, off_bodies, _ = await run_job(store, name, DocType.PDF, maxsize=2000)
        assert off.status == JobStatus.COMPLETED and off.pages_without_text == 3
        assert "Page 1" not in " ".join(off_bodies) and "Page 6." in " ".join(off_bodies)

    with_ocr_dispatcher(key_prefix, scenario)


def test_tiff_upload_is_ocrd_as_pages(key_prefix):
    async def scenario(store: JobStore, _: JobRunner) -> None:
        done, bodies, segments = await run_job(store, "tess_phototest.tif", DocType.TIFF, maxsize=300)
        assert done.status == JobStatus.COMPLETED, done.error
        assert all(sum(not c.isspace() for c in b) <= 300 for b in bodies)
        assert character_error_rate(" ".join(bodies), ground_truth("tess_phototest.gt.txt")) < 0.1
        assert {s.pagenr for s in segments} == {1}

    with_ocr_dispatcher(key_prefix, scenario)


def test_tesseract_backend_on_a_scanned_pdf(key_prefix):
    async def scenario(store: JobStore, _: JobRunner) -> None:
        done, bodies, segments = await run_job(
            store, "paperless_multi-page-images.pdf", DocType.PDF, maxsize=1000, enable_ocr=True,
            ocr_backend=OcrBackend.TESSERACT,
        )
        assert done.status == JobStatus.COMPLETED, done.error
        cer = character_error_rate(" ".join(bodies), ground_truth("paperless_multi-page-images.gt.txt"))
        assert cer < 0.05
        assert [s.pagenr for s in segments] == sorted(s.pagenr for s in segments)

    with_ocr_dispatcher(key_prefix, scenario)


def test_force_full_page_ocr_ignores_the_text_layer(key_prefix):
    async def scenario(store: JobStore, runner: JobRunner) -> None:
        done, bodies, _ = await run_job(
            store, "pypdf_pdflatex-image.pdf", DocType.PDF, maxsize=5000, force_full_page_ocr=True,
            ocr_backend=OcrBackend.TESSERACT,
        )
        assert done.status == JobStatus.COMPLETED, done.error
        (actor,) = runner.ocr_pools.actors(OcrBackend.TESSERACT)
        assert await actor.pages_done.remote() == 1
        assert "Lorem ipsum" in " ".join(bodies)

    with_ocr_dispatcher(key_prefix, scenario)


def test_missing_ocr_engine_fails_the_job_with_what_to_install(key_prefix):
    async def scenario(store: JobStore, _: JobRunner) -> None:
        done, _, _ = await run_job(
            store, "tess_phototest.tif", DocType.TIFF, ocr_backend=OcrBackend.TESSERACT
        )
        assert done.status == JobStatus.FAILED
        assert "Tesseract is not installed" in done.error and "apt-get install tesseract-ocr" in done.error

    with_ocr_dispatcher(key_prefix, scenario, OcrConfig(pool_size=1, tesseract_command="no-such-tesseract"))


def test_cancel_stops_queued_ocr_and_other_jobs_go_on(key_prefix):
    async def scenario(store: JobStore, runner: JobRunner) -> None:
        scanned, _ = await store.submit(
            tenant="acme", ip="127.0.0.1", filename="scan.pdf",
            data=corpus_file("fek_scanned_test_ocr.pdf").read_bytes(), doctype=DocType.PDF,
            options=ParseOptions(enable_ocr=True), callbackurl=None,
        )

        async def ocr_started():
            actors = runner.ocr_pools._pools.get(OcrBackend.EASYOCR)
            return actors and (await store.job(scanned.id)).status == JobStatus.PROCESSING

        await wait_until(ocr_started, what="the scanned job to reach OCR")
        await asyncio.sleep(3)
        await store.cancel(scanned.id, "acme")
        done, bodies, _ = await run_job(store, "tess_phototest.tif", DocType.TIFF, maxsize=1000)
        assert done.status == JobStatus.COMPLETED and bodies
        (actor,) = runner.ocr_pools.actors(OcrBackend.EASYOCR)
        # 12 scanned pages were ahead of the TIFF; it finished long before they could have all run.
        assert await actor.pages_done.remote() < 8
        assert (await store.job(scanned.id)).status == JobStatus.CANCELED
        assert await store.redis.hlen(store.keys.segments(scanned.documentid)) == 0

    # Coarse pages keep the test short; the queue behaviour is the same at any resolution.
    with_ocr_dispatcher(key_prefix, scenario, OcrConfig(pool_size=1, dpi=72))
