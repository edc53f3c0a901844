"""Response and request bodies of the HTTP API, field for field the Helvia.ai Document Segmenter 1.1.0.

docseg only adds optional fields (`error` on a job). Records from the store are turned into these
with `model_validate(record, from_attributes=True)`; fields the API does not show (tenant, attempt)
stay behind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cluster.status import DocumentStatus, JobStatus


class _Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ProcessDocReply(_Schema):
    success: bool
    jobid: str | None
    documentid: str | None


class Job(_Schema):
    id: str
    ip: str
    documentid: str
    status: JobStatus
    created: datetime
    updated: datetime
    completed: datetime | None
    maxsize: int
    timeit: int | None = Field(description="Processing time in seconds.")
    callbackurl: str | None
    progress: int = Field(ge=0, le=100)
    error: str | None = Field(default=None, description="Why a FAILED job failed (docseg addition).")
    pages_without_text: int | None = Field(
        default=None,
        description="Pages with no usable text layer that were not OCR'd (docseg addition); "
        "more than 0 means enable_ocr would add text.",
    )


class JobList(_Schema):
    items: list[Job]


class JobPatch(_Schema):
    status: Literal[JobStatus.CANCELED] = Field(description="The only change a client can make: cancel.")


class Document(_Schema):
    id: str
    status: DocumentStatus
    created: datetime
    updated: datetime
    filename: str
    filesize: int
    mimetype: str | None


class DocumentList(_Schema):
    items: list[Document]


class Segment(_Schema):
    id: str
    documentid: str
    status: Literal["COMPLETED", "FAILED"]
    body: str
    pagenr: int
    group: str | None
    title: str | None
    tags: list[str] | None
    lang: str | None
    created: datetime
    updated: datetime
    timeit: int
    ordinal: int


class SegmentList(_Schema):
    segments: list[Segment]


class ServiceInfo(_Schema):
    vendorName: str
    latestVersion: str
