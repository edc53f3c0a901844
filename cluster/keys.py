"""Every Redis key docseg uses, built from one configurable prefix.

Two deployments that share a Redis need only different prefixes. No other module formats a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

QUEUE_GROUP = "dispatchers"


class ResultKeys(NamedTuple):
    """The three hashes that hold a result, laid out like a document's (`segments`, `images`, `image_data`)."""

    segments: str
    images: str
    image_data: str


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "docseg"

    def job(self, job_id: str) -> str:
        """Hash: one job's fields (status, progress, attempt, tenant, ...)."""
        return f"{self.prefix}:job:{job_id}"

    def document(self, document_id: str) -> str:
        """Hash: one document's fields, its options and the id of the job that processes it."""
        return f"{self.prefix}:doc:{document_id}"

    def upload(self, document_id: str) -> str:
        """String: the uploaded bytes, kept only until the job ends."""
        return f"{self.prefix}:upload:{document_id}"

    def upload_password(self, document_id: str) -> str:
        """String: the password that opens an encrypted upload, kept exactly as long as the upload."""
        return f"{self.prefix}:upload-password:{document_id}"

    def segments(self, document_id: str) -> str:
        """Hash: segment id -> segment JSON."""
        return f"{self.prefix}:segments:{document_id}"

    def images(self, document_id: str) -> str:
        """Hash: image id -> JSON of its content type, page and size (process_images)."""
        return f"{self.prefix}:images:{document_id}"

    def image_data(self, document_id: str) -> str:
        """Hash: image id -> the image's bytes."""
        return f"{self.prefix}:image-data:{document_id}"

    def staged(self, job_id: str, attempt: int) -> ResultKeys:
        """One run's result while it is being written, part by part; renamed to the document's on completion."""
        base = f"{self.prefix}:staged:{job_id}:{attempt}"
        return ResultKeys(f"{base}:segments", f"{base}:images", f"{base}:image-data")

    def result(self, document_id: str) -> ResultKeys:
        """A document's published result: its segments and images."""
        return ResultKeys(self.segments(document_id), self.images(document_id), self.image_data(document_id))

    def jobs_index(self, tenant: str | None = None) -> str:
        """Sorted set of job ids by creation time: one per tenant, and one of all jobs (None)."""
        return f"{self.prefix}:jobs:{tenant}" if tenant else f"{self.prefix}:jobs"

    def documents_index(self, tenant: str | None = None) -> str:
        """Sorted set of document ids by creation time, per tenant and overall (None)."""
        return f"{self.prefix}:docs:{tenant}" if tenant else f"{self.prefix}:docs"

    @property
    def callbacks_due(self) -> str:
        """Sorted set: callback delivery id -> the time (epoch seconds) it is due."""
        return f"{self.prefix}:callbacks"

    def callback(self, delivery_id: str) -> str:
        """Hash: one callback delivery (url, body, attempts, job id)."""
        return f"{self.prefix}:callback:{delivery_id}"

    def callback_throttle(self, job_id: str) -> str:
        """String with a TTL: a progress callback of this job went out recently."""
        return f"{self.prefix}:callback-throttle:{job_id}"

    @property
    def queue(self) -> str:
        """Stream of job ids waiting to be processed, read by the dispatcher's consumer group."""
        return f"{self.prefix}:queue"

    @property
    def all_patterns(self) -> str:
        """Pattern matching every key under this prefix (tests and admin tools scan with it)."""
        return f"{self.prefix}:*"
