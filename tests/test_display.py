"""Technical text does not reach users (issue 21: 9): money in 万元 with two decimals, counts as integers, no
-0, field names in Chinese in change logs (core.display, audit.change_rows, the kc filters)."""

from __future__ import annotations

from decimal import Decimal

from kechuang.core import audit, display
from kechuang.core.templatetags import kc


def test_money_and_numbers_read_as_on_paper():
    assert display.money("20666.8792000000") == "2.07 亿元"
    assert display.money("9999.996") == "10,000.00 万元"
    assert display.money(Decimal("12.5")) == "12.50 万元"
    assert display.money("-0.0") == display.money(Decimal("-0.001")) == "0.00 万元"
    assert display.number("9.00") == "9" and display.number(Decimal("-0.0")) == "0"
    assert display.number("0.12345") == "0.1235" and display.number("abc") == "—"
    assert kc.wan(Decimal("-0.0001")) == "0.00 万元" and kc.wan("12.5") == "12.50 万元"


def test_change_rows_use_labels_and_page_formats():
    assert audit.change_rows(
        "enterprises.annualfigure",
        {
            "staff_total": ["9.00", "10.00"],
            "revenue": ["20666.8792000000", None],
            "hte_certified": [False, True],
            "niche_market_share": ["0.125", "0.2"],
        },
    ) == [
        ("职工总数", "9", "10"),
        ("营业收入", "2.07 亿元", "空"),
        ("持有效高新技术企业证书", "否", "是"),
        ("细分市场占有率", "12.5%", "20%"),
    ]
    assert audit.change_rows("policies.entitlement", {"amount": [None, "12.5000"], "status": ["pending", "paid"]}) == [
        ("兑现金额（万元）", "空", "12.50 万元"),
        ("状态", "待确认", "已兑现"),
    ]
    assert (
        audit.changes_text("policies.budget", {"amount": ["1000", "1500.5"]})
        == "预算（万元）：1,000.00 万元 → 1,500.50 万元"
    )
