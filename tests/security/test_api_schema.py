"""Schemathesis against the API (issue 20, done-when): a bounded, deterministic run of generated requests for
every operation, as a bureau admin (who sees every row) with a real token through the WSGI app and the test
database. No server errors, every status and body as the OpenAPI document says, and requests valid by the
schema are accepted (a 404 for an identifier that does not exist is documented)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from kechuang.wsgi import application

# Generated cases per operation: enough to reach every documented status, few enough to keep CI fast.
MAX_EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance,
]

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def keep_connection():
    """Requests reach the WSGI app directly, not through Django's test client, which is what otherwise stops
    the end of each request from closing the test's database connection (and its transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(world, keep_connection):
    from kechuang.accounts import services

    _, key = services.issue_token(actor=None, user=world["users"]["bureau_admin"], name="schemathesis")
    return key


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


@pytest.mark.django_db
def test_invalid_input_is_refused_in_chinese(client, token):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    response = client.get("/api/enterprises", {"page": "abc"}, **auth)
    assert (response.status_code, response.json()) == (422, {"detail": "请求参数无效：page 应为整数"})
    response = client.put("/api/enterprises/x/figures/1800", "{}", content_type="application/json", **auth)
    assert (response.status_code, response.json()) == (422, {"detail": "年度超出合理范围（1900–2100）"})
    response = client.post("/api/services/requests", "{不是 JSON", content_type="application/json", **auth)
    assert (response.status_code, response.json()) == (400, {"detail": "请求体无法解析（不是有效的 JSON）"})
    response = client.get("/api/finance/loans", {"status": "lost"}, **auth)
    assert response.status_code == 422 and response.json()["detail"].startswith(
        "请求参数无效：status 不是可选的值（可选：'', 'disbursed'"
    )
