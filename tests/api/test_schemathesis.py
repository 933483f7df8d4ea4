"""Schemathesis generates requests from /api/openapi.json for every operation and
checks that none makes the API fail with a server error (5xx), answers a status
the document does not declare, or answers in another content type than declared
(problem+json for errors) - with a worker's token and with an admin's.

(Schemathesis's own pytest plugin does not run on pytest 9 yet, so each operation's
Hypothesis strategy is driven here directly.)"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    status_code_conformance,
)

from tests.api.conftest import Api

EXAMPLES = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]


@pytest.mark.parametrize("who", ["worker", "admin"])
def test_no_generated_request_fails_the_api_or_answers_what_the_document_does_not_say(
    api: Api, who: str
) -> None:
    case_id = api.referral()["id"]
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", api.client.app)
    headers = api.auth(who)
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        no_server_error()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert len(checked) >= 30, checked
    assert api.get(f"/api/cases/{case_id}").status_code == 200
