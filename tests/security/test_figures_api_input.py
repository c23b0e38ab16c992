"""Issue 20 item 11 (input half): `PUT /api/enterprises/{uscc}/figures/{year}` takes a JSON object of annual facts
as its OpenAPI document says, and refuses anything else with a Chinese 422 that writes nothing."""

from __future__ import annotations

import json

import pytest

from kechuang.accounts.models import ApiToken
from kechuang.core.models import AuditEvent
from kechuang.enterprises.models import AnnualFigure, FigureSubmission

NOT_A_NUMBER = "（整数，或最多 4 位小数的数字字符串）"


@pytest.fixture
def put(world, client):
    def send(body, *, role="bureau_staff", year=2025, raw=None):
        _, key = ApiToken.issue(world["users"][role])
        data = raw if raw is not None else json.dumps(body)
        return client.put(
            f"/api/enterprises/{world['a'].uscc}/figures/{year}",
            data=data,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )

    return send


def _state():
    return (
        list(AnnualFigure.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
        FigureSubmission.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ([None, None], '请求体须为 JSON 对象，如 {"revenue": "3000"}'),
        (123, '请求体须为 JSON 对象，如 {"revenue": "3000"}'),
        ("x", '请求体须为 JSON 对象，如 {"revenue": "3000"}'),
        ({}, "没有要写入的数据"),
        ({"nope": 1}, "未知的数据项：nope（可写入的数据项见 API 文档）"),
        ({"new_graduates": 1.5}, "吸纳应届毕业生人数：“1.5”应为整数"),
        ({"new_graduates": "12"}, "吸纳应届毕业生人数：“12”应为整数"),
        ({"new_graduates": True}, "吸纳应届毕业生人数：“True”应为整数"),
        ({"digitalization_level": 5}, "数字化水平等级：数字化水平等级“5”超出合理范围（1–4）"),
        ({"staff_total": "12.345"}, "职工总数：“12.345”小数位数过多（最多 2 位小数）"),
        ({"revenue": "-5"}, "营业收入：“-5”不能为负数"),
        ({"revenue": "0000000000000001"}, f"营业收入：“0000000000000001”不是有效数字{NOT_A_NUMBER}"),
        ({"revenue": " 1"}, f"营业收入：“ 1”不是有效数字{NOT_A_NUMBER}"),
        ({"revenue": "٣٠٠٠"}, f"营业收入：“٣٠٠٠”不是有效数字{NOT_A_NUMBER}"),
        ({"revenue": "３０００"}, f"营业收入：“３０００”不是有效数字{NOT_A_NUMBER}"),
        ({"revenue": 12.5}, '营业收入：12.5 带小数，请写成字符串（如 "12.5"），以免浮点误差'),
        ({"revenue": -5}, "营业收入：“-5”不能为负数"),
        ({"hte_certified": "是"}, "持有效高新技术企业证书：“是”应为 true 或 false"),
        ({"hte_certified_on": "2024/01/01"}, "高企证书发证日期：“2024/01/01”不是有效日期，请使用 YYYY-MM-DD 格式"),
        ({"rd_institution_level": "省级"}, "研发机构级别：“省级”不在允许范围内：none、municipal、provincial、national"),
        ({"revenue": "1", "staff_total": 1.5}, '职工总数：1.5 带小数，请写成字符串（如 "1.5"），以免浮点误差'),
    ],
)
def test_refused_bodies_write_nothing(world, put, body, detail):
    before = _state()
    response = put(body)
    assert response.status_code == 422
    assert response.json() == {"detail": detail}
    assert _state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["", "{", "not json"])
def test_a_body_that_is_not_json_is_refused(world, put, raw):
    before = _state()
    response = put(None, raw=raw)
    assert response.status_code == 422
    assert response.json()["detail"] in ("请求体不是有效的 JSON", '请求体须为 JSON 对象，如 {"revenue": "3000"}')
    assert _state() == before


@pytest.mark.django_db
def test_accepted_values_are_stored_exactly(world, put):
    response = put(
        {
            "revenue": "3000.1234",
            "staff_total": "12.5",
            "new_graduates": 3,
            "net_profit": "-12.5",
            "niche_market_share": "0.05",
            "hte_certified": True,
            "hte_certified_on": "2024-11-01",
            "rd_institution_level": "provincial",
            "rd_expense": 150,
            "tech_staff": 5.0,
        }
    )
    assert response.status_code == 200 and response.json()["status"] == "saved"
    figure = AnnualFigure.objects.get(enterprise=world["a"], year=2025)
    assert (str(figure.revenue), str(figure.staff_total), figure.new_graduates, str(figure.net_profit)) == (
        "3000.1234",
        "12.50",
        3,
        "-12.5000",
    )
    assert (figure.hte_certified, str(figure.hte_certified_on), figure.rd_institution_level) == (
        True,
        "2024-11-01",
        "provincial",
    )
    assert (str(figure.rd_expense), str(figure.tech_staff)) == ("150.0000", "5.00")


@pytest.mark.django_db
def test_all_unknown_creates_no_empty_row(world, put):
    before = _state()
    response = put({"revenue": None})
    assert (response.status_code, response.json()) == (200, {"status": "saved", "changes": {}, "submission": None})
    assert _state() == before
    # On a year that has a row, null clears the value (unknown), audited.
    assert put({"revenue": None}, year=2024).json()["changes"] == {"revenue": ["3000", None]}


@pytest.mark.django_db
def test_enterprise_user_cannot_submit_nothing(world, put):
    before = _state()
    response = put({"revenue": None}, role="enterprise_user")
    assert (response.status_code, response.json()) == (422, {"detail": "没有要提交的数据：请至少填写一项"})
    assert _state() == before
    assert put({"revenue": "10"}, role="enterprise_user").json()["status"] == "submitted"


@pytest.mark.django_db
@pytest.mark.parametrize("year", [1899, 2101])
def test_year_out_of_range(world, put, year):
    response = put({"revenue": "1"}, year=year)
    assert (response.status_code, response.json()) == (422, {"detail": "年度超出合理范围（1900–2100）"})


@pytest.mark.django_db
def test_openapi_document_says_what_the_endpoint_takes_and_answers(world, client):
    spec = client.get("/api/openapi.json").json()
    operation = spec["paths"]["/api/enterprises/{uscc}/figures/{year}"]["put"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "422"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["additionalProperties"] is False and body["minProperties"] == 1
    props = body["properties"]
    assert props["new_graduates"]["anyOf"] == [
        {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
        {"type": "null"},
    ]
    assert props["digitalization_level"]["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 4}
    assert props["revenue"]["anyOf"][0]["anyOf"][1] == {"type": "string", "pattern": r"^[0-9]{1,14}(?:\.[0-9]{1,4})?$"}
    assert props["net_profit"]["anyOf"][0]["anyOf"][0]["minimum"] == -(10**14 - 1)
    assert props["staff_total"]["anyOf"][0]["anyOf"][1]["pattern"] == r"^[0-9]{1,12}(?:\.[0-9]{1,2})?$"
    year = next(p for p in operation["parameters"] if p["name"] == "year")
    assert (year["schema"]["minimum"], year["schema"]["maximum"]) == (1900, 2100)
