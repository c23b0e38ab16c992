"""Model fields derived from the facts schema (kechuang.engine.facts), so the database and the data
dictionary cannot drift apart: one column there is one field here, with the same name and Chinese label."""

from __future__ import annotations

from django.db import models

from kechuang.engine import facts

_MAX_DIGITS = {facts.MONEY: 18, facts.NUMBER: 14, facts.FRACTION: 8}


def model_field(column: facts.Column) -> models.Field:
    label = column.label
    kind = column.kind
    if kind in _MAX_DIGITS:
        return models.DecimalField(
            label,
            max_digits=_MAX_DIGITS[kind],
            decimal_places=facts.DECIMAL_PLACES[kind],
            null=True,
            blank=True,
        )
    if kind == facts.INT:
        return models.IntegerField(label, null=True, blank=True)
    if kind == facts.BOOL:
        return models.BooleanField(label, null=True, blank=True)
    if kind == facts.DATE:
        return models.DateField(label, null=True, blank=True)
    if kind == facts.ENUM:
        labels = facts.enum_labels(column)
        return models.CharField(
            label, max_length=32, null=True, blank=True, choices=[(c, labels.get(c, c)) for c in column.choices]
        )
    # Text facts are nullable too: empty means unknown here, as for every other fact. Their size is the facts
    # column's, which the readers check, so no database stores (or refuses) a longer value.
    return models.CharField(label, max_length=column.text_limit, null=True, blank=True)


def model_fields(names) -> dict[str, models.Field]:
    return {name: model_field(facts.BY_NAME[name]) for name in names}
