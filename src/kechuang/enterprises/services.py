"""Writes to the registry. Every write is a transaction with its audit events; nothing else writes here.

`upsert_facts` is set-based: it loads the existing rows for the incoming keys in bulk, compares in memory,
and writes only what changed, so re-importing the same file changes nothing and records nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.engine import facts

from .models import ENTERPRISE_PLAIN, AnnualFigure, Enterprise, FigureSubmission, Qualification

# Enterprise attribute names as stored (foreign keys by their *_id attribute).
ENTERPRISE_FIELDS = ("name", "region_id", "industry_id", *ENTERPRISE_PLAIN)
_FACT_TO_ATTR = {"region_code": "region_id", "industry_code": "industry_id"}
FIGURE_FIELDS = facts.ANNUAL_NAMES
CHUNK = 2000


def _static_from_rows(rows: list[dict], columns: Iterable[str]) -> dict[str, dict]:
    """Static attributes per USCC; where rows disagree, the row of the latest year wins."""
    present = [c for c in columns if c in facts.STATIC_NAMES and c != "uscc"]
    out: dict[str, tuple[int, dict]] = {}
    for row in rows:
        uscc, year = row["uscc"], row["year"]
        if uscc in out and out[uscc][0] > year:
            continue
        values = {}
        for name in present:
            attr = _FACT_TO_ATTR.get(name, name)
            values[attr] = row.get(name)
        out[uscc] = (year, values)
    return {k: v for k, (_, v) in out.items()}


def upsert_facts(
    rows: list[dict],
    *,
    columns: Iterable[str],
    actor=None,
    note: str = "",
    progress: Callable[[int], None] | None = None,
    audit_changes: bool = True,
) -> dict[str, int]:
    """Insert or update enterprises and annual figures keyed by (USCC, year).

    Only the columns present in the file are written: a column the file lacks leaves stored values alone,
    while an empty cell in a present column sets the value to unknown.
    """
    columns = list(columns)
    figure_cols = [c for c in columns if c in FIGURE_FIELDS]
    stats = {"enterprises_created": 0, "enterprises_updated": 0, "figures_created": 0, "figures_updated": 0,
             "unchanged": 0}
    static = _static_from_rows(rows, columns)
    with transaction.atomic():
        existing = {}
        usccs = list(static)
        for i in range(0, len(usccs), CHUNK):
            for e in Enterprise.objects.filter(uscc__in=usccs[i:i + CHUNK]):
                existing[e.uscc] = e
        events: list = []
        new_enterprises, changed_enterprises, changed_fields = [], [], set()
        now = timezone.now()
        for uscc, values in static.items():
            enterprise = existing.get(uscc)
            if enterprise is None:
                new_enterprises.append(Enterprise(uscc=uscc, **values))
                continue
            old = {k: getattr(enterprise, k) for k in values}
            changes = audit.diff(old, values, values.keys())
            if changes:
                for k in changes:
                    setattr(enterprise, k, values[k])
                enterprise.updated_at = now
                changed_fields.update(changes)
                changed_enterprises.append(enterprise)
                if audit_changes:
                    events.append(audit.event(actor=actor, action="enterprise.update", obj=enterprise,
                                              enterprise=enterprise, changes=changes, note=note))
        Enterprise.objects.bulk_create(new_enterprises, batch_size=CHUNK)
        if changed_enterprises:
            Enterprise.objects.bulk_update(changed_enterprises, [*changed_fields, "updated_at"], batch_size=CHUNK)
        stats["enterprises_created"] = len(new_enterprises)
        stats["enterprises_updated"] = len(changed_enterprises)
        ids = {e.uscc: e.pk for e in existing.values()}
        if new_enterprises:
            for i in range(0, len(new_enterprises), CHUNK):
                chunk = [e.uscc for e in new_enterprises[i:i + CHUNK]]
                ids.update(Enterprise.objects.filter(uscc__in=chunk).values_list("uscc", "pk"))
            if audit_changes:
                for e in new_enterprises:
                    e.pk = ids[e.uscc]
                    events.append(audit.event(actor=actor, action="enterprise.create", obj=e, enterprise=e,
                                              note=note))

        current = {}
        enterprise_ids = list(ids.values())
        for i in range(0, len(enterprise_ids), CHUNK):
            for f in AnnualFigure.objects.filter(enterprise_id__in=enterprise_ids[i:i + CHUNK]):
                current[(f.enterprise_id, f.year)] = f
        new_figures, changed_figures, figure_changed_fields = [], [], set()
        for done, row in enumerate(rows, start=1):
            eid = ids[row["uscc"]]
            values = {c: row.get(c) for c in figure_cols}
            figure = current.get((eid, row["year"]))
            if figure is None:
                new_figures.append(AnnualFigure(enterprise_id=eid, year=row["year"], **values))
                continue
            changes = audit.diff({c: getattr(figure, c) for c in figure_cols}, values, figure_cols)
            if not changes:
                stats["unchanged"] += 1
                continue
            for k in changes:
                setattr(figure, k, values[k])
            figure.updated_at = now
            figure_changed_fields.update(changes)
            changed_figures.append(figure)
            if audit_changes:
                events.append(audit.event(actor=actor, action="figure.update", obj=figure,
                                          enterprise=Enterprise(pk=eid), changes=changes,
                                          note=f"{row['year']}年度 {note}".strip()))
            if progress and done % CHUNK == 0:
                progress(done)
        AnnualFigure.objects.bulk_create(new_figures, batch_size=CHUNK)
        if changed_figures:
            AnnualFigure.objects.bulk_update(changed_figures, [*figure_changed_fields, "updated_at"],
                                             batch_size=CHUNK)
        if audit_changes and new_figures:
            years: dict[int, list[int]] = {}
            for f in new_figures:
                years.setdefault(f.enterprise_id, []).append(f.year)
            for eid, ys in years.items():
                events.append(audit.AuditEvent(
                    actor=actor if getattr(actor, "is_authenticated", False) else None, action="figure.create",
                    object_type="enterprises.annualfigure", object_id=f"{eid}:{','.join(map(str, sorted(ys)))}",
                    enterprise_id=eid, changes={}, note=f"新增{'、'.join(map(str, sorted(ys)))}年度数据 {note}".strip(),
                ))
        stats["figures_created"] = len(new_figures)
        stats["figures_updated"] = len(changed_figures)
        audit.record_many(events)
    return stats


def update_enterprise(enterprise: Enterprise, values: dict, *, actor) -> dict:
    if not actor.can_edit_enterprises:
        raise PermissionDenied(_("无权修改企业信息"))
    with transaction.atomic():
        locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        old = {k: getattr(locked, k) for k in values}
        changes = audit.diff(old, values, values.keys())
        if not changes:
            return {}
        for k in changes:
            setattr(locked, k, values[k])
        locked.full_clean(exclude=["uscc"])
        locked.save()
        audit.record(actor=actor, action="enterprise.update", obj=locked, enterprise=locked, changes=changes)
    return changes


def save_figure(enterprise: Enterprise, year: int, values: dict, *, actor, note: str = "") -> dict:
    """Create or update one year's figures by bureau staff, audited."""
    if not actor.can_edit_enterprises:
        raise PermissionDenied(_("无权修改年度数据"))
    with transaction.atomic():
        figure, created = AnnualFigure.objects.select_for_update().get_or_create(enterprise=enterprise, year=year)
        old = {k: getattr(figure, k) for k in values}
        changes = audit.diff(old, values, values.keys())
        if not changes and not created:
            return {}
        for k, v in values.items():
            setattr(figure, k, v)
        figure.confirmed_by = actor
        figure.save()
        audit.record(actor=actor, action="figure.create" if created else "figure.update", obj=figure,
                     enterprise=enterprise, changes=changes, note=f"{year}年度 {note}".strip())
    return changes


def submit_figures(enterprise: Enterprise, year: int, values: dict, *, actor) -> FigureSubmission:
    """An enterprise user submits its own figures; they wait for bureau confirmation."""
    if not actor.can_submit_figures or actor.enterprise_id != enterprise.pk:
        raise PermissionDenied(_("只能填报本企业的数据"))
    data = {k: audit.jsonable(v) for k, v in values.items() if v is not None}
    with transaction.atomic():
        submission = FigureSubmission.objects.create(enterprise=enterprise, year=year, data=data, submitted_by=actor)
        audit.record(actor=actor, action="submission.create", obj=submission, enterprise=enterprise,
                     note=f"提交{year}年度数据")
    return submission


def review_submission(submission: FigureSubmission, *, actor, approve: bool, note: str = "") -> FigureSubmission:
    if not actor.can_confirm_figures:
        raise PermissionDenied(_("无权确认企业填报"))
    with transaction.atomic():
        locked = FigureSubmission.objects.select_for_update().get(pk=submission.pk)
        if locked.status != FigureSubmission.Status.SUBMITTED:
            raise ValidationError(_("该填报已处理，不能重复审核"))
        locked.status = FigureSubmission.Status.CONFIRMED if approve else FigureSubmission.Status.REJECTED
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.review_note = note[:500]
        locked.save()
        if approve:
            values = {k: facts.parse_value(facts.BY_NAME[k], v) for k, v in locked.data.items()}
            save_figure(locked.enterprise, locked.year, values, actor=actor, note="确认企业填报")
        audit.record(actor=actor, action="submission.confirm" if approve else "submission.reject", obj=locked,
                     enterprise=locked.enterprise, note=note)
    return locked


def add_qualification(enterprise: Enterprise, values: dict, *, actor) -> Qualification:
    if not actor.can_edit_enterprises:
        raise PermissionDenied(_("无权修改企业资质"))
    with transaction.atomic():
        q = Qualification(enterprise=enterprise, **values)
        q.full_clean()
        q.save()
        audit.record(actor=actor, action="qualification.create", obj=q, enterprise=enterprise,
                     changes={k: [None, audit.jsonable(v)] for k, v in values.items()})
    return q
