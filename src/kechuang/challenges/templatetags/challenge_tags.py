"""Display filters of the challenge pages: plain numbers (no 5E+2), shares as percentages, criterion labels."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def plain(value) -> str:
    """A Decimal without trailing zeros or exponent: 500.0000 → 500, 0.2500 → 0.25."""
    if value is None or value == "":
        return "—"
    try:
        return f"{Decimal(str(value)).normalize():f}"
    except InvalidOperation:
        return str(value)


@register.filter
def pct(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{(Decimal(str(value)) * 100).quantize(Decimal('0.1')).normalize():f}%"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
