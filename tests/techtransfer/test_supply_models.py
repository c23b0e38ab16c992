"""The supply map's and the needs' validation: TRL 1–9, price and budget ranges, deadlines, IPC subclasses, and the
database's own checks behind the forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from kechuang.techtransfer.models import Achievement, Need
from kechuang.techtransfer.supplyforms import AchievementForm, DisciplineForm, NeedForm, parse_ipc

pytestmark = pytest.mark.django_db


def _achievement(supply, **kw) -> dict:
    return {
        "institution": supply["sxu"].pk,
        "kind": "result",
        "title": "高强镁合金挤压工艺",
        "summary": "",
        "field": "materials",
        "ipc": "C22C、C22F",
        "trl": "6",
        "modes": ["transfer", "equity"],
        "price_min": "10",
        "price_max": "20",
        **kw,
    }


def test_a_valid_achievement_keeps_its_ipc_and_modes(supply):
    form = AchievementForm(_achievement(supply))
    assert form.is_valid(), form.errors
    a = form.save()
    assert (a.ipc, a.modes, a.trl, a.price_min, a.mode_labels) == (
        ["C22C", "C22F"],
        ["transfer", "equity"],
        6,
        Decimal("10"),
        "转让、作价入股",
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"trl": "0"}, "trl", "技术成熟度应为 1–9 级"),
        ({"trl": "10"}, "trl", "技术成熟度应为 1–9 级"),
        ({"price_min": "30", "price_max": "20"}, "price_max", "报价上限不能低于报价下限"),
        ({"price_min": "-1"}, "price_min", "金额不能为负数"),
        ({"ipc": "H01M、电池"}, "ipc", "IPC 分类“电池”无法识别，应为小类（如 H01M）"),
        ({"kind": "patent"}, "patent_no", "专利须填写专利公开号"),
        ({"kind": "patent", "patent_no": "专利1"}, "patent_no", "专利公开号应为国家代码加号码，如 CN112345678A"),
    ],
)
def test_achievement_form_refuses_with_chinese_messages(supply, change, field, message):
    form = AchievementForm(_achievement(supply, **change))
    assert not form.is_valid()
    assert message in form.errors[field]
    assert Achievement.objects.count() == 3


def test_an_institution_user_may_pick_only_its_own_institution(supply):
    from kechuang.techtransfer.models import Institution

    form = AchievementForm(
        _achievement(supply, institution=supply["tyut"].pk),
        institutions=Institution.objects.filter(pk=supply["sxu"].pk),
    )
    assert not form.is_valid()
    assert "institution" in form.errors


def test_full_ipc_symbols_give_their_subclasses():
    assert parse_ipc("H01M 10/052; h01m 4/13，C01B32/05") == (["H01M", "C01B"], [])


def test_the_database_refuses_a_trl_out_of_range_and_a_reversed_range(supply):
    for kw in ({"trl": 12}, {"price_min": Decimal(9), "price_max": Decimal(1)}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Achievement.objects.create(institution=supply["sxu"], kind="result", title="x", **{"trl": 3, **kw})


def _need(**kw) -> dict:
    return {
        "title": "耐热隔膜",
        "summary": "寻求耐热隔膜",
        "detail": "配方保密",
        "budget_min": "10",
        "budget_max": "50",
        **kw,
    }


def test_need_form_rules(supply):
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    form = NeedForm(_need(deadline=yesterday, budget_min="60"))
    assert not form.is_valid()
    assert form.errors["deadline"] == ["截止日期不能早于今天"]
    assert form.errors["budget_max"] == ["预算上限不能低于预算下限"]
    assert "enterprise_uscc" not in form.fields and "status" not in form.fields
    # An existing need keeps its past deadline when edited.
    old = supply["need_a"]
    Need.objects.filter(pk=old.pk).update(deadline=dt.date(2020, 1, 1))
    old.refresh_from_db()
    edit = NeedForm(_need(deadline="2020-01-01", status="matching"), instance=old)
    assert edit.is_valid(), edit.errors


def test_staff_post_a_need_for_a_firm_by_its_code(supply, world):
    form = NeedForm(_need(enterprise_uscc="91140105MA0000000X"), staff=True)
    assert not form.is_valid()
    assert form.errors["enterprise_uscc"] == ["企业库中没有该统一社会信用代码的企业"]
    form = NeedForm(_need(enterprise_uscc=world["b"].uscc.lower()), staff=True)
    assert form.is_valid(), form.errors
    assert form.enterprise == world["b"]


def test_a_discipline_name_is_unique_in_its_institution(supply):
    supply["sxu"].disciplines.create(name="化学", level="national")
    form = DisciplineForm({"name": "化学", "level": "provincial", "field": ""}, institution=supply["sxu"])
    assert not form.is_valid()
    assert form.errors["name"] == ["本机构已有同名学科"]
    assert DisciplineForm({"name": "化学", "level": "provincial"}, institution=supply["tyut"]).is_valid()
