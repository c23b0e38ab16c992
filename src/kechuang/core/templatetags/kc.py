"""Display filters: money in 万元/亿元, ratios as percentages, unknown as a dash, Chinese labels."""

from __future__ import annotations

from decimal import Decimal

from django import template

from kechuang.core import audit, display
from kechuang.engine import facts, labels

register = template.Library()
UNKNOWN = "—"


@register.filter
def wan(value):
    """万元 amount for display: two decimals, 亿元 from 10,000万 (the one rule: engine/numbers.py)."""
    return display.money(value)


@register.filter
def num(value):
    """A count, points or other measure: no float noise, no trailing zeros (the one rule: engine/numbers.py)."""
    return display.number(value)


@register.filter
def yesno_cn(value):
    return UNKNOWN if value is None else ("是" if value else "否")


@register.filter
def field_label(name: str) -> str:
    """Chinese label of a facts column, derived value, earlier-year value or policy input name."""
    return labels.label(name)


@register.filter
def fields_label(names: str) -> str:
    """`;`-joined names (a "missing" list) as Chinese labels."""
    return labels.names_text(names)


@register.filter
def gap_text(gap: dict) -> str:
    """A gap with the field's unit: 研发费用：150 万元 → 180 万元（差 30 万元）."""
    return labels.gap_text(gap)


@register.filter
def value_text(value) -> str:
    """A value in an explanation or a facts snapshot: at most 4 decimals; yes/no and unknown in Chinese."""
    return labels.value_text(value)


@register.filter
def condition_values(condition: dict, ruleset_label: str = "") -> str:
    """An explained condition's values and thresholds with their units (labels.condition_values_text)."""
    return labels.condition_values_text(condition.get("values"), condition.get("thresholds"), ruleset_label)


@register.filter
def ruleset_text(label: str) -> str:
    return labels.ruleset_text(label)


@register.filter
def col_label(column: facts.Column):
    return facts.header_label(column)


@register.filter
def fact(value, column: facts.Column):
    if value is None or value == "":
        return UNKNOWN
    kind = column.kind
    if kind == facts.BOOL:
        return "是" if value else "否"
    if kind == facts.FRACTION:
        return f"{Decimal(value) * 100:.1f}%"
    if kind == facts.MONEY:
        return f"{Decimal(value):,.2f}"
    if kind == facts.NUMBER:
        return f"{Decimal(value).normalize():f}"
    if kind == facts.ENUM:
        return facts.enum_labels(column).get(value, value)
    return value


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def field_value(name: str, value) -> str:
    """`{{ name|field_value:value }}`: a field's value in the pages' formats (core.display.field_value); a
    missing value in the facts a decision read is unknown, not empty."""
    return display.field_value(name, value, empty="未知")


@register.filter
def change_rows(event) -> list[tuple[str, str, str | None]]:
    """An audit event's changes as (Chinese title, old, new) in the pages' number formats (audit.change_rows)."""
    return audit.change_rows(event.object_type, event.changes or {})


@register.filter
def since(effective_from) -> str:
    """A rule version by its effective date: "2024-01-01 起施行" (never its code)."""
    return display.since(effective_from)


@register.filter
def version_ref(version_id: str) -> str:
    """A version id (code@date) as "2024-01-01 起施行"."""
    return display.version_ref(version_id)


@register.filter
def action_label(action: str):
    return audit.action_label(action)
