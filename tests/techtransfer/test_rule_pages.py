"""The registration rules on the platform's rule pages: listed with the other kinds, a parameter the bureau changes
is the one the next decision uses."""

from __future__ import annotations

import datetime as dt

import pytest

from kechuang.rules import services as rule_services
from kechuang.techtransfer import services

pytestmark = pytest.mark.django_db


def test_the_rules_are_listed_and_a_bureau_version_decides(world, record, client_for):
    admin = world["users"]["bureau_admin"]
    web = client_for(admin)
    page = web.get("/rules/").content.decode()
    assert "技术合同认定登记规则（2026 年办法）" in page and "技术合同认定登记规则（2000 年办法）" in page
    assert web.get("/rules/contract_registration/registration_2026/").status_code == 200
    rule_services.add_parameter_version(
        user=admin,
        kind="contract_registration",
        rule_id="registration_2026",
        parameter="decision_workdays",
        value=10,
        effective_from=dt.date(2026, 6, 1),
        note="提速",
        source="本局文件",
    )
    assert services.rules_on(dt.date(2026, 6, 30)).params["decision_workdays"] == 10
    assert record("F").due_on == dt.date(2026, 7, 14)
