"""A refused request logs one line, not a traceback (issue 21: 11)."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_403_logs_one_line_without_traceback(client_for, world, caplog):
    url = reverse("policies:list")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client_for(world["users"]["institution_user"]).get(url)
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    assert records[0].getMessage() == f"Forbidden (Permission denied): {url}"
    assert records[0].exc_info is None
    assert "Traceback" not in caplog.text
