"""The `POST /jobs` form: read and check everything before anything is stored.

Problems with the input raise FastAPI's RequestValidationError, so clients get the same 422 shape
for a bad `usetags` as for a bad `maxsize`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, BinaryIO
from urllib.parse import urlparse

from fastapi import UploadFile
from fastapi.exceptions import RequestValidationError

from segmentation import (
    DocType,
    OcrBackend,
    ParseOptions,
    PdfBackend,
    SegmentationError,
    resolve_doctype,
)
from serve_app.errors import UploadTooLarge

READ_CHUNK = 1024 * 1024


def invalid(field: str, message: str, value: Any = None) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", field), "msg": message, "input": value}]
    )


def parse_tags(raw: str | None) -> tuple[str, ...]:
    if raw is None or raw.strip() == "":
        return ()
    try:
        tags = json.loads(raw)
    except json.JSONDecodeError:
        raise invalid("usetags", "usetags must be a JSON array of strings", raw) from None
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise invalid("usetags", "usetags must be a JSON array of strings", raw)
    return tuple(tag.strip() for tag in tags if tag.strip())


def check_callback(url: str | None) -> str | None:
    if url is None or url.strip() == "":
        return None
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise invalid("callbackurl", "callbackurl must be an http or https URL", url)
    return url.strip()


async def checked_upload(upload: UploadFile, limit: int) -> BinaryIO:
    """The upload's spooled file (on disk past 1 MiB); an upload over `limit` bytes (never read past
    the limit) or an empty one is refused. The bytes are not read into memory here."""
    size = upload.size
    if size is None:  # not counted as it was spooled: count it now, up to the limit
        size = 0
        while size <= limit and (chunk := await upload.read(READ_CHUNK)):
            size += len(chunk)
        await upload.seek(0)
    if size > limit:
        raise UploadTooLarge(f"the upload is larger than the limit of {limit} bytes")
    if not size:
        raise invalid("uploadfile", "the uploaded file is empty")
    return upload.file


async def upload_chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    """The upload's bytes a chunk at a time, from its start."""
    await upload.seek(0)
    while chunk := await upload.read(READ_CHUNK):
        yield chunk


def detect(source: BinaryIO, doctype: str | None, filename: str) -> DocType:
    """The document's type, read from the head of its file (and a zip's directory)."""
    declared = DocType(doctype) if doctype else None
    try:
        return resolve_doctype(source, declared, filename)
    except SegmentationError as exc:
        field = "doctype" if declared else "uploadfile"
        raise invalid(field, str(exc), doctype if declared else filename) from None


def parse_options(
    *,
    maxsize: int | None,
    usetags: str | None,
    maxtags: int | None,
    process_images: bool | None,
    pdf_parsing_backend: str | None,
    enable_ocr: bool | None,
    ocr_backend: str | None,
    force_full_page_ocr: bool | None,
) -> ParseOptions:
    """Options with the contract's defaults for every field sent as null."""
    defaults = ParseOptions()
    return ParseOptions(
        maxsize=defaults.maxsize if maxsize is None else maxsize,
        usetags=parse_tags(usetags),
        maxtags=defaults.maxtags if maxtags is None else maxtags,
        process_images=bool(process_images),
        pdf_parsing_backend=PdfBackend(pdf_parsing_backend or defaults.pdf_parsing_backend),
        enable_ocr=bool(enable_ocr),
        ocr_backend=OcrBackend(ocr_backend) if ocr_backend else None,
        force_full_page_ocr=bool(force_full_page_ocr),
    )
