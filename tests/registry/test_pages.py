"""The enterprise list: search, filters, sorting, pagination, a constant query count; the detail page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kechuang.enterprises.models import Enterprise
from tests.conftest import make_uscc


def names(response) -> list[str]:
    return [e.name for e in response.context["page"].object_list]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params, expected",
    [
        ({"q": "乙材料"}, ["太原乙材料有限公司"]),
        ({"q": make_uscc(3).lower()}, ["泰州丙医药有限公司"]),
        ({"region": "140100"}, ["太原乙材料有限公司", "太原甲科技有限公司"]),  # a city matches its districts
        ({"region": "140000"}, ["太原乙材料有限公司", "太原甲科技有限公司"]),  # a province too
        ({"region": "321202"}, ["泰州丙医药有限公司"]),
        ({"industry": "C"}, ["太原乙材料有限公司", "泰州丙医药有限公司"]),  # section 制造业
        ({"industry": "65"}, ["太原甲科技有限公司"]),  # division
        ({"industry": "6513"}, ["太原甲科技有限公司"]),
        ({"origin": "local_institution_team"}, ["太原乙材料有限公司"]),
        ({"sort": "-registered_on"}, ["太原乙材料有限公司", "太原甲科技有限公司", "泰州丙医药有限公司"]),
        ({"sort": "registered_on"}, ["泰州丙医药有限公司", "太原甲科技有限公司", "太原乙材料有限公司"]),
    ],
)
def test_list_search_filters_and_sort(world, client_for, params, expected):
    response = client_for(world["users"]["bureau_staff"]).get(reverse("enterprises:list"), params)
    assert response.status_code == 200
    got = names(response)
    assert (got if "sort" in params else sorted(got)) == (expected if "sort" in params else sorted(expected))


@pytest.mark.django_db
def test_list_filter_by_carrier(world, client_for):
    response = client_for(world["users"]["bureau_staff"]).get(
        reverse("enterprises:list"), {"carrier": world["valley"].pk}
    )
    assert sorted(names(response)) == ["太原乙材料有限公司", "太原甲科技有限公司"]


@pytest.mark.django_db
def test_invalid_filter_shows_nothing_rather_than_everything(world, client_for):
    response = client_for(world["users"]["bureau_staff"]).get(reverse("enterprises:list"), {"carrier": "999999"})
    assert names(response) == []


@pytest.mark.django_db
def test_pagination_and_constant_query_count(world, client_for):
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                uscc=make_uscc(1000 + i),
                name=f"分页测试企业{i:03d}",
                region_id="140105",
                industry_id="6513",
                registered_on=dt.date(2020, 1, 1),
            )
            for i in range(120)
        ]
    )
    client = client_for(world["users"]["bureau_staff"])
    url = reverse("enterprises:list")
    client.get(url)  # warm the session
    counts = []
    for page in (1, 2, 3):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, {"q": "分页测试", "page": page})
        counts.append(len(ctx.captured_queries))
        assert response.context["page"].paginator.count == 120
    assert [len(names(client.get(url, {"q": "分页测试", "page": p}))) for p in (1, 2, 3)] == [50, 50, 20]
    assert len(set(counts)) == 1, counts  # the same number of queries for a full page and a short one
    assert names(client.get(url, {"q": "分页测试", "page": 2}))[0] == "分页测试企业050"


@pytest.mark.django_db
def test_empty_state(ref, client_for, world):
    response = client_for(world["users"]["bureau_staff"]).get(reverse("enterprises:list"), {"q": "不存在的企业"})
    assert "没有符合条件的企业" in response.content.decode()


@pytest.mark.django_db
def test_detail_shows_profile_figures_residency_and_audit(world, client_for):
    from kechuang.enterprises import services

    staff = world["users"]["bureau_staff"]
    services.save_figure(world["a"], 2024, {"revenue": 3100}, actor=staff)
    html = client_for(staff).get(reverse("enterprises:detail", args=[world["a"].uscc])).content.decode()
    assert world["a"].uscc in html and "小店区" in html and "应用软件开发" in html
    assert "晋创谷·太原" in html
    assert "营业收入：3,000.00 万元 → 3,100.00 万元" in html  # audit: old → new with the Chinese label
    assert "3,100.00" in html  # the figures table
    assert "<td>本地创业</td>" in html and "None" not in html  # no institution: nothing after the origin
    html = client_for(staff).get(reverse("enterprises:detail", args=[world["b"].uscc])).content.decode()
    assert "（太原理工大学）</td>" in html


@pytest.mark.django_db
def test_submission_page_lists_pending_for_bureau(world, client_for):
    from kechuang.enterprises import services

    services.submit_figures(world["a"], 2025, {"revenue": 4000}, actor=world["users"]["enterprise_user"])
    html = client_for(world["users"]["bureau_staff"]).get(reverse("enterprises:submissions")).content.decode()
    assert "太原甲科技有限公司" in html and "营业收入：4000" in html


@pytest.mark.django_db
def test_facts_frame_of_no_enterprises_is_empty_with_the_schema(world):
    from kechuang.engine import facts
    from kechuang.enterprises.loaders import facts_frame

    frame = facts_frame(Enterprise.objects.none())
    assert frame.height == 0 and frame.schema == facts.polars_schema()
    assert facts_frame(Enterprise.objects.filter(pk=world["a"].pk))["uscc"].to_list() == [world["a"].uscc]
