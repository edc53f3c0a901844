"""`GET /`: who we are (the health check clients of the original service use); `GET /health`: the deep one."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from serve_app import deps
from serve_app.schemas import ServiceInfo

router = APIRouter(tags=["service"])

VENDOR = "docseg"


def service_version() -> str:
    try:
        return version("docseg")
    except PackageNotFoundError:
        return "0.0.0"


@router.get("/", response_model=ServiceInfo)
async def service_info() -> ServiceInfo:
    return ServiceInfo(vendorName=VENDOR, latestVersion=service_version())


@router.get("/health", responses={503: {"description": "A part of the service is down"}})
async def health() -> JSONResponse:
    """Deep health (docseg addition, no auth): Redis reachable, dispatcher and callback loops alive,
    OCR actors answering. 200 when all is well, 503 otherwise; the body says which part failed."""
    services = deps.current_services()
    report: dict[str, Any] = {}
    try:
        report["redis"] = bool(await services.store.redis.ping())
    except RedisError:
        report["redis"] = False
    try:
        report.update(await services.dispatcher.health.remote())
    except Exception as exc:  # any failure to reach it is the answer: the dispatcher is not healthy
        report.update(dispatcher=False, dispatcher_error=type(exc).__name__)
    ocr_ok = all(pool["answering"] == pool["actors"] for pool in report.get("ocr", {}).values())
    healthy = report["redis"] and report.get("dispatcher") and report.get("callbacks") and ocr_ok
    report["status"] = "ok" if healthy else "degraded"
    return JSONResponse(report, status_code=200 if healthy else 503)
