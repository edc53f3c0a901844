"""The FastAPI application: routers and error handlers; state is attached by the Serve ingress."""

from __future__ import annotations

from fastapi import FastAPI

from serve_app import deps
from serve_app.body_limit import BodyLimit
from serve_app.errors import install_error_handlers
from serve_app.routes import documents, jobs, meta


def create_api() -> FastAPI:
    api = FastAPI(
        title="docseg",
        summary="Document segmentation service, compatible with the Helvia.ai Document Segmenter 1.1.0.",
        version=meta.service_version(),
    )
    for router in (meta.router, jobs.router, documents.router):
        api.include_router(router)
    install_error_handlers(api)
    api.add_middleware(BodyLimit, limit=lambda: deps.current_settings().limits.max_upload_bytes)
    return api


api = create_api()
