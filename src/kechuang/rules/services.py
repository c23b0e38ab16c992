"""Writes of rule versions: one service for every kind, one audit shape.

A bureau admin adds a dated value of a rule's parameter, from the rule pages or from a kind's own editor
(tiers). The engine's document in force on that date checks the value (shape, unit, the kind's own checks: a
tier rule set's band tables, then one trial run of the rule set with the value); the service records it with its
source and reason, what it replaces (`previous`), and one audit event `rule_version.create` with old → new. Two
submits of the same day meet the unique constraint and get a Chinese message, never a 500.
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
    if base.effective_from == effective_from:
        raise ValidationError(_same_day(k.label, doc.name, effective_from))
    return save_document_version(
        user=user,
        kind=kind,
        label=k.label,
        name=doc.name,
        rule_id=rule_id,
        value=doc.to_data(),
        previous=base.to_data(),
        previous_key=base.key,
        effective_from=effective_from,
        source=source,
        note=note,
        changes=changes,
        summary=summary,
    )


def _same_day(label: str, name: str, effective_from: dt.date) -> str:
    return _("%(d)s 已有%(k)s“%(n)s”的版本，请另选生效日期") % {
        "d": f"{effective_from:%Y-%m-%d}",
        "k": label,
        "n": name,
    }


def save_document_version(
    *,
    user,
    kind: str,
    label: str,
    name: str,
    rule_id: str,
    value: dict,
    previous: dict | None,
    previous_key: str = "",
    effective_from: dt.date,
    effective_to: dt.date | None = None,
    source: str,
    note: str = "",
    draft: bool = False,
    shipped: bool = False,
    changes: dict | None = None,
    summary: str = "",
) -> RuleVersion:
    """Store one whole-document version (already validated by its kind) with its audit event `rule_version.create`.

    The one writer of document versions, for a kind on the rule-data layer (`add_document_version`) and for
    a kind whose own app edits its documents (policies: checked as `PolicyDoc` by `policies.services`).
    `label` and `name` (the kind's and the rule's Chinese names) only word the audit; `previous` is the
    document in force on the version's date (None: none was), `changes` ({what: [old, new]}) says what differs.
    A draft is not in force until `publish_version`; a `shipped` version is a copy of a rule file loaded by the
    platform itself (no admin needed). A second published version of the same rule and day is refused in
    Chinese, never a 500; nothing is written on error.
    """
    if not shipped and not user.can_admin:
        raise PermissionDenied(_("只有科技局管理员可以调整规则"))
    source, note = source.strip(), note.strip()
    if not source:
        raise ValidationError(_("请填写调整的依据来源（文件名称、文号或网址）"))
    status = RuleVersion.Status.DRAFT if draft else RuleVersion.Status.PUBLISHED
    same_day = _same_day(label, name, effective_from)
    if not draft and _published_on(kind, rule_id, effective_from).exists():
        raise ValidationError(same_day)
    actor = user if getattr(user, "is_authenticated", False) else None
    try:
        with transaction.atomic():
            version = RuleVersion.objects.create(
                kind=kind,
                rule_id=rule_id,
                parameter="",
                effective_from=effective_from,
                effective_to=effective_to,
                value=value,
                previous=previous,
                status=status,
                origin=RuleVersion.Origin.SHIPPED if shipped else RuleVersion.Origin.BUREAU,
                source=source[:500],
                note=note[:500],
                created_by=actor,
            )
            audit.record(
                actor=actor,
                action="rule_version.create",
                obj=version,
                changes=changes or {},
                note=f"{label}“{name}” {version.key}"
                + ("（草稿）" if draft else "")
                + f" 自 {effective_from:%Y-%m-%d} 起"
                + (f"替代 {previous_key}" if previous_key else "施行")
                + (f"（{summary}）" if summary else "")
                + ("；载入内置规则文件" if shipped else "")
                + f"；依据：{source}"
                + (f"；原因：{note}" if note else ""),
            )
    except IntegrityError:  # the same date published meanwhile by someone else
        raise ValidationError(same_day) from None
    return version


def publish_version(*, user, version: RuleVersion, label: str, name: str) -> RuleVersion:
    """A bureau admin publishes a draft document version: in force from its date, audited `rule_version.publish`
    (status draft → published). Refused in Chinese when it is not a draft or its day already has a published
    version; the caller validates the document first and runs what publishing entails in the same transaction."""
    if not user.can_admin:
        raise PermissionDenied(_("只有科技局管理员可以发布规则版本"))
    if version.status != RuleVersion.Status.DRAFT:
        raise ValidationError(_("只有草稿可以发布"))
    same_day = _same_day(label, name, version.effective_from)
    try:
        with transaction.atomic():
            draft = RuleVersion.objects.select_for_update().get(pk=version.pk)
            if draft.status != RuleVersion.Status.DRAFT:  # published meanwhile by someone else
                raise ValidationError(_("只有草稿可以发布"))
            if _published_on(version.kind, version.rule_id, version.effective_from).exists():
                raise ValidationError(same_day)
            draft.status = RuleVersion.Status.PUBLISHED
            draft.save(update_fields=["status"])
            audit.record(
                actor=user,
                action="rule_version.publish",
                obj=draft,
                changes={"status": [RuleVersion.Status.DRAFT.value, RuleVersion.Status.PUBLISHED.value]},
                note=f"{label}“{name}” {draft.key} 自 {draft.effective_from:%Y-%m-%d} 起施行",
            )
    except IntegrityError:
        raise ValidationError(same_day) from None
    version.status = draft.status
    return version


def _published_on(kind: str, rule_id: str, effective_from: dt.date):
    return selectors.published(kind, rule_id).filter(parameter="", effective_from=effective_from)
