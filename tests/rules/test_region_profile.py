"""The region profile: only a bureau admin sets it, every save is audited, bad input is refused in Chinese with
nothing written, and tier runs take their local variants from it."""

from __future__ import annotations

import datetime as dt

import pytest

from kechuang.core.models import AuditEvent
from kechuang.rules import region
from kechuang.rules.models import RegionProfile

pytestmark = pytest.mark.django_db

URL = "/rules/region/"
VALID = {
    "name": "太原市",
    "code": "140100",
    "variant_gazelle": "jinan",
    "products": ["points_loan_taiyuan", "tech_loan_tyrcb"],
}


@pytest.mark.parametrize("role", ["bureau_staff", "park_operator", "enterprise_user", "bank_user"])
def test_only_a_bureau_admin_opens_or_saves_the_profile(world, client_for, role):
    client = client_for(world["users"][role])
    assert client.get(URL).status_code == 403
    assert client.post(URL, VALID).status_code == 403
    assert not RegionProfile.objects.exists()
    assert not AuditEvent.objects.filter(action="region_profile.update").exists()


def test_the_admin_sets_the_profile_and_the_change_is_audited(world, client_for):
    admin = world["users"]["bureau_admin"]
    client = client_for(admin)
    page = client.get(URL).content.decode()
    assert "尚未设置地区配置" in page and "瞪羚企业（济南高新区）" in page
    # Tiers with one local rule only are named, so the bureau sees whose rule it uses.
    assert (
        "本地区制定自有规则前沿用：潜在瞪羚企业（广州黄埔瞪羚培育企业）、潜在独角兽企业（宿迁）、独角兽企业（宿迁）"
        in page
    )
    assert client.post(URL, VALID).status_code == 302
    profile = RegionProfile.objects.get()
    assert (profile.name, profile.code, profile.tier_variants, profile.products, profile.waivers) == (
        "太原市",
        "140100",
        {"gazelle": "jinan"},
        ["points_loan_taiyuan", "tech_loan_tyrcb"],
        [],
    )
    assert profile.updated_by == admin
    event = AuditEvent.objects.get(action="region_profile.update")
    assert event.actor == admin
    assert event.changes == {  # in words: rule set and product names, never ids or JSON
        "name": [None, "太原市"],
        "code": [None, "140100"],
        "tier_variants": [None, "瞪羚企业（济南高新区）"],
        "products": [None, "创新积分贷（晋商银行）、科技贷（太原农商银行）"],
        "waivers": [None, "无"],
    }
    assert event.note == "地区配置：太原市（140100）；推荐产品 points_loan_taiyuan、tech_loan_tyrcb"
    # A second save records only what changed, on the same row.
    assert client.post(URL, {**VALID, "variant_gazelle": "huangpu"}).status_code == 302
    assert RegionProfile.objects.get().tier_variants == {"gazelle": "huangpu"}
    assert AuditEvent.objects.filter(action="region_profile.update").order_by("id").last().changes == {
        "tier_variants": ["瞪羚企业（济南高新区）", "瞪羚企业（广州黄埔）"]
    }
    assert "现行配置：太原市（140100）" in client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "14010"}, "行政区划代码：行政区划代码应为 6 位数字（如太原市 140100），收到“14010”"),
        ({"code": "太原"}, "行政区划代码：行政区划代码应为 6 位数字（如太原市 140100），收到“太原”"),
        ({"name": "  "}, "地区名称：请填写地区名称"),
        ({"products": []}, "本地区提供并推荐的金融产品：请至少选择一个本地区提供的金融产品"),
        ({"products": ["points_loan_nowhere"]}, "本地区提供并推荐的金融产品：没有这个金融产品：points_loan_nowhere"),
        ({"variant_gazelle": "beijing"}, "地方规则：没有这个地方规则：beijing"),
        ({"waivers": ["no_such_policy"]}, "适用的减免政策：政策库中没有这项政策：no_such_policy"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(world, client_for, change, message):
    response = client_for(world["users"]["bureau_admin"]).post(URL, {**VALID, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RegionProfile.objects.exists()
    assert not AuditEvent.objects.filter(action="region_profile.update").exists()


def test_the_service_checks_the_code_and_the_role_again(world):
    today = dt.date(2026, 6, 30)
    with pytest.raises(Exception, match="只有科技局管理员可以设置地区配置"):
        region.save_profile(
            user=world["users"]["bureau_staff"], name="太原市", code="140100", tier_variants={}, products=[],
            waivers=[], on=today,
        )  # fmt: skip
    with pytest.raises(Exception, match="梯队“gazelle”没有地方规则“beijing”"):
        region.save_profile(
            user=world["users"]["bureau_admin"], name="太原市", code="140100", tier_variants={"gazelle": "beijing"},
            products=["points_loan_taiyuan"], waivers=[], on=today,
        )  # fmt: skip
    assert not RegionProfile.objects.exists()


def test_a_tier_run_takes_the_profile_variant_and_stores_it(world):
    from kechuang.tiers.models import TierResult
    from kechuang.tiers.services import evaluate_all

    as_of = dt.date(2025, 6, 30)
    before = evaluate_all(as_of)
    assert before.local_set == ""
    assert set(TierResult.objects.filter(run=before, tier="gazelle").values_list("ruleset", flat=True)) == {
        "gazelle@2020-01-01"
    }
    region.save_profile(
        user=world["users"]["bureau_admin"], name="太原市", code="140100", tier_variants={"gazelle": "jinan"},
        products=["points_loan_taiyuan"], waivers=[], on=as_of,
    )  # fmt: skip
    after = evaluate_all(as_of)
    assert after.local_set == "gazelle=jinan"
    assert set(TierResult.objects.filter(run=after, tier="gazelle").values_list("ruleset", flat=True)) == {
        "gazelle_jinan@2016-01-01"
    }
    # Tiers without a local alternative keep their only rule set.
    assert set(TierResult.objects.filter(run=after, tier="tech_sme").values_list("ruleset", flat=True)) == set(
        TierResult.objects.filter(run=before, tier="tech_sme").values_list("ruleset", flat=True)
    )
    # A variant named for one run still wins over the profile.
    named = evaluate_all(as_of, local_set="huangpu")
    assert set(TierResult.objects.filter(run=named, tier="gazelle").values_list("ruleset", flat=True)) == {
        "gazelle@2020-01-01"
    }


def test_region_filters_offer_the_profile_region_only(world, client_for):
    from kechuang.core.models import Region

    staff = client_for(world["users"]["bureau_staff"])
    offered = {r.code for r in staff.get("/enterprises/").context["regions"]}
    assert {"140100", "321200"} <= offered  # no profile yet: every region on file
    region.save_profile(
        user=world["users"]["bureau_admin"], name="太原市", code="140100", tier_variants={},
        products=["points_loan_taiyuan"], waivers=[], on=dt.date(2026, 6, 30),
    )  # fmt: skip
    offered = {r.code for r in staff.get("/enterprises/").context["regions"]}
    taiyuan = set(Region.objects.filter(code__startswith="1401", level__lte=3).values_list("code", flat=True))
    assert offered == taiyuan | {"140000"}  # the city, its districts and its province; not 泰州's (321200)
