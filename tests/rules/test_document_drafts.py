"""Whole-document versions of any kind through the one rule-version service: a draft is stored but not in force
until an admin publishes it; both steps are audited in one shape; refusals say why and write nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kechuang.core.models import AuditEvent
from kechuang.rules import selectors, services
from kechuang.rules.models import RuleVersion

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 1)


def _save(user, *, draft=True, value=None, effective_from=DAY):
    return services.save_document_version(
        user=user,
        kind="test_documents",
        label="测试规则",
        name="测试文件",
        rule_id="doc_a",
        value=value or {"amount": 8},
        previous={"amount": 5},
        previous_key="doc_a@2025-01-01",
        effective_from=effective_from,
        source="本局通知〔2026〕3号",
        note="提高金额",
        draft=draft,
        changes={"amount": [5, 8]},
    )


def test_a_draft_is_stored_and_audited_but_not_published(world):
    admin = world["users"]["bureau_admin"]
    draft = _save(admin)
    assert (draft.status, draft.origin, draft.parameter, draft.previous, draft.created_by) == (
        "draft",
        "bureau",
        "",
        {"amount": 5},
        admin,
    )
    assert not selectors.published("test_documents", "doc_a").exists()
    event = AuditEvent.objects.get(action="rule_version.create", object_id=str(draft.pk))
    assert event.changes == {"amount": [5, 8]} and event.actor == admin
    assert event.note == (
        "测试规则“测试文件” doc_a@2026-03-01（草稿） 自 2026-03-01 起替代 doc_a@2025-01-01"
        "；依据：本局通知〔2026〕3号；原因：提高金额"
    )


def test_publishing_a_draft_puts_it_in_force_with_one_audit_event(world):
    admin = world["users"]["bureau_admin"]
    draft = _save(admin)
    services.publish_version(user=admin, version=draft, label="测试规则", name="测试文件")
    assert list(selectors.published("test_documents", "doc_a")) == [draft]
    event = AuditEvent.objects.get(action="rule_version.publish", object_id=str(draft.pk))
    assert event.changes == {"status": ["draft", "published"]}
    assert event.note == "测试规则“测试文件” doc_a@2026-03-01 自 2026-03-01 起施行"


def test_publishing_is_refused_for_staff_a_published_version_and_a_taken_day(world):
    admin, staff = world["users"]["bureau_admin"], world["users"]["bureau_staff"]
    draft = _save(admin)
    with pytest.raises(PermissionDenied):
        services.publish_version(user=staff, version=draft, label="测试规则", name="测试文件")
    published = _save(admin, draft=False, value={"amount": 9})
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="只有草稿可以发布"):
        services.publish_version(user=admin, version=published, label="测试规则", name="测试文件")
    with pytest.raises(ValidationError, match="2026-03-01 已有测试规则“测试文件”的版本"):
        services.publish_version(user=admin, version=draft, label="测试规则", name="测试文件")
    assert RuleVersion.objects.get(pk=draft.pk).status == "draft"
    assert AuditEvent.objects.count() == events


def test_saving_is_refused_for_staff_without_a_source_and_on_a_published_day(world):
    admin, staff = world["users"]["bureau_admin"], world["users"]["bureau_staff"]
    with pytest.raises(PermissionDenied):
        _save(staff)
    with pytest.raises(ValidationError, match="依据来源"):
        services.save_document_version(
            user=admin,
            kind="test_documents",
            label="测试规则",
            name="测试文件",
            rule_id="doc_a",
            value={},
            previous=None,
            effective_from=DAY,
            source="  ",
        )
    _save(admin, draft=False)
    with pytest.raises(ValidationError, match="已有测试规则“测试文件”的版本"):
        _save(admin, draft=False)
    _save(admin, draft=True)  # a draft of a taken day is allowed: it is refused when published
    assert list(RuleVersion.objects.values_list("status", flat=True).order_by("pk")) == ["published", "draft"]


def test_a_shipped_copy_needs_no_admin_and_says_so(world):
    version = services.save_document_version(
        user=None,
        kind="test_documents",
        label="测试规则",
        name="测试文件",
        rule_id="doc_a",
        value={"amount": 5},
        previous=None,
        effective_from=dt.date(2025, 1, 1),
        source="内置文件",
        shipped=True,
    )
    assert (version.origin, version.status, version.created_by) == ("shipped", "published", None)
    event = AuditEvent.objects.get(action="rule_version.create", object_id=str(version.pk))
    assert event.actor is None
    assert event.note == "测试规则“测试文件” doc_a@2025-01-01 自 2025-01-01 起施行；载入内置规则文件；依据：内置文件"
