"""Policies on the rule pages: listed with every kind, linking to the policy pages (their editor, drafts and
simulation stay there); a draft is not a change in force; a copy of a shipped file is not the bureau's change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from kechuang.policies import services
from kechuang.policies.models import Policy

pytestmark = pytest.mark.django_db


def _row(page: str, code: str) -> str:
    start = page.index(f'data-testid="rule-policies-{code}"')
    return page[page.rindex("<tr>", 0, start) : page.index("</tr>", start)]


def test_the_rule_pages_list_policies_linking_to_the_policy_page(world, client_for):
    services.load_shipped_policies()
    page = client_for(world["users"]["bureau_staff"]).get("/rules/").content.decode()
    assert "<h2>政策兑现</h2>" in page
    row = _row(page, "rd_subsidy")
    assert 'href="/policies/rd_subsidy/"' in row and "企业研发费用分档补助" in row
    assert "<td>政策</td>" in row and "2024-01-01 起" in row
    assert "<td>—</td>" in row  # the shipped versions copied in are not the bureau's changes
    assert "/rules/policies/" not in page


def test_a_published_bureau_version_counts_and_a_draft_does_not(world, client_for):
    services.load_shipped_policies()
    admin = world["users"]["bureau_admin"]
    rd = Policy.objects.get(code="rd_subsidy")
    common = {"user": admin, "policy": rd, "changes": {}, "source": "本局文件", "note": "调整"}
    services.add_version(effective_from=dt.date(2026, 1, 1), **common)
    services.add_version(effective_from=dt.date(2027, 1, 1), draft=True, **common)
    row = _row(client_for(world["users"]["bureau_staff"]).get("/rules/").content.decode(), "rd_subsidy")
    assert "1 次" in row


def test_the_rule_page_of_a_policy_is_the_policy_page(world, client_for):
    response = client_for(world["users"]["bureau_staff"]).get("/rules/policies/rd_subsidy/")
    assert response.status_code == 302 and response["Location"] == "/policies/rd_subsidy/"
    assert client_for(world["users"]["park_operator"]).get("/rules/policies/rd_subsidy/").status_code == 403


def test_a_version_the_layer_refuses_is_not_saved_and_names_the_field(world):
    services.load_shipped_policies()
    rd = Policy.objects.get(code="rd_subsidy")
    before = services.RuleVersion.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.add_version(
            user=world["users"]["bureau_admin"],
            policy=rd,
            changes={"facts_year": "someday"},
            effective_from=dt.date(2026, 1, 1),
            source="本局文件",
            note="调整",
        )
    assert exc.value.messages == ["facts_year（数据年度）：应为 current、last 之一，现为“someday”"]
    assert services.RuleVersion.objects.count() == before
