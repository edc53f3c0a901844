"""Refuse an oversized upload with 413 before its body is read, not after.

Starlette parses a whole multipart body before a route sees it. This ASGI middleware answers 413
at once when the declared Content-Length is over the limit, and stops reading (and answers 413)
as soon as a body without a declared length has sent more than the limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException

Scope = dict[str, Any]
Message = dict[str, Any]
ASGIApp = Callable[..., Any]

# Form fields and multipart headers around the file may add this much to the upload itself.
FORM_OVERHEAD_BYTES = 64 * 1024


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: Callable[[], int], paths: tuple[str, ...] = ("/jobs", "/jobs/")) -> None:
        self.app = app
        self.limit = limit  # read per request: the settings are installed after the app is built
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Callable[[], Any], send: Callable[[Message], Any]) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        allowed = self.limit() + FORM_OVERHEAD_BYTES
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > allowed:
            await _too_large(send, self.limit())
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > allowed:
                # An HTTPException passes through FastAPI's body parsing untouched and is answered as is.
                raise HTTPException(status_code=413, detail=_message(self.limit()))
            return message

        await self.app(scope, limited_receive, send)


def _message(limit: int) -> str:
    return f"the upload is larger than the limit of {limit} bytes"


async def _too_large(send: Callable[[Message], Any], limit: int) -> None:
    body = json.dumps({"detail": _message(limit)}).encode()
    await send({
        "type": "http.response.start", "status": 413,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")],
    })
    await send({"type": "http.response.body", "body": body})
