"""`/jobs`: submit, list, read, cancel and delete jobs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, Response, UploadFile, status

from serve_app import forms
from serve_app.deps import AppSettings, Caller, Store, client_ip
from serve_app.errors import ServiceBusy
from serve_app.schemas import Job, JobList, JobPatch, ProcessDocReply

router = APIRouter(tags=["jobs"])

DoctypeName = Literal["", "pdf", "docx", "pptx", "xlsx", "txt", "html", "md", "png", "jpeg", "tiff"]


@router.post(
    "/jobs", response_model=ProcessDocReply,
    responses={413: {"description": "The upload is over the limit"},
               503: {"description": "Too many jobs waiting; retry after Retry-After seconds"}},
)
@router.post("/jobs/", response_model=ProcessDocReply, include_in_schema=False)
async def submit_job(
    request: Request,
    caller: Caller,
    store: Store,
    settings: AppSettings,
    uploadfile: Annotated[UploadFile, File(description="The document.")],
    doctype: Annotated[DoctypeName | None, Form(description='"" detects the type.')] = "",
    maxsize: Annotated[int | None, Form(ge=100, le=10_000_000)] = 5000,
    usetags: Annotated[str | None, Form(description="JSON array of tag strings.")] = "[]",
    maxtags: Annotated[int | None, Form(ge=0, le=100)] = 1,
    callbackurl: Annotated[str | None, Form()] = None,
    process_images: Annotated[bool | None, Form()] = False,
    pdf_parsing_backend: Annotated[Literal["pymupdf", "pypdfium2"] | None, Form()] = "pymupdf",
    enable_ocr: Annotated[bool | None, Form()] = False,
    ocr_backend: Annotated[Literal["easyocr", "tesseract"] | None, Form()] = None,
    force_full_page_ocr: Annotated[bool | None, Form()] = False,
    password: Annotated[
        str | None,
        Form(max_length=1024, description="Opens an encrypted PDF (docseg addition); dropped when the job ends."),
    ] = None,
) -> ProcessDocReply:
    """Store the document and queue a job for it; processing happens in the background."""
    waiting = await store.queue_depth()
    if waiting >= settings.limits.max_queued_jobs:
        raise ServiceBusy(f"{waiting} jobs are waiting or running; retry later")
    options = forms.parse_options(
        maxsize=maxsize, usetags=usetags, maxtags=maxtags, process_images=process_images,
        pdf_parsing_backend=pdf_parsing_backend, enable_ocr=enable_ocr, ocr_backend=ocr_backend,
        force_full_page_ocr=force_full_page_ocr,
    )
    callback = forms.check_callback(callbackurl)
    spooled = await forms.checked_upload(uploadfile, settings.limits.max_upload_bytes)
    filename = uploadfile.filename or "upload"
    detected = forms.detect(spooled, doctype, filename)
    job, document = await store.submit(  # the bytes go to Redis chunk by chunk, never whole in memory
        tenant=caller.subject, ip=client_ip(request), filename=filename, data=forms.upload_chunks(uploadfile),
        doctype=detected, options=options, callbackurl=callback, password=password or None,
    )
    return ProcessDocReply(success=True, jobid=job.id, documentid=document.id)


@router.get("/jobs", response_model=JobList, include_in_schema=False)
@router.get("/jobs/", response_model=JobList)
async def list_jobs(caller: Caller, store: Store) -> JobList:
    """The caller's jobs, oldest first (every tenant's for an admin)."""
    return JobList(items=[Job.model_validate(j) for j in await store.jobs(caller.scope)])


@router.get("/jobs/{jobid}", response_model=Job, responses={404: {"description": "No such job"}})
async def get_job(jobid: str, caller: Caller, store: Store) -> Job:
    return Job.model_validate(await store.job(jobid, caller.scope))


@router.patch(
    "/jobs/{jobid}", response_model=Job,
    responses={404: {"description": "No such job"}, 409: {"description": "The job has ended"}},
)
async def patch_job(jobid: str, patch: JobPatch, caller: Caller, store: Store) -> Job:
    """Cancel a job (`{"status": "CANCELED"}`); the only change a client can make."""
    return Job.model_validate(await store.cancel(jobid, caller.scope))


@router.delete(
    "/jobs/{jobid}", status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "No such job"}},
)
async def delete_job(jobid: str, caller: Caller, store: Store) -> Response:
    """Delete the job with its document and segments; a running job is cancelled first."""
    await store.delete(jobid, caller.scope)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
