"""`/documents`: uploaded documents and their segments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from serve_app.deps import Caller, Store
from serve_app.schemas import Document, DocumentList, Segment, SegmentList

router = APIRouter(tags=["documents"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such document or segment"}}


@router.get("/documents", response_model=DocumentList, include_in_schema=False)
@router.get("/documents/", response_model=DocumentList)
async def list_documents(caller: Caller, store: Store) -> DocumentList:
    return DocumentList(items=[Document.model_validate(d) for d in await store.documents(caller.scope)])


@router.get("/documents/{documentid}", response_model=Document, responses=_NOT_FOUND)
async def get_document(documentid: str, caller: Caller, store: Store) -> Document:
    return Document.model_validate(await store.document(documentid, caller.scope))


@router.get("/documents/{documentid}/segments", response_model=SegmentList, responses=_NOT_FOUND)
async def list_segments(documentid: str, caller: Caller, store: Store) -> StreamingResponse:
    """The document's segments in order; empty until its job has completed.

    Streamed as stored, a batch at a time: a long document's answer is never held whole here.
    """
    await store.document(documentid, caller.scope)  # a 404 must come before the answer starts
    return StreamingResponse(_segment_list(store.segment_json_batches(documentid)), media_type="application/json")


async def _segment_list(batches: AsyncIterator[list[bytes]]) -> AsyncIterator[bytes]:
    """`{"segments": [...]}` around the stored segment JSON (already the `Segment` schema's fields)."""
    yield b'{"segments":['
    separator = b""
    async for batch in batches:
        yield separator + b",".join(batch)
        separator = b","
    yield b"]}"


@router.get(
    "/documents/{documentid}/segments/{segmentid}", response_model=SegmentList,
    responses=_NOT_FOUND,
)
async def get_segment(documentid: str, segmentid: str, caller: Caller, store: Store) -> SegmentList:
    """One segment, as a one-item list (the contract's shape)."""
    segment = await store.segment(documentid, segmentid, caller.scope)
    return SegmentList(segments=[Segment.model_validate(segment)])


@router.get(
    "/documents/{documentid}/images/{imageid}",
    responses={200: {"content": {"image/*": {}}, "description": "The image's bytes"}, **_NOT_FOUND},
    response_class=Response,
)
async def get_image(documentid: str, imageid: str, caller: Caller, store: Store) -> Response:
    """An embedded image extracted with `process_images`, as linked from the segments (docseg addition)."""
    data, content_type = await store.image(documentid, imageid, caller.scope)
    return Response(content=data, media_type=content_type)
