"""Domain errors mapped to HTTP responses, once, for the whole app.

Messages say what was wrong with the request; tracebacks stay in the logs.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cluster.errors import DocumentNotFound, ImageNotFound, InvalidTransition, JobNotFound, SegmentNotFound
from serve_app.auth import AuthError

RETRY_AFTER_SECONDS = 5


class UploadTooLarge(Exception):
    """The upload is larger than the configured limit."""


class ServiceBusy(Exception):
    """More jobs are waiting than the service accepts (backpressure); the client should retry later."""


def _detail(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail}, headers=headers)


def install_error_handlers(api: FastAPI) -> None:
    async def not_found(_: Request, exc: Exception) -> JSONResponse:
        kind = (
            "job" if isinstance(exc, JobNotFound)
            else "segment" if isinstance(exc, SegmentNotFound)
            else "image" if isinstance(exc, ImageNotFound)
            else "document"
        )
        return _detail(404, f"{kind} not found")

    async def conflict(_: Request, exc: Exception) -> JSONResponse:
        return _detail(409, str(exc))

    async def unauthorized(_: Request, exc: Exception) -> JSONResponse:
        return _detail(401, str(exc), {"WWW-Authenticate": "Bearer"})

    async def too_large(_: Request, exc: Exception) -> JSONResponse:
        return _detail(413, str(exc))

    async def busy(_: Request, exc: Exception) -> JSONResponse:
        return _detail(503, str(exc), {"Retry-After": str(RETRY_AFTER_SECONDS)})

    async def store_down(_: Request, exc: Exception) -> JSONResponse:
        return _detail(503, "the job store is unavailable; retry later",
                       {"Retry-After": str(RETRY_AFTER_SECONDS)})

    api.add_exception_handler(JobNotFound, not_found)
    api.add_exception_handler(DocumentNotFound, not_found)
    api.add_exception_handler(InvalidTransition, conflict)
    api.add_exception_handler(AuthError, unauthorized)
    api.add_exception_handler(UploadTooLarge, too_large)
    api.add_exception_handler(ServiceBusy, busy)
    api.add_exception_handler(RedisConnectionError, store_down)
    api.add_exception_handler(RedisTimeoutError, store_down)
