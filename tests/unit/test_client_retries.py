"""The client's retry and error rules, on real httpx responses and a real closed port."""

from __future__ import annotations

import httpx
import pytest

from cluster.embedded_redis import free_port
from serve_app.client import (
    AuthenticationError,
    Client,
    RetryPolicy,
    ServerBusyError,
    ValidationError,
    _form,
    _next_step,
)

POLICY = RetryPolicy(attempts=3, backoff_seconds=0.01, cap_seconds=5)


def response(status: int, **kwargs) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", "http://x/jobs"), **kwargs)


def test_busy_answers_are_retried_honouring_retry_after_until_the_last_attempt():
    assert _next_step(POLICY, "http://x", 0, response(503, headers={"Retry-After": "3"})) == 3.0
    assert 0 < _next_step(POLICY, "http://x", 1, response(503)) <= 0.02  # backoff, jittered down
    with pytest.raises(ServerBusyError):
        _next_step(POLICY, "http://x", 2, response(503, json={"detail": "busy"}))
    ok = response(200, json={})
    assert _next_step(POLICY, "http://x", 0, ok) is ok


def test_errors_are_typed_with_the_servers_details():
    with pytest.raises(AuthenticationError):
        _next_step(POLICY, "http://x", 0, response(401, json={"detail": "expired"}))
    detail = [{"loc": ["body", "maxsize"], "msg": "must be at least 100", "type": "value_error"}]
    with pytest.raises(ValidationError, match="maxsize: must be at least 100") as caught:
        _next_step(POLICY, "http://x", 0, response(422, json={"detail": detail}))
    assert caught.value.detail == detail and caught.value.status == 422


def test_no_service_at_the_address_is_server_busy_after_the_retries():
    with Client(f"http://127.0.0.1:{free_port()}", "token", retry=POLICY) as client, pytest.raises(ServerBusyError):
        client.jobs()


def test_options_become_the_form_fields_the_api_takes():
    assert _form({"maxsize": 800, "enable_ocr": True, "process_images": False, "usetags": ["law", "tax"],
                  "ocr_backend": None}) == {
        "maxsize": "800", "enable_ocr": "true", "process_images": "false", "usetags": '["law", "tax"]'
    }
