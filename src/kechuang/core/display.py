"""How values read on the pages, in one place (the `kc` filters and the audit's change texts use it): money in
万元 with two decimals (亿元 from 10,000万), counts and other numbers without trailing zeros (at most 4
decimals), never "-0", yes/no and unknown in Chinese, coded values by their Chinese names."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

from kechuang.engine import facts, labels

UNKNOWN = "—"
YI = Decimal(10000)  # 万元 per 亿元
CENT = Decimal("0.01")
NUMBER_PLACES = Decimal("0.0001")
NUMERIC_KINDS = (facts.MONEY, facts.NUMBER, facts.INT, facts.FRACTION)
NUMERIC_FIELDS = (models.DecimalField, models.IntegerField, models.FloatField)


def decimal(value) -> Decimal | None:
    """`value` as a Decimal when it is a number (or a number's text), else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def money(value) -> str:
    """万元 amount: 20666.8792 → 2.07 亿元; 12.5 → 12.50 万元; -0.0 → 0.00 万元."""
    amount = decimal(value)
    if amount is None:
        return UNKNOWN
    if abs(amount) >= YI:
        return f"{amount / YI:,.2f} 亿元".replace("-0.00", "0.00")
    return f"{amount.quantize(CENT, ROUND_HALF_UP) + 0:,.2f} 万元"


def number(value) -> str:
    """A count or measure: 9.00 → 9, 0.12345 → 0.1235, -0.0 → 0."""
    amount = decimal(value)
    if amount is None:
        return UNKNOWN
    rounded = amount.quantize(NUMBER_PLACES, ROUND_HALF_UP) + 0
    text = f"{rounded:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def field_value(name: str, value, field=None, empty: str = "空") -> str:
    """A field's value as a reader expects it: money (a facts money column, a derived amount or a model field
    in 万元), shares in %, yes/no, coded values by their names, other numbers via `number`. `field` is the
    model field the value belongs to, when there is one. `empty` is what a missing value reads as: "空" in a
    change log (nothing before), "未知" in a snapshot of the facts a decision read."""
    if value is None or value == "":
        return empty
    if isinstance(value, bool):
        return "是" if value else "否"
    column = facts.BY_NAME.get(name)
    unit = labels.unit(name)
    money_field = "万元" in str(getattr(field, "verbose_name", ""))
    numeric_field = (
        bool(unit)
        or money_field
        or (column is not None and column.kind in NUMERIC_KINDS)
        or isinstance(field, NUMERIC_FIELDS)
    )
    amount = decimal(value)
    if amount is not None and (numeric_field or not isinstance(value, str)):
        if money_field or unit == "万元":
            return money(amount)
        if unit == "%":
            return f"{number(amount * 100)}%"
        return number(amount)
    if column is not None and column.kind == facts.ENUM:
        return facts.enum_labels(column).get(value, value)
    return str(value)
