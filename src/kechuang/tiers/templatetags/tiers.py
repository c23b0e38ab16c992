from django import template

from kechuang.tiers import labels

register = template.Library()


@register.filter
def condition_label(cid: str) -> str:
    return labels.CONDITIONS.get(cid, cid)


@register.filter
def conditions_label(ids: str) -> str:
    return labels.conditions_text(ids)


@register.filter
def qualified_label(value: str) -> str:
    return labels.QUALIFIED.get(value, value)


@register.filter
def route_label(value: str) -> str:
    return labels.ROUTES.get(value, value)
