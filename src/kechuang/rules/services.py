"""Writes of rule versions: one service for every kind, one audit shape.

A bureau admin adds a dated value of a rule's parameter. The engine's document in force on that date checks
the value (shape, unit, the kind's own checks); the service records it with its source and reason, what it
replaces (`previous`), and one audit event `rule_version.create` with old → new. Two submits of the same day
meet the unique constraint and get a Chinese message, never a 500.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.engine.ruledata import RuleDataError, parse
from kechuang.engine.ruledata import kind as rule_kind

from . import selectors
from .models import RuleVersion


def add_parameter_version(
    *, user, kind: str, rule_id: str, parameter: str, effective_from: dt.date, value, source: str, note: str = ""
) -> RuleVersion:
    if not user.can_admin:
        raise PermissionDenied(_("只有科技局管理员可以调整规则参数"))
    try:
        doc = selectors.rule_in_force(kind, rule_id, effective_from)
        current = selectors.params(kind, rule_id, effective_from)
    except RuleDataError as exc:
        raise ValidationError(exc.message) from None
    if parameter not in doc.parameters:
        raise ValidationError(_("“%(r)s”没有参数 %(p)s") % {"r": doc.name, "p": parameter})
    problem = doc.check_parameter(parameter, current[parameter], value)
    if problem:
        raise ValidationError(problem)
    source, note = source.strip(), note.strip()
    if not source:
        raise ValidationError(_("请填写调整的依据来源（文件名称、文号或网址）"))
    label = doc.parameters[parameter].label
    same_day = _("“%(p)s”在 %(d)s 已有一个版本；同一天只能有一个取值，请换一个生效日期") % {
        "p": label,
        "d": f"{effective_from:%Y-%m-%d}",
    }
    if selectors.published(kind, rule_id).filter(parameter=parameter, effective_from=effective_from).exists():
        raise ValidationError(same_day)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a second submit racing this one meets the unique constraint
                version = RuleVersion.objects.create(
                    kind=kind,
                    rule_id=rule_id,
                    parameter=parameter,
                    effective_from=effective_from,
                    value=value,
                    previous=current[parameter],
                    source=source,
                    note=note,
                    created_by=user,
                )
        except IntegrityError:
            raise ValidationError(same_day) from None
        audit.record(
            actor=user,
            action="rule_version.create",
            obj=version,
            changes={"value": [current[parameter], value]},
            note=f"{rule_kind(kind).label}·{doc.name}·{label} 自 {effective_from:%Y-%m-%d} 起；依据：{source}"
            + (f"；原因：{note}" if note else ""),
        )
    return version


def add_document_version(
    *,
    user,
    kind: str,
    rule_id: str,
    data: dict,
    effective_from: dt.date,
    source: str,
    note: str = "",
    changes: dict | None = None,
    summary: str = "",
) -> RuleVersion:
    """A bureau admin's dated version of a whole rule document (`data`, shaped as its rule file).

    The document's dates and source are the version's; the kind's model validates it and names every problem;
    `changes` ({what: [old, new]}) and `summary` describe the change for the audit. Nothing is written on error.
    """
    if not user.can_admin:
        raise PermissionDenied(_("只有科技局管理员可以调整规则"))
    source, note = source.strip(), note.strip()
    if not source:
        raise ValidationError(_("请填写调整的依据来源（文件名称、文号或网址）"))
    k = rule_kind(kind)
    data = {
        **data,
        "id": rule_id,
        "version": effective_from.isoformat(),
        "effective_from": effective_from.isoformat(),
        "effective_to": None,
        "source": source,
    }
    try:
        doc = parse(k.model, data)
        base = selectors.rule_in_force(kind, rule_id, effective_from)
    except RuleDataError as exc:
        raise ValidationError([str(p) for p in exc.problems]) from None
    problems = doc.problems()
    if problems:
        raise ValidationError([str(p) for p in problems])
    same_day = _("%(d)s 已有%(k)s“%(n)s”的版本，请另选生效日期") % {
        "d": f"{effective_from:%Y-%m-%d}",
        "k": k.label,
        "n": doc.name,
    }
    if base.effective_from == effective_from:
        raise ValidationError(same_day)
    try:
        with transaction.atomic():
            version = RuleVersion.objects.create(
                kind=kind,
                rule_id=rule_id,
                parameter="",
                effective_from=effective_from,
                value=doc.to_data(),
                previous=base.to_data(),
                source=source[:500],
                note=note[:500],
                created_by=user,
            )
            audit.record(
                actor=user,
                action="rule_version.create",
                obj=version,
                changes=changes or {},
                note=f"{k.label}“{doc.name}” {doc.key} 自 {effective_from:%Y-%m-%d} 起替代 {base.key}"
                + (f"（{summary}）" if summary else "")
                + f"；依据：{source}"
                + (f"；原因：{note}" if note else ""),
            )
    except IntegrityError:  # the same date saved meanwhile by someone else
        raise ValidationError(same_day) from None
    return version
