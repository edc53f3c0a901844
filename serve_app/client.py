"""A Python client for any service that speaks the docseg / Helvia Document Segmenter API.

Importable without Ray: it needs only httpx and tqdm (and pandas for `segments_frame`).

    from serve_app.client import Client
    client = Client("http://127.0.0.1:8000", token)          # or DOCSEG_URL / DOCSEG_TOKEN
    job = client.submit("report.pdf", maxsize=1500, enable_ocr=True)
    job.wait()                                                # a progress bar over the job's pages
    frame = job.segments_frame()                              # one row per segment

    jobs = client.submit_many(Path("inbox").glob("*.pdf"), concurrency=4)
    for job in jobs: job.wait(progress=False)

Errors are typed (`AuthenticationError`, `NotFoundError`, `ValidationError` with the server's
details, `ServerBusyError`, ...). Requests are retried with exponential backoff on 503 and on
connection errors, honouring `Retry-After`. `AsyncClient` offers the same over asyncio.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tqdm.auto import tqdm

TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELED"})
Document = str | os.PathLike[str] | bytes


class DocsegError(Exception):
    """Any error the service answered with; `status` is the HTTP status (None: no answer)."""

    def __init__(self, message: str, status: int | None = None, detail: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class AuthenticationError(DocsegError):
    """401: the token is missing, malformed, expired or not signed with the service's secret."""


class NotFoundError(DocsegError):
    """404: no such job or document for this tenant."""


class ValidationError(DocsegError):
    """422: the request was refused; `detail` holds the server's list of field errors."""


class ConflictError(DocsegError):
    """409: e.g. cancelling a job that has already ended."""


class TooLargeError(DocsegError):
    """413: the upload is over the service's limit."""


class ServerBusyError(DocsegError):
    """503 (or no connection) after every retry."""


class JobFailedError(DocsegError):
    """`wait(raise_on_failure=True)` saw the job FAIL; the message is the job's reason."""


_ERRORS: dict[int, type[DocsegError]] = {
    401: AuthenticationError, 404: NotFoundError, 409: ConflictError, 413: TooLargeError, 422: ValidationError,
    503: ServerBusyError,
}


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a request the service could not take (503, no connection)."""

    attempts: int = 5
    backoff_seconds: float = 0.5
    cap_seconds: float = 30.0

    def delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None and retry_after.isdigit():
            return min(self.cap_seconds, float(retry_after))
        return min(self.cap_seconds, self.backoff_seconds * 2**attempt) * random.uniform(0.5, 1.0)


def _error(response: httpx.Response) -> DocsegError:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text
    if isinstance(detail, list):  # FastAPI's 422 shape: say which fields and why
        message = "; ".join(f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg')}" for d in detail)
    else:
        message = str(detail)
    kind = _ERRORS.get(response.status_code, DocsegError)
    return kind(f"HTTP {response.status_code}: {message}", response.status_code, detail)


def _next_step(
    policy: RetryPolicy, url: str, attempt: int, outcome: httpx.Response | httpx.TransportError
) -> httpx.Response | float:
    """The response to return, or the seconds to wait before trying again; raises when it is an error."""
    last = attempt + 1 >= policy.attempts
    if isinstance(outcome, httpx.TransportError):
        if last:
            raise ServerBusyError(f"no answer from {url}: {outcome}") from outcome
        return policy.delay(attempt, None)
    if outcome.status_code == 503 and not last:
        return policy.delay(attempt, outcome.headers.get("retry-after"))
    if outcome.is_error:
        raise _error(outcome)
    return outcome


def _form(options: Mapping[str, Any]) -> dict[str, str]:
    """Job options as the form fields the API takes (booleans as true/false, usetags as JSON)."""
    form = {}
    for name, value in options.items():
        if value is None:
            continue
        if isinstance(value, bool):
            form[name] = "true" if value else "false"
        elif name == "usetags" and not isinstance(value, str):
            form[name] = json.dumps(list(value))
        else:
            form[name] = str(value)
    return form


def _upload(document: Document, filename: str | None) -> tuple[str, bytes]:
    if isinstance(document, bytes):
        return filename or "document", document
    path = Path(document)
    return filename or path.name, path.read_bytes()


def _settings(url: str | None, token: str | None) -> tuple[str, dict[str, str]]:
    url = url or os.environ.get("DOCSEG_URL") or "http://127.0.0.1:8000"
    token = token or os.environ.get("DOCSEG_TOKEN")
    return url.rstrip("/"), ({"Authorization": f"Bearer {token}"} if token else {})


def segments_frame(segments: Sequence[Mapping[str, Any]]) -> Any:
    """Segments as a pandas DataFrame, one row per segment with every field."""
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError("segments_frame needs pandas: pip install 'docseg[pandas]'") from exc
    frame = pd.DataFrame(list(segments))
    for column in ("created", "updated"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    return frame


class Client:
    def __init__(
        self, url: str | None = None, token: str | None = None, *, timeout: float = 60.0,
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        self.url, headers = _settings(url, token)
        self.retry = retry
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One API call: retried on 503 and connection errors, errors raised as DocsegError types."""
        attempt = 0
        while True:
            try:
                outcome: httpx.Response | httpx.TransportError = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                outcome = exc
            step = _next_step(self.retry, self.url, attempt, outcome)
            if isinstance(step, httpx.Response):
                return step
            time.sleep(step)
            attempt += 1

    def submit(self, document: Document, *, filename: str | None = None, **options: Any) -> Job:
        """Upload a document (a path or bytes) with job options (maxsize=, enable_ocr=, usetags=[...], ...)."""
        name, data = _upload(document, filename)
        reply = self.request("POST", "/jobs", files={"uploadfile": (name, data)}, data=_form(options)).json()
        return Job(self, reply["jobid"], reply["documentid"], name)

    def submit_many(
        self, documents: Iterable[Document], *, concurrency: int = 4, progress: bool = True, **options: Any
    ) -> list[Job]:
        """Submit documents `concurrency` at a time; the handles come back in the documents' order."""
        documents = list(documents)
        with ThreadPoolExecutor(max_workers=concurrency) as pool, tqdm(
            total=len(documents), desc="submitted", unit="doc", disable=not progress
        ) as bar:

            def one(document: Document) -> Job:
                job = self.submit(document, **options)
                bar.update()
                return job

            return list(pool.map(one, documents))

    def wait_all(self, jobs: Sequence[Job], *, timeout: float | None = None, progress: bool = True) -> list[dict]:
        """Wait for many jobs with one bar over their summed progress; returns their final states."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with tqdm(total=100 * len(jobs), desc="processing", unit="%", disable=not progress) as bar:
            while True:
                states = {j["id"]: j for j in self.jobs()}
                mine = [states[job.id] for job in jobs]
                bar.n = sum(100 if s["status"] in TERMINAL else s["progress"] for s in mine)
                bar.refresh()
                if all(s["status"] in TERMINAL for s in mine):
                    return mine
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"{sum(s['status'] not in TERMINAL for s in mine)} jobs still running")
                time.sleep(0.5)

    def job(self, job_id: str) -> Job:
        state = self.request("GET", f"/jobs/{job_id}").json()
        return Job(self, state["id"], state["documentid"])

    def jobs(self) -> list[dict]:
        return list(self.request("GET", "/jobs/").json()["items"])

    def documents(self) -> list[dict]:
        return list(self.request("GET", "/documents/").json()["items"])

    def segments(self, document_id: str) -> list[dict]:
        return list(self.request("GET", f"/documents/{document_id}/segments").json()["segments"])


class Job:
    """A submitted job: its status, a wait with a progress bar, its segments."""

    def __init__(self, client: Client, job_id: str, document_id: str, filename: str | None = None) -> None:
        self.client = client
        self.id = job_id
        self.document_id = document_id
        self.filename = filename

    def __repr__(self) -> str:
        return f"Job({self.id!r}, document {self.document_id!r}, {self.filename!r})"

    def status(self) -> dict:
        return dict(self.client.request("GET", f"/jobs/{self.id}").json())

    def wait(
        self, timeout: float | None = None, progress: bool = True, poll_seconds: float = 0.5,
        raise_on_failure: bool = False,
    ) -> dict:
        """Block until the job ends; the bar follows its page progress. Returns the final state."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with tqdm(total=100, desc=self.filename or self.id[:8], unit="%", disable=not progress) as bar:
            while True:
                state = self.status()
                bar.update(max(0, (100 if state["status"] == "COMPLETED" else state["progress"]) - bar.n))
                if state["status"] in TERMINAL:
                    bar.set_postfix_str(state["status"])
                    if raise_on_failure and state["status"] == "FAILED":
                        raise JobFailedError(state.get("error") or "the job failed", detail=state)
                    return state
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"job {self.id} still {state['status']} after {timeout} s")
                time.sleep(poll_seconds)

    def segments(self) -> list[dict]:
        return self.client.segments(self.document_id)

    def segments_frame(self) -> Any:
        return segments_frame(self.segments())

    def cancel(self) -> dict:
        return dict(self.client.request("PATCH", f"/jobs/{self.id}", json={"status": "CANCELED"}).json())

    def delete(self) -> None:
        self.client.request("DELETE", f"/jobs/{self.id}")


class AsyncClient:
    """The same calls over asyncio: `await client.submit(...)`, `await job.wait()`."""

    def __init__(
        self, url: str | None = None, token: str | None = None, *, timeout: float = 60.0,
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        self.url, headers = _settings(url, token)
        self.retry = retry
        self._http = httpx.AsyncClient(base_url=self.url, headers=headers, timeout=timeout)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            try:
                outcome: httpx.Response | httpx.TransportError = await self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                outcome = exc
            step = _next_step(self.retry, self.url, attempt, outcome)
            if isinstance(step, httpx.Response):
                return step
            await asyncio.sleep(step)
            attempt += 1

    async def submit(self, document: Document, *, filename: str | None = None, **options: Any) -> AsyncJob:
        name, data = _upload(document, filename)
        response = await self.request("POST", "/jobs", files={"uploadfile": (name, data)}, data=_form(options))
        reply = response.json()
        return AsyncJob(self, reply["jobid"], reply["documentid"], name)

    async def submit_many(
        self, documents: Iterable[Document], *, concurrency: int = 4, **options: Any
    ) -> list[AsyncJob]:
        gate = asyncio.Semaphore(concurrency)

        async def one(document: Document) -> AsyncJob:
            async with gate:
                return await self.submit(document, **options)

        return list(await asyncio.gather(*(one(d) for d in documents)))

    async def segments(self, document_id: str) -> list[dict]:
        return list((await self.request("GET", f"/documents/{document_id}/segments")).json()["segments"])


class AsyncJob:
    def __init__(self, client: AsyncClient, job_id: str, document_id: str, filename: str | None = None) -> None:
        self.client = client
        self.id = job_id
        self.document_id = document_id
        self.filename = filename

    async def status(self) -> dict:
        return dict((await self.client.request("GET", f"/jobs/{self.id}")).json())

    async def wait(self, timeout: float | None = None, poll_seconds: float = 0.5) -> dict:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = await self.status()
            if state["status"] in TERMINAL:
                return state
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {self.id} still {state['status']} after {timeout} s")
            await asyncio.sleep(poll_seconds)

    async def segments(self) -> list[dict]:
        return await self.client.segments(self.document_id)

    async def cancel(self) -> dict:
        return dict((await self.client.request("PATCH", f"/jobs/{self.id}", json={"status": "CANCELED"})).json())

    async def delete(self) -> None:
        await self.client.request("DELETE", f"/jobs/{self.id}")
