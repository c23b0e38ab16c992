"""Chain pages for every role (allowed and denied), the map's gaps and firms per scope, decisions, exports, the
chain leader's view and the integration point for needs and challenges posted along a chain."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kechuang.chains import services
from kechuang.chains.models import Placement
from kechuang.core.models import AuditEvent
from tests.conftest import ROLES

pytestmark = pytest.mark.django_db
BUREAU = {"bureau_admin", "bureau_staff"}
READERS = BUREAU | {"park_operator"}


def pages(w):
    """(name, url, roles that get 200); every other role gets 403 (or 404 where the record is out of scope)."""
    seg = w["magnet"]
    return [
        ("index", reverse("chains:index"), READERS),
        ("map", reverse("chains:map", args=["pm"]), READERS),
        ("segment", reverse("chains:segment", args=["pm", seg.pk]), READERS),
        ("placements", reverse("chains:placements", args=["pm"]), BUREAU),
        ("segment form", reverse("chains:segment_new", args=["pm"]), BUREAU),
        ("chain form", reverse("chains:chain_new"), BUREAU),
        ("targets", reverse("chains:targets"), BUREAU),
        ("products", reverse("chains:products", args=[w["b"].uscc]), BUREAU),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_on_every_chain_page(role, placed, client_for):
    client = client_for(placed["users"][role])
    for name, url, allowed in pages(placed):
        status = client.get(url).status_code
        assert status == (200 if role in allowed else 403), (role, name, status)


def test_the_map_ranks_gaps_and_shows_local_firms_with_figures_to_the_bureau(placed, client_for):
    page = client_for(placed["users"]["bureau_staff"]).get(reverse("chains:map", args=["pm"])).content.decode()
    gaps = page[page.index('data-testid="gaps"') : page.index('data-testid="designations"')]
    assert gaps.index("稀土合金") < gaps.index("磁材") < gaps.index("工业软件")
    assert "本地没有已确认的企业；下游 2 个环节依赖它（磁材、工业软件），连同本环节占全链权重 100%" in gaps
    firms = page[page.index('data-testid="segments"') :]
    assert "太原乙材料有限公司" in firms and "800.00 万元" in firms  # revenue of b, shown to the bureau
    assert 'data-testid="chain-chart"' in page and "vendor/echarts/echarts.min.js" in page


def test_a_park_operator_sees_the_structure_but_only_its_residents(placed, client_for):
    client = client_for(placed["users"]["park_operator"])
    page = client.get(reverse("chains:map", args=["bio"])).content.decode()
    assert "泰州丙医药有限公司" not in page  # c is no resident of the operator's valley
    assert "本环节的企业不在您的查看范围内" in page
    pm = client.get(reverse("chains:map", args=["pm"])).content.decode()
    # b is listed, but its own figures are the bureau's (the gap table's segment totals are not firm figures)
    pm_firms = pm[pm.index('data-testid="segments"') :]
    assert "太原乙材料有限公司" in pm_firms and "800.00 万元" not in pm_firms and "招商" not in pm


def test_staff_confirm_suggestions_on_the_page_and_an_operator_cannot(chain_world, client_for):
    admin = chain_world["users"]["bureau_admin"]
    staff = client_for(chain_world["users"]["bureau_staff"])
    response = staff.post(reverse("chains:suggest", args=["pm"]))
    assert response.status_code == 302
    queue = staff.get(reverse("chains:placements", args=["pm"])).content.decode()
    assert "行业小类 6513（应用软件开发）与本环节一致；匹配度 0.60" in queue
    ids = list(Placement.objects.values_list("pk", flat=True))
    operator = client_for(chain_world["users"]["park_operator"])
    denied = operator.post(reverse("chains:decide", args=["pm"]), {"placement": ids, "action": "confirm"})
    assert denied.status_code == 403
    assert set(Placement.objects.values_list("status", flat=True)) == {"suggested"}
    staff = client_for(chain_world["users"]["bureau_staff"])
    staff.post(reverse("chains:decide", args=["pm"]), {"placement": ids, "action": "confirm"})
    assert set(Placement.objects.values_list("status", flat=True)) == {"confirmed"}
    assert AuditEvent.objects.filter(action="placement.confirm").count() == 2
    assert admin  # the admin is untouched


def test_a_firm_added_by_hand_and_a_wrong_code(chain_world, client_for):
    client = client_for(chain_world["users"]["bureau_staff"])
    url = reverse("chains:add_firm", args=["pm", chain_world["rare"].pk])
    response = client.post(url, {"uscc": chain_world["c"].uscc}, follow=True)
    assert "已将 泰州丙医药有限公司 加入“稀土合金”" in response.content.decode()
    assert Placement.objects.get().evidence == {"manual": True}
    response = client.post(url, {"uscc": "91140105MA0000000X"}, follow=True)
    assert "企业库中没有统一社会信用代码为 91140105MA0000000X 的企业" in response.content.decode()
    response = client.post(
        reverse("chains:segment_new", args=["pm"]),
        {"name": "新环节", "position": "upstream", "industry_codes": "9999", "weight": "1", "order": "3"},
    )
    assert "行业代码不存在（GB/T 4754-2017）：9999" in response.content.decode()
    assert chain_world["pm"].segments.count() == 3


def test_the_map_exports_segments_firms_and_gaps(placed, client_for):
    response = client_for(placed["users"]["bureau_staff"]).get(reverse("chains:map", args=["pm"]) + "?format=xlsx")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["环节", "环节企业", "缺链排序"]
    gaps = list(book["缺链排序"].iter_rows(values_only=True))
    assert [r[:3] for r in gaps] == [
        ("排序", "环节", "强弱"),
        (1, "稀土合金", "空白"),
        (2, "磁材", "薄弱"),
        (3, "工业软件", "薄弱"),
    ]
    firms = list(book["环节企业"].iter_rows(values_only=True))
    assert ("中游", "磁材", "太原乙材料有限公司", placed["b"].uscc) == firms[1][:4] and firms[1][7] == 800


def test_the_chain_leaders_view_shows_suppliers_and_customers(placed, client_for):
    admin = placed["users"]["bureau_admin"]
    services.designate(
        user=admin, chain=placed["pm"], enterprise=placed["a"], role="chain_leader", designated_on=dt.date(2023, 3, 15)
    )
    own = client_for(placed["users"]["enterprise_user"])  # firm a's user
    assert "我的产业链" in own.get("/").content.decode()
    page = own.get(reverse("chains:mine")).content.decode()
    suppliers = page[page.index('data-testid="suppliers"') : page.index('data-testid="customers"')]
    assert "太原乙材料有限公司" in suppliers and "磁材" in suppliers
    assert "营业收入" not in page  # other firms' figures stay with the bureau
    assert "链上企业暂未发布技术需求或揭榜挂帅榜单" in page  # the providers are wired in; none posted yet
    # Another firm's leader view, and a firm that is no leader, are not found.
    assert own.get(reverse("chains:leader", args=[placed["b"].uscc])).status_code == 404
    staff = client_for(placed["users"]["bureau_staff"])
    assert staff.get(reverse("chains:leader", args=[placed["b"].uscc])).status_code == 404
    assert staff.get(reverse("chains:leader", args=[placed["a"].uscc])).status_code == 200


def fake_needs(chain, placed, user):
    """A stand-in for another app's provider: one need per firm placed on the chain."""
    from kechuang.enterprises.models import Enterprise

    return [
        {
            "kind": "技术需求",
            "title": f"{e.name}的需求",
            "enterprise": e.name,
            "segment_id": placed[e.pk][0],
            "status": "征集中",
            "posted_on": dt.date(2026, 5, 1),
            "url": "",
        }
        for e in Enterprise.objects.filter(pk__in=placed).order_by("name")
    ]


def test_needs_posted_along_the_chain_come_from_the_registered_providers(placed, client_for, settings):
    settings.CHAIN_POST_PROVIDERS = ("tests.chains.test_pages.fake_needs",)
    page = client_for(placed["users"]["bureau_staff"]).get(reverse("chains:map", args=["pm"])).content.decode()
    posts = page[page.index('data-testid="posts"') :]
    assert "太原乙材料有限公司的需求" in posts and "太原甲科技有限公司的需求" in posts
    assert "泰州丙医药有限公司的需求" not in posts  # c is on another chain


def test_challenges_issued_by_firms_on_the_chain_are_posted_along_it(placed, client_for):
    """The challenges app is wired in (settings.CHAIN_POST_PROVIDERS): the public sees published challenges of the
    chain's firms; the bureau also those still being drafted; a firm off the chain is not listed."""
    from kechuang.challenges.models import Challenge

    def challenge(code, firm, stage, on=None):
        return Challenge.objects.create(
            code=code,
            title=f"{firm.name}的攻关榜单",
            origin="staff",
            need_text="需求",
            issuer=firm,
            stage=stage,
            published_on=on,
            collected_on=dt.date(2026, 3, 1),
        )

    challenge("JB-1", placed["a"], "published", dt.date(2026, 5, 1))
    challenge("JB-2", placed["b"], "draft")
    challenge("JB-3", placed["c"], "published", dt.date(2026, 5, 2))
    url = reverse("chains:map", args=["pm"])

    def posts(role):
        page = client_for(placed["users"][role]).get(url).content.decode()
        return page[page.index('data-testid="posts"') :]

    staff = posts("bureau_staff")
    assert "太原甲科技有限公司的攻关榜单" in staff and "太原乙材料有限公司的攻关榜单" in staff
    assert "泰州丙医药有限公司的攻关榜单" not in staff  # c is on another chain
    from kechuang.chains.models import Chain
    from kechuang.chains.selectors import placed_on
    from kechuang.challenges.selectors import posts_along_chain

    chain = Chain.objects.get(code="pm")
    public = posts_along_chain(chain, placed_on(chain), placed["users"]["park_operator"])
    assert [p["title"] for p in public] == ["太原甲科技有限公司的攻关榜单"]  # published only
    assert public[0]["url"] == reverse("challenges:public_detail", args=[Challenge.objects.get(code="JB-1").pk])


def test_product_descriptions_are_imported_row_by_row(chain_world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kechuang.chains.models import ProductProfile

    a, b = chain_world["a"].uscc, chain_world["b"].uscc
    csv = (
        f"统一社会信用代码,经营范围,备注\n{a},工业软件与数字孪生,x\n{b},\n91140105MA0000000X,某产品\n{a},再来一次\n"
    ).encode()
    client = client_for(chain_world["users"]["bureau_staff"])
    page = client.post("/chains/products/import/", {"file": SimpleUploadedFile("产品.csv", csv)}).content.decode()
    assert "产品.csv：共 4 行，导入 1 家，拒绝 3 行" in page and "忽略未知列「备注」" in page
    assert "必填项为空" in page and "企业库中没有该企业" in page and "与第2行是同一企业" in page
    assert dict(ProductProfile.objects.values_list("enterprise__uscc", "products")) == {
        a: "工业软件与数字孪生",
        b: "烧结钕铁硼磁材",
    }  # b kept its description: its row was refused
    denied = client_for(chain_world["users"]["park_operator"]).post(
        "/chains/products/import/", {"file": SimpleUploadedFile("产品.csv", csv)}
    )
    assert denied.status_code == 403
