"""Configuration models of the cluster layer; the settings tree in serve_app composes them."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from segmentation.tags import DEFAULT_THRESHOLD


class StoreConfig(BaseModel):
    """Where state lives."""

    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = Field(default="docseg", pattern=r"^[A-Za-z0-9_.\-]+$")


class WorkConfig(BaseModel):
    """How jobs are run on Ray."""

    max_running_jobs: int = Field(default=8, ge=1, description="Jobs the dispatcher runs at once.")
    min_pages_per_task: int = Field(
        default=4, ge=1, description="Fewest pages in one page-range task; shorter documents take one task."
    )
    max_pages_per_task: int = Field(default=32, ge=1, description="Most pages in one page-range task.")
    whole_document_pages: int = Field(
        default=256, ge=0,
        description="While at least as many jobs run as there are CPUs, a document of up to this many pages is "
        "parsed and segmented in one task (not with OCR): split, its pages would only travel between processes "
        "for nothing. 0: always split.",
    )
    assembly_hold_pages: int = Field(
        default=256, ge=0,
        description="A document of up to this many pages is held in memory while its segments are assembled; "
        "a longer one is read a page range at a time in each of the assembly's passes, so the assembling "
        "worker's memory does not grow with the document (it reads the pages 3 more times).",
    )
    task_retries: int = Field(default=3, ge=0, description="Retries of a page task whose worker died.")
    lease_seconds: float = Field(
        default=60.0, gt=0, description="An unacknowledged queue entry older than this is claimed again."
    )
    image_min_pixels: int = Field(
        default=10_000, ge=1, description="Embedded images with fewer pixels are not extracted (process_images)."
    )
    tag_threshold: float = Field(
        default=DEFAULT_THRESHOLD, ge=-1, le=1,
        description="Least cosine similarity between a segment and a tag to apply it (calibrated default).",
    )
    poll_seconds: float = Field(
        default=1.0, gt=0, description="Longest wait on the queue before the dispatcher looks around."
    )
    check_seconds: float = Field(
        default=0.25, gt=0,
        description="How often a runner looks whether its job was cancelled or deleted while its tasks run.",
    )
    max_attempts: int = Field(
        default=5, ge=1,
        description="Runs of a job (each restart of a killed service or dispatcher is one) before it FAILS: "
        "a document that keeps killing what runs it is not tried forever.",
    )
    max_pages: int = Field(default=10_000, ge=1, description="Pages a document may have; more FAILS the job.")
    job_seconds: float = Field(default=3600.0, gt=0, description="Longest a job may run.")
    page_seconds: float = Field(
        default=60.0, gt=0,
        description="Time allowed per page: a job FAILS once it has run 60 s plus this much per page.",
    )
    max_page_pixels: int = Field(
        default=40_000_000, ge=10_000, description="Pixels of a page rendered for OCR; larger pages render smaller."
    )
    task_memory_bytes: int | None = Field(
        default=4 * 1024**3, ge=1,
        description="Address space a page task may add to its worker (RLIMIT_AS); unset: no limit.",
    )


class OcrConfig(BaseModel):
    """The OCR actor pool and how pages are rendered for it."""

    dpi: int = Field(default=150, ge=50, le=600, description="Resolution pages are rendered at for OCR.")
    easyocr_languages: list[str] = Field(default=["en"], description="EasyOCR language codes.")
    tesseract_languages: list[str] = Field(default=["eng", "ell"], description="Tesseract language names.")
    tesseract_command: str = Field(default="tesseract", description="The Tesseract program to run.")
    pool_size: int | None = Field(
        default=None, ge=1,
        description="OCR actors per backend; unset: one per GPU share, or half the CPUs without GPUs.",
    )
    gpu_fraction: float = Field(default=1.0, gt=0, le=1, description="GPU share per actor where there are GPUs.")
    actor_cpus: float = Field(
        default=0.0, ge=0,
        description="CPUs reserved per actor without GPUs. 0: the page task waiting on the actor "
        "releases its CPU while it waits, and the actor works in that share.",
    )
    torch_threads: int | None = Field(
        default=None, ge=1, description="Torch threads per EasyOCR actor; unset: the cluster's CPUs / pool size."
    )
    easyocr_batch_size: int = Field(
        default=1, ge=1, description="Text boxes EasyOCR recognises at once (larger helps on GPUs)."
    )


class CallbackConfig(BaseModel):
    """How job callbacks (POSTs to a job's callbackurl) are signed, sent and retried."""

    secret: SecretStr | None = Field(
        default=None,
        description="Standard Webhooks signing secret (`whsec_` + base64); unset: `docseg serve` makes one "
        "in the data directory.",
    )
    timeout_seconds: float = Field(default=10.0, gt=0, description="Time allowed for one delivery.")
    check_seconds: float = Field(
        default=0.25, gt=0,
        description="How often a runner looks whether its job was cancelled or deleted while its tasks run.",
    )
    max_attempts: int = Field(default=8, ge=1, description="Deliveries tried before a callback is dropped.")
    backoff_seconds: float = Field(default=2.0, gt=0, description="Wait before the first retry; doubles each time.")
    backoff_cap_seconds: float = Field(default=600.0, gt=0, description="Longest wait between retries.")
    progress_interval_seconds: float = Field(
        default=2.0, ge=0, description="At most one progress callback per job in this time."
    )
    allow: list[str] = Field(
        default_factory=list,
        description="Hosts or networks (CIDR) callbacks may reach although they are not public, "
        "e.g. trusted internal receivers.",
    )
    batch: int = Field(default=16, ge=1, description="Deliveries sent at once by the deliverer.")
    lease_seconds: float = Field(
        default=60.0, gt=0, description="A delivery taken by a deliverer that died is retried after this."
    )
