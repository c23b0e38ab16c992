"""Applications to move in (apply → reviewed → signed → moved in), the stage path, leaving; who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kechuang.accounts.models import Organisation
from kechuang.carriers import services
from kechuang.carriers.models import Application, Residency, StageChange, Team
from kechuang.core.models import AuditEvent

pytestmark = pytest.mark.django_db
D = dt.date


def test_a_firm_applies_and_the_operator_takes_it_to_moving_in(cworld):
    valley, operator = cworld["valley"], cworld["operator"]
    Residency.objects.filter(enterprise=cworld["b"]).delete()  # b left the valley before: it applies again
    app = services.apply(
        user=cworld["staff"], carrier=valley, stage="incubation", enterprise=cworld["b"], area_requested=120
    )
    with pytest.raises(ValidationError, match="申请当前为“待审核”，不能签约"):
        services.sign(user=operator, application=app, signed_on=D(2026, 5, 1))
    with pytest.raises(ValidationError, match="未通过时请填写审核意见"):
        services.review(user=operator, application=app, approve=False)
    services.review(user=operator, application=app, approve=True, note="符合条件")
    services.sign(user=operator, application=app, signed_on=D(2026, 5, 1), agreement_no="JCG-1", area_allocated=100)
    with pytest.raises(ValidationError, match="入驻日期不能早于签约日期 2026-05-01"):
        services.move_in(user=operator, application=app, on=D(2026, 4, 30))
    residency = services.move_in(user=operator, application=app, on=D(2026, 5, 10))
    # b was founded by an in-province university team (origin local_institution_team): counted in-province.
    assert (
        residency.carrier,
        residency.enterprise,
        residency.start,
        residency.stage,
        residency.area_m2,
        residency.origin,
    ) == (valley, cworld["b"], D(2026, 5, 10), "incubation", 100, "in_province")
    assert list(StageChange.objects.values_list("stage", "since")) == [("incubation", D(2026, 5, 10))]
    app.refresh_from_db()
    assert (app.status, app.residency) == ("moved_in", residency)
    assert [e.action for e in AuditEvent.objects.order_by("pk")] == [
        "application.submit",
        "application.review",
        "application.sign",
        "application.move_in",
    ]


def test_a_new_team_from_another_province_becomes_a_team_record_on_moving_in(cworld):
    tju = Organisation.objects.create(name="天津大学", kind="institution", in_province=False)
    operator = cworld["operator"]
    app = services.apply(
        user=operator,
        carrier=cworld["valley"],
        stage="nursery",
        team_name="张伟储能材料团队",
        institution=tju,
        leader="张伟",
        field="储能材料",
    )
    services.review(user=operator, application=app, approve=True)
    services.sign(user=operator, application=app, signed_on=D(2026, 5, 1))
    residency = services.move_in(user=operator, application=app, on=D(2026, 5, 2))
    team = Team.objects.get(name="张伟储能材料团队")
    assert (residency.team, residency.enterprise, residency.origin) == (team, None, "out_of_province")
    assert (team.institution, team.leader) == (tju, "张伟")


def test_who_may_apply_review_and_withdraw(cworld):
    own = cworld["users"]["enterprise_user"]  # firm a's user
    with pytest.raises(PermissionDenied, match="企业用户只能为本企业申请入驻"):
        services.apply(user=own, carrier=cworld["other"], stage="incubation", enterprise=cworld["c"])
    with pytest.raises(ValidationError, match="已在驻 晋创谷·太原"):
        services.apply(user=own, carrier=cworld["valley"], stage="incubation", enterprise=cworld["a"])
    app = services.apply(user=own, carrier=cworld["other"], stage="acceleration", enterprise=cworld["a"])
    with pytest.raises(ValidationError, match="已有一份待办理的 别的孵化器 入驻申请"):
        services.apply(user=own, carrier=cworld["other"], stage="acceleration", enterprise=cworld["a"])
    with pytest.raises(PermissionDenied):  # the valley's operator does not run the other incubator
        services.review(user=cworld["operator"], application=app, approve=True)
    services.withdraw(user=own, application=app)
    app.refresh_from_db()
    assert app.status == "withdrawn"
    with pytest.raises(ValidationError, match="申请当前为“已撤回”，不能撤回"):
        services.withdraw(user=own, application=app)
    assert Application.objects.count() == 1


def test_the_stage_path_moves_forward_only_and_leaving_ends_the_stay(cworld):
    operator = cworld["operator"]
    residency = Residency.objects.get(enterprise=cworld["a"])
    services.change_stage(user=operator, residency=residency, stage="incubation", since=D(2024, 6, 1))
    services.change_stage(user=operator, residency=residency, stage="landing", since=D(2025, 6, 1))
    with pytest.raises(ValidationError, match="不能从产业落地退回加速"):
        services.change_stage(user=operator, residency=residency, stage="acceleration", since=D(2025, 7, 1))
    with pytest.raises(ValidationError, match="离开日期须晚于入驻日期 2024-01-01"):
        services.end_residency(user=operator, residency=residency, end=D(2024, 1, 1), exit_kind="graduated")
    services.end_residency(user=operator, residency=residency, end=D(2026, 6, 30), exit_kind="graduated", note="毕业")
    residency.refresh_from_db()
    assert (residency.end, residency.exit_kind, residency.stage) == (D(2026, 6, 30), "graduated", "landing")
    assert list(residency.stage_changes.values_list("stage", flat=True)) == ["incubation", "landing"]
    with pytest.raises(PermissionDenied):
        services.end_residency(
            user=cworld["users"]["enterprise_user"], residency=residency, end=D(2026, 7, 1), exit_kind="left"
        )


def test_the_application_pages_per_role(cworld, client_for):
    own = cworld["users"]["enterprise_user"]
    response = client_for(own).post(
        "/carriers/applications/new/",
        {"carrier": cworld["other"].pk, "stage": "acceleration", "leader": "", "field": "", "plan": "扩产"},
        follow=True,
    )
    app = Application.objects.get()
    assert app.enterprise == cworld["a"] and "已提交入驻申请，等待 别的孵化器 审核" in response.content.decode()
    for role, status in (
        ("bureau_staff", 200),
        ("park_operator", 404),
        ("enterprise_user", 200),
        ("bank_user", 404),
        ("institution_user", 404),
    ):
        assert client_for(cworld["users"][role]).get(f"/carriers/applications/{app.pk}/").status_code == status, role
    staff = client_for(cworld["staff"])
    staff.post(f"/carriers/applications/{app.pk}/", {"action": "approve", "review-note": "同意"})
    app.refresh_from_db()
    assert (app.status, app.review_note, app.reviewed_by) == ("approved", "同意", cworld["staff"])
    bank = client_for(cworld["users"]["bank_user"])
    assert bank.get("/carriers/applications/").status_code == 403
