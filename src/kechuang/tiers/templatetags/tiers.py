from django import template

from kechuang.tiers import labels

register = template.Library()


@register.filter
def condition_label(cid: str) -> str:
    return labels.CONDITIONS.get(cid, cid)


@register.filter
def conditions_label(ids: str) -> str:
    return "；".join(labels.CONDITIONS.get(c, c) for c in (ids or "").split(";") if c)


@register.filter
def field_label(name: str) -> str:
    return labels.field_label(name)


@register.filter
def fields_label(names: str) -> str:
    return "、".join(labels.field_label(n) for n in (names or "").split(";") if n)


@register.filter
def qualified_label(value: str) -> str:
    return labels.QUALIFIED.get(value, value)


@register.filter
def route_label(value: str) -> str:
    return labels.ROUTES.get(value, value)
