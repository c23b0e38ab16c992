"""How values read on the pages, in one place (the `kc` filters and the audit's change texts use it): money in
万元 with two decimals (亿元 from 10,000万), counts and other numbers without trailing zeros (at most 4
decimals), never "-0", yes/no and unknown in Chinese, coded values by their Chinese names. The number rules
themselves are the engine's (`engine/numbers.py`), so an explanation and a page read the same."""

from __future__ import annotations

import re
from decimal import Decimal

from django.db import models

from kechuang.engine import facts, labels, numbers

UNKNOWN = "—"
NUMERIC_KINDS = (facts.MONEY, facts.NUMBER, facts.INT, facts.FRACTION)
NUMERIC_FIELDS = (models.DecimalField, models.IntegerField, models.FloatField)


def decimal(value) -> Decimal | None:
    """`value` as a Decimal when it is a number (or a number's text), else None."""
    return numbers.exact(value)


def money(value) -> str:
    """万元 amount: 20666.8792 → 2.07 亿元; 12.5 → 12.50 万元; -0.0 → 0.00 万元."""
    return numbers.money_text(value, unknown=UNKNOWN)


def number(value) -> str:
    """A count or measure: 9.00 → 9, 0.12345 → 0.1235, -0.0 → 0."""
    return numbers.number_text(value, unknown=UNKNOWN)


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


def since(effective_from) -> str:
    """A rule version as readers know it, by the day it takes effect: 2024-01-01 → "2024-01-01 起施行"."""
    return f"{effective_from:%Y-%m-%d} 起施行" if effective_from else UNKNOWN


# A rule reference as services write it into notes: `hte_reward@2024-01-01` (code@effective date).
RULE_REF = re.compile(r"\b([a-z][a-z0-9_]*)@(\d{4}-\d{2}-\d{2})\b")


def rule_refs(text: str, names: dict[str, str]) -> str:
    """`text` with each code@date rule reference read as 名称（日期 起施行）; the name is left out where the
    text already says it just before, and a code not in `names` shows only its date (never the code)."""

    def shown(match: re.Match) -> str:
        name, day = names.get(match.group(1), ""), match.group(2)
        before = text[: match.start()].rstrip()
        if not name or before.endswith(name):
            name = ""
        # A reference the text already puts in brackets ("排名（code@date）") gets none of its own.
        if before.endswith("（") and text[match.end() :].startswith("）"):
            return f"{name} {day} 起施行" if name else f"{day} 起施行"
        return f"{name}（{day} 起施行）"

    return RULE_REF.sub(shown, text or "")


def version_ref(version_id: str) -> str:
    """A version id (code@date) as its effective date: `rd_subsidy@2024-01-01` → "2024-01-01 起施行"."""
    match = RULE_REF.fullmatch(version_id or "")
    return f"{match.group(2)} 起施行" if match else (version_id or UNKNOWN)
