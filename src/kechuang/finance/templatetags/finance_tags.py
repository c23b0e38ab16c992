"""Display filters of the finance pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def pct(value) -> str:
    """A share (0.0123) as a percentage with two decimals (1.23%); unknown as a dash."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.2f}%"
