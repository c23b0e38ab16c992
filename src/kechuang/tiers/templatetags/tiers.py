from django import template

from kechuang.tiers import labels

register = template.Library()


@register.filter
def condition_label(names: dict[str, str], cid: str) -> str:
    """`{{ result.condition_labels|condition_label:cid }}`: the label with the thresholds the result used."""
    return names.get(cid, cid)


@register.filter
def qualified_label(value: str) -> str:
    return labels.QUALIFIED.get(value, value)


@register.filter
def route_label(value: str) -> str:
    return labels.ROUTES.get(value, value)
