"""Dependencies shared by the routes, as `Annotated` aliases.

The ingress replica installs its services once at start-up with `install`. They live here rather
than on `app.state` because Serve runs a deserialised copy of the FastAPI app in the replica, not
the object the replica's constructor can see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cluster.store import JobStore
from serve_app.auth import Principal, TokenVerifier
from serve_app.settings import Settings


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    store: JobStore
    verifier: TokenVerifier
    dispatcher: Any = None  # the dispatcher deployment's handle, for the deep health check


_services: Services | None = None


def install(services: Services) -> None:
    global _services
    _services = services


def _current() -> Services:
    if _services is None:
        raise RuntimeError("the API's services are not installed")
    return _services


# The dependencies are `async def` although they do not await: FastAPI runs a plain `def` dependency
# in its thread pool, a thread hop per dependency per request for work of microseconds.
async def _store() -> JobStore:
    return _current().store


async def _settings() -> Settings:
    return current_settings()


def current_services() -> Services:
    """The installed services, for the routes that need more than one of them."""
    return _current()


def current_settings() -> Settings:
    """The installed settings, for code outside FastAPI's dependency injection (middleware)."""
    return _current().settings


_bearer = HTTPBearer(auto_error=False, description="A JWT signed with the service's secret.")


async def _principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    return _current().verifier.verify(header)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


Store = Annotated[JobStore, Depends(_store)]
AppSettings = Annotated[Settings, Depends(_settings)]
Caller = Annotated[Principal, Depends(_principal)]
