"""Schemathesis against the running service's own OpenAPI document: no 5xx, no response off its schema.

Each operation gets a bounded number of generated requests (a few hundred in all), with a valid token.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 30


def test_no_server_error_and_every_response_fits_the_schema(service):
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json")
    headers = {"Authorization": f"Bearer {service.token('fuzzer')}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9  # every endpoint of the contract is in the document

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def fuzz(case) -> None:
            case.call_and_validate(
                base_url=service.url, headers=headers, timeout=30,
                checks=[not_a_server_error, response_schema_conformance],
            )

        fuzz()
