"""Writes to the registry. Every write is a transaction with its audit events; nothing else writes here.

`upsert_facts` is set-based: it loads the existing rows for the incoming keys in bulk, compares in memory,
and writes only what changed, so re-importing the same file changes nothing and records nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit, bulk, consequences
from kechuang.core.models import AuditEvent
from kechuang.engine import facts

from .models import ENTERPRISE_PLAIN, AnnualFigure, Enterprise, FigureSubmission, Qualification

# Enterprise attribute names as stored (foreign keys by their *_id attribute).
ENTERPRISE_FIELDS = ("name", "region_id", "industry_id", *ENTERPRISE_PLAIN)
_FACT_TO_ATTR = {"region_code": "region_id", "industry_code": "industry_id"}
FIGURE_FIELDS = facts.ANNUAL_NAMES
CHUNK = 2000


def _static_from_rows(rows: list[dict], columns: Iterable[str]) -> dict[str, dict]:
    """Static attributes per USCC from the row of the latest year, given values only (an empty cell keeps the
    stored value; a new firm stores it as unknown)."""
    present = [c for c in columns if c in facts.STATIC_NAMES and c != "uscc"]
    latest: dict[str, dict] = {}
    for row in rows:
        known = latest.get(row["uscc"])
        if known is None or known["year"] <= row["year"]:
            latest[row["uscc"]] = row
    return {
        uscc: {_FACT_TO_ATTR.get(name, name): row[name] for name in present if name in row}
        for uscc, row in latest.items()
    }


def upsert_facts(
    rows: list[dict],
    *,
    columns: Iterable[str],
    actor=None,
    note: str = "",
    progress: Callable[[int], None] | None = None,
    audit_changes: bool = True,
    schedule_consequences: bool = True,
) -> dict[str, int]:
    """Insert or update enterprises and annual figures keyed by (USCC, year), in one transaction.

    Only the values given are written: a column the file lacks, or an empty cell (a key absent from its row),
    leaves the stored value alone; a new row stores them as unknown. Clearing a stored value is the edit form's
    business (save_figure), never an import's: a blank in a template must not erase valid data. The years whose
    figures changed get their consequences scheduled on commit (`core.consequences`), unless the caller computes
    them itself (the demo).
    """
    columns = list(columns)
    figure_cols = [c for c in columns if c in FIGURE_FIELDS]
    stats = {
        "enterprises_created": 0,
        "enterprises_updated": 0,
        "figures_created": 0,
        "figures_updated": 0,
        "unchanged": 0,
    }
    static = _static_from_rows(rows, columns)
    # Every static column of the file: a new firm stores the ones no row gives as unknown, not as model defaults.
    static_attrs = [_FACT_TO_ATTR.get(c, c) for c in columns if c in facts.STATIC_NAMES and c != "uscc"]
    events: list = []
    with transaction.atomic():
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        ids = _upsert_enterprises(static, static_attrs, stats, events, actor, note, now, audit_changes)
        current = _existing_figures(list(ids.values()), figure_cols)
        inserts, updates = [], {}
        created_years: dict[int, list[int]] = {}
        changed_years: set[int] = set()
        for done, row in enumerate(rows, start=1):
            eid = ids[row["uscc"]]
            values = [row.get(c) for c in figure_cols]
            old = current.get((eid, row["year"]))
            if old is None:
                inserts.append((eid, row["year"], *values, now))
                created_years.setdefault(eid, []).append(row["year"])
                changed_years.add(row["year"])
            else:
                pk, old_values = old
                given = [c for c in figure_cols if c in row]  # an empty cell keeps the stored value
                changes = audit.diff(dict(zip(figure_cols, old_values, strict=True)), row, given)
                if not changes:
                    stats["unchanged"] += 1
                else:
                    changed = tuple(changes)
                    updates.setdefault(changed, []).append((*(row.get(c) for c in changed), now, pk))
                    changed_years.add(row["year"])
                    stats["figures_updated"] += 1
                    if audit_changes:
                        events.append(
                            _event(
                                actor,
                                "figure.update",
                                "enterprises.annualfigure",
                                pk,
                                eid,
                                changes,
                                f"{row['year']}年度 {note}".strip(),
                            )
                        )
            if progress and done % CHUNK == 0:
                progress(done)
        bulk.insert_rows(AnnualFigure, ["enterprise_id", "year", *figure_cols, "updated_at"], inserts)
        for changed, batch in updates.items():
            bulk.update_rows(AnnualFigure, [*changed, "updated_at"], batch)
        stats["figures_created"] = len(inserts)
        if audit_changes:
            for eid, years in created_years.items():
                listed = "、".join(map(str, sorted(years)))
                events.append(
                    _event(
                        actor,
                        "figure.create",
                        "enterprises.annualfigure",
                        f"{eid}:{listed}",
                        eid,
                        {},
                        f"新增{listed}年度数据 {note}".strip(),
                    )
                )
        audit.record_many(events)
        if schedule_consequences:
            consequences.facts_changed(years=changed_years, actor=actor)
    return stats


def _event(actor, action, object_type, object_id, enterprise_id, changes, note) -> AuditEvent:
    return AuditEvent(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        enterprise_id=enterprise_id,
        changes=changes,
        note=note[:500],
    )


def _upsert_enterprises(static, attrs, stats, events, actor, note, now, audit_changes) -> dict[str, int]:
    """Create new enterprises and update the static attributes rows give that changed; returns {uscc: id}."""
    existing: dict[str, tuple[int, dict]] = {}
    usccs = list(static)
    attrs = sorted(set(attrs))
    for i in range(0, len(usccs), CHUNK):
        for record in Enterprise.objects.filter(uscc__in=usccs[i : i + CHUNK]).values("pk", "uscc", *attrs):
            existing[record.pop("uscc")] = (record.pop("pk"), record)
    inserts, updates = [], {}
    for uscc, values in static.items():
        if uscc not in existing:
            inserts.append((uscc, *(values.get(a) for a in attrs), now, now))
            continue
        pk, old = existing[uscc]
        changes = audit.diff(old, values, values.keys())
        if changes:
            changed = tuple(changes)
            updates.setdefault(changed, []).append((*(values[c] for c in changed), now, pk))
            stats["enterprises_updated"] += 1
            if audit_changes:
                events.append(_event(actor, "enterprise.update", "enterprises.enterprise", pk, pk, changes, note))
    bulk.insert_rows(Enterprise, ["uscc", *attrs, "created_at", "updated_at"], inserts)
    for changed, batch in updates.items():
        bulk.update_rows(Enterprise, [*changed, "updated_at"], batch)
    stats["enterprises_created"] = len(inserts)
    ids = {uscc: pk for uscc, (pk, _) in existing.items()}
    new = [row[0] for row in inserts]
    for i in range(0, len(new), CHUNK):
        ids.update(Enterprise.objects.filter(uscc__in=new[i : i + CHUNK]).values_list("uscc", "pk"))
    if audit_changes:
        for uscc in new:
            events.append(_event(actor, "enterprise.create", "enterprises.enterprise", ids[uscc], ids[uscc], {}, note))
    return ids


def _existing_figures(enterprise_ids: list[int], figure_cols: list[str]) -> dict[tuple[int, int], tuple]:
    current = {}
    for i in range(0, len(enterprise_ids), CHUNK):
        qs = AnnualFigure.objects.filter(enterprise_id__in=enterprise_ids[i : i + CHUNK])
        for pk, eid, year, *values in qs.values_list("pk", "enterprise_id", "year", *figure_cols):
            current[(eid, year)] = (pk, values)
    return current


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
    """Create or update one year's figures by bureau staff, audited. Values all unknown for a year without a row
    create nothing (no empty row)."""
    if not actor.can_edit_enterprises:
        raise PermissionDenied(_("无权修改年度数据"))
    with transaction.atomic():
        if all(v is None for v in values.values()) and not enterprise.figures.filter(year=year).exists():
            return {}
        figure, created = AnnualFigure.objects.select_for_update().get_or_create(enterprise=enterprise, year=year)
        old = {k: getattr(figure, k) for k in values}
        changes = audit.diff(old, values, values.keys())
        if not changes and not created:
            return {}
        for k, v in values.items():
            setattr(figure, k, v)
        figure.confirmed_by = actor
        figure.save()
        audit.record(
            actor=actor,
            action="figure.create" if created else "figure.update",
            obj=figure,
            enterprise=enterprise,
            changes=changes,
            note=f"{year}年度 {note}".strip(),
        )
        consequences.facts_changed(years=[year], actor=actor)
    return changes


def submit_figures(enterprise: Enterprise, year: int, values: dict, *, actor) -> FigureSubmission:
    """An enterprise user submits its own figures; they wait for bureau confirmation."""
    if not actor.can_submit_figures or actor.enterprise_id != enterprise.pk:
        raise PermissionDenied(_("只能填报本企业的数据"))
    data = {k: audit.jsonable(v) for k, v in values.items() if v is not None}
    if not data:
        raise ValidationError(_("没有要提交的数据：请至少填写一项"))
    with transaction.atomic():
        submission = FigureSubmission.objects.create(enterprise=enterprise, year=year, data=data, submitted_by=actor)
        audit.record(
            actor=actor, action="submission.create", obj=submission, enterprise=enterprise, note=f"提交{year}年度数据"
        )
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
        audit.record(
            actor=actor,
            action="submission.confirm" if approve else "submission.reject",
            obj=locked,
            enterprise=locked.enterprise,
            note=note,
        )
    return locked


def add_qualification(enterprise: Enterprise, values: dict, *, actor) -> Qualification:
    if not actor.can_edit_enterprises:
        raise PermissionDenied(_("无权修改企业资质"))
    with transaction.atomic():
        q = Qualification(enterprise=enterprise, **values)
        q.full_clean()
        q.save()
        audit.record(
            actor=actor,
            action="qualification.create",
            obj=q,
            enterprise=enterprise,
            changes={k: [None, audit.jsonable(v)] for k, v in values.items()},
        )
    return q
