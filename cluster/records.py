"""Frozen records of what docseg stores: jobs, documents, segments.

Records are plain data; `JobStore` does the I/O. Jobs and documents are Redis hashes of scalar
fields (None is an absent field); segments are JSON values in a hash keyed by segment id.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, TypeAdapter

from cluster.status import DocumentStatus, JobStatus
from segmentation import DocType, ParseOptions

_OPTIONS = TypeAdapter(ParseOptions)


def utcnow() -> datetime:
    return datetime.now(UTC)


class _HashRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    def to_hash(self) -> dict[str, str]:
        """Fields as Redis hash values; None fields are left out."""
        dumped = self.model_dump(mode="json", exclude_none=True)
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in dumped.items()}

    @classmethod
    def from_hash(cls, raw: dict[Any, Any]) -> Self:
        return cls.model_validate(
            {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
             for k, v in raw.items()}
        )


class JobRecord(_HashRecord):
    id: str
    tenant: str
    ip: str
    documentid: str
    status: JobStatus
    created: datetime
    updated: datetime
    completed: datetime | None = None
    maxsize: int
    timeit: int | None = None
    callbackurl: str | None = None
    progress: int = 0
    error: str | None = None
    attempt: int = 0  # bumped by each runner that claims the job; fences out older runners
    started: datetime | None = None
    pages_total: int | None = None
    pages_done: int = 0
    pages_without_text: int | None = None  # pages that needed OCR and were not OCR'd


class DocumentRecord(_HashRecord):
    id: str
    tenant: str
    jobid: str
    status: DocumentStatus
    created: datetime
    updated: datetime
    filename: str
    filesize: int
    mimetype: str | None
    doctype: DocType
    options_json: str

    @property
    def options(self) -> ParseOptions:
        return _OPTIONS.validate_json(self.options_json)

    @staticmethod
    def dump_options(options: ParseOptions) -> str:
        return _OPTIONS.dump_json(options).decode()


class SegmentRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    documentid: str
    status: str = "COMPLETED"
    body: str
    pagenr: int
    group: str | None = None
    title: str | None = None
    tags: list[str] | None = None
    lang: str | None = None
    created: datetime
    updated: datetime
    timeit: int
    ordinal: int
