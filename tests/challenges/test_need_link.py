"""A challenge drafted from a technology-transfer need: the intake form picks one of the issuing firm's open
needs, the challenge page links to it with the public summary only, and the key holds (PROTECT)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import ProtectedError
from django.urls import reverse


@pytest.fixture
def firm_needs(world):
    from kechuang.techtransfer.models import Need

    def need(firm, title, status="open"):
        return Need.objects.create(
            enterprise=world[firm], title=title, summary=f"{title}：公开描述", detail="保密配方Z-3", status=status
        )

    return {"a": need("a", "工业软件国产化"), "b": need("b", "磁材烧结节能"), "closed": need("a", "旧需求", "closed")}


def _intake(need, uscc) -> dict:
    return {
        "title": "工业软件攻关",
        "origin": "techtransfer_need",
        "techtransfer_need": need.pk,
        "issuer_uscc": uscc,
        "need_text": "需要国产化的工业软件",
        "collected_on": "2026-06-01",
    }


def test_the_intake_form_links_the_issuers_need_and_the_page_shows_its_summary_only(world, firm_needs, client_for):
    from kechuang.challenges.models import Challenge

    staff = client_for(world["users"]["bureau_staff"])
    form = staff.get(reverse("challenges:intake")).content.decode()
    assert "太原甲科技有限公司 · 工业软件国产化（征集中）" in form and "旧需求" not in form  # open needs only
    response = staff.post(reverse("challenges:intake"), _intake(firm_needs["a"], world["a"].uscc))
    ch = Challenge.objects.get()
    assert response.status_code == 302 and (ch.techtransfer_need, ch.issuer) == (firm_needs["a"], world["a"])
    page = staff.get(reverse("challenges:detail", args=[ch.pk])).content.decode()
    shown = page[page.index('data-testid="need"') :]
    assert reverse("techtransfer:need", args=[firm_needs["a"].pk]) in shown
    assert "工业软件国产化：公开描述" in shown and "保密配方" not in page


def test_the_form_refuses_a_need_of_another_firm_and_writes_nothing(world, firm_needs, client_for):
    from kechuang.challenges.models import Challenge

    staff = client_for(world["users"]["bureau_staff"])
    page = staff.post(reverse("challenges:intake"), _intake(firm_needs["b"], world["a"].uscc)).content.decode()
    assert "所选技术需求是「太原乙材料有限公司」发布的，不是发榜企业的需求" in page
    assert not Challenge.objects.exists()


def test_the_service_refuses_a_closed_need_or_one_of_another_firm(world, firm_needs):
    from django.core.exceptions import ValidationError

    from kechuang.challenges import services
    from kechuang.challenges.models import Challenge

    def create(need, issuer):
        return services.create(
            user=world["users"]["bureau_staff"],
            title="攻关",
            origin="techtransfer_need",
            need_text="需求",
            collected_on=dt.date(2026, 6, 1),
            techtransfer_need=need,
            issuer=issuer,
        )

    with pytest.raises(ValidationError) as other:
        create(firm_needs["b"], world["a"])
    assert other.value.messages == ["所选技术需求是「太原乙材料有限公司」发布的，不是发榜企业的需求"]
    with pytest.raises(ValidationError) as closed:
        create(firm_needs["closed"], world["a"])
    assert closed.value.messages == ["技术需求「旧需求」已解决或已关闭，不能据此发榜"]
    assert not Challenge.objects.exists()


def test_a_need_with_a_challenge_on_it_cannot_be_deleted(world, firm_needs):
    from kechuang.challenges.models import Challenge

    ch = Challenge.objects.create(
        code="JB-1",
        title="攻关",
        origin="techtransfer_need",
        need_text="需求",
        techtransfer_need=firm_needs["a"],
        issuer=world["a"],
        collected_on=dt.date(2026, 6, 1),
    )
    with pytest.raises(ProtectedError):
        firm_needs["a"].delete()
    ch.refresh_from_db()
    assert ch.techtransfer_need_id == firm_needs["a"].pk


def test_a_draft_drafted_from_a_need_keeps_the_needs_firm_as_issuer(world, firm_needs):
    from django.core.exceptions import ValidationError

    from kechuang.challenges import services
    from kechuang.challenges.models import Challenge

    ch = Challenge.objects.create(
        code="JB-2",
        title="攻关",
        origin="techtransfer_need",
        need_text="需求",
        techtransfer_need=firm_needs["a"],
        issuer=world["a"],
        stage="drafting",
        collected_on=dt.date(2026, 6, 1),
    )
    with pytest.raises(ValidationError) as refused:
        services.save_draft(user=world["users"]["bureau_staff"], challenge=ch, fields={"issuer": world["b"]})
    assert refused.value.messages == ["本榜单来自「太原甲科技有限公司」的技术需求，发榜企业不能改为其他企业"]
    ch.refresh_from_db()
    assert ch.issuer_id == world["a"].pk
