"""`GET /`: who we are; the health check clients of the original service use."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter

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
