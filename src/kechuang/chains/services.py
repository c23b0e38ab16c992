"""Writes of the chains app: chains and segments, placements (engine suggestions, staff decisions), 链主/链核
designations, recruitment targets and firms' product descriptions.

Only the bureau writes here. Every write runs in one transaction with an audit event. The placement engine
decides what to suggest and why; a suggestion becomes a placement only when staff confirm it, and a rejected
suggestion is never suggested again (the rejection is remembered).
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.core.models import Industry
from kechuang.engine.chains import placement as placement_engine
from kechuang.engine.ruledata import RuleDataError
from kechuang.enterprises.models import Enterprise
from kechuang.rules import selectors as rules

from . import loaders, selectors
from .models import Chain, Designation, Placement, ProductProfile, RecruitmentTarget, Segment

PLACEMENT_RULE = ("chain_placement", "default")
CHAIN_FIELDS = ("code", "name", "zone", "description", "order")
SEGMENT_FIELDS = ("name", "position", "parent", "industry_codes", "keywords", "products", "weight", "order")
TARGET_FIELDS = ("segment", "company", "location", "products", "investment", "source", "contact", "owner", "next_step")
# Where a recruitment target may go next, and what each step needs.
TARGET_STEPS = {
    RecruitmentTarget.Status.LEAD: (
        RecruitmentTarget.Status.CONTACTED,
        RecruitmentTarget.Status.NEGOTIATING,
        RecruitmentTarget.Status.DROPPED,
    ),
    RecruitmentTarget.Status.CONTACTED: (
        RecruitmentTarget.Status.NEGOTIATING,
        RecruitmentTarget.Status.SIGNED,
        RecruitmentTarget.Status.DROPPED,
    ),
    RecruitmentTarget.Status.NEGOTIATING: (RecruitmentTarget.Status.SIGNED, RecruitmentTarget.Status.DROPPED),
    RecruitmentTarget.Status.SIGNED: (RecruitmentTarget.Status.ARRIVED, RecruitmentTarget.Status.DROPPED),
    RecruitmentTarget.Status.ARRIVED: (),
    RecruitmentTarget.Status.DROPPED: (),
}


def _require_bureau(user) -> None:
    if not selectors.can_edit_chains(user):
        raise PermissionDenied(_("只有科技局可以维护产业链"))


def split_words(text: str) -> list[str]:
    """Words typed one per line or separated by commas, 、 or ；, without duplicates."""
    return list(dict.fromkeys(w.strip() for w in re.split(r"[\n,，、;；]+", text or "") if w.strip()))


def check_codes(codes: list[str]) -> list[str]:
    """GB/T 4754 codes of 2, 3 or 4 digits that exist in the reference list (ValidationError in Chinese). A group
    (3 digits) is also known by its classes, as the curated reference list omits groups."""
    bad = [c for c in codes if not re.fullmatch(r"\d{2,4}", c)]
    if bad:
        raise ValidationError(_("行业代码应为 2 至 4 位数字（大类、中类或小类）：%(c)s") % {"c": "、".join(bad)})
    known = set(Industry.objects.filter(code__in=codes).values_list("code", flat=True))
    groups = {c for c in codes if len(c) == 3 and c not in known}
    if groups:
        classes = (
            Industry.objects.filter(level=4)
            .filter(Q.create([("code__startswith", g) for g in groups], connector=Q.OR))
            .values_list("code", flat=True)
        )
        known |= {code[:3] for code in classes}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationError(_("行业代码不存在（GB/T 4754-2017）：%(c)s") % {"c": "、".join(unknown)})
    return codes


# Words the chain pages use in their own addresses: a chain cannot be coded as one of them.
RESERVED_CODES = {"new", "targets", "designations", "leader", "mine", "products"}  # page addresses


def save_chain(*, user, data: dict, chain: Chain | None = None) -> Chain:
    _require_bureau(user)
    if data.get("code") in RESERVED_CODES:
        raise ValidationError(_("编码“%(c)s”为系统保留，请换一个") % {"c": data["code"]})
    with transaction.atomic():
        before = {f: getattr(chain, f) for f in CHAIN_FIELDS} if chain else {}
        obj = chain or Chain()
        for f in CHAIN_FIELDS:
            if f in data:
                setattr(obj, f, data[f])
        obj.full_clean()
        obj.save()
        audit.record(
            actor=user,
            action="chain.update" if chain else "chain.create",
            obj=obj,
            changes=audit.diff(before, {f: getattr(obj, f) for f in CHAIN_FIELDS}, CHAIN_FIELDS),
            note=obj.name,
        )
    return obj


def save_segment(*, user, chain: Chain, data: dict, segment: Segment | None = None, supplies=None) -> Segment:
    """Create or change a segment; `supplies` (segments of the same chain) replaces its supply links."""
    _require_bureau(user)
    check_codes(list(data.get("industry_codes") or []))
    parent = data.get("parent")
    if parent is not None:
        if parent.chain_id != chain.pk:
            raise ValidationError(_("上级环节须属于同一条产业链"))
        node = parent
        while node is not None:  # a segment cannot sit under itself or its own descendants
            if segment is not None and node.pk == segment.pk:
                raise ValidationError(_("上级环节不能是本环节或其下级环节"))
            node = node.parent
    supplies = list(supplies or [])
    if any(s.chain_id != chain.pk for s in supplies):
        raise ValidationError(_("只能供给同一条产业链的环节"))
    if segment is not None and any(s.pk == segment.pk for s in supplies):
        raise ValidationError(_("环节不能供给自己"))
    with transaction.atomic():
        before = {f: getattr(segment, f + "_id" if f == "parent" else f) for f in SEGMENT_FIELDS} if segment else {}
        obj = segment or Segment(chain=chain)
        for f in SEGMENT_FIELDS:
            if f in data:
                setattr(obj, f, data[f])
        duplicate = _("本产业链已有名为“%(n)s”的环节") % {"n": obj.name}
        if Segment.objects.filter(chain=chain, name=obj.name).exclude(pk=obj.pk).exists():
            raise ValidationError(duplicate)
        obj.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError:  # a second submit racing this one
            raise ValidationError(duplicate) from None
        obj.supplies.set(supplies)
        after = {f: getattr(obj, f + "_id" if f == "parent" else f) for f in SEGMENT_FIELDS}
        audit.record(
            actor=user,
            action="segment.save",
            obj=obj,
            changes=audit.diff(before, after, SEGMENT_FIELDS),
            note=f"{chain.name}·{obj.name}；供给：{'、'.join(s.name for s in supplies) or '无'}",
        )
    return obj


def delete_segment(*, user, segment: Segment) -> None:
    _require_bureau(user)
    if segment.targets.exists():
        raise ValidationError(_("该环节有招商线索，不能删除"))
    with transaction.atomic():
        audit.record(actor=user, action="segment.delete", obj=segment, note=f"{segment.chain.name}·{segment.name}")
        segment.delete()


def save_product_profile(*, user, enterprise, products: str, source: str = "") -> ProductProfile:
    _require_bureau(user)
    products = products.strip()
    if not products:
        raise ValidationError(_("请填写主营产品或经营范围"))
    with transaction.atomic():
        profile = ProductProfile.objects.filter(enterprise=enterprise).first()
        before = profile.products if profile else None
        profile = profile or ProductProfile(enterprise=enterprise)
        profile.products, profile.source = products[:4000], source.strip()[:64]
        profile.save()
        audit.record(
            actor=user,
            action="product_profile.save",
            obj=profile,
            enterprise=enterprise,
            changes={"products": [before, profile.products]} if before != profile.products else {},
        )
    return profile


# ---------------------------------------------------------------- placements


def suggest_placements(*, user, chain: Chain, as_of: dt.date | None = None) -> dict[str, int]:
    """Run the placement engine over the registry for every segment of the chain. New suggestions are added;
    a pending suggestion gets the fresh score and evidence (or is withdrawn when it no longer matches);
    confirmed and rejected placements are left as decided."""
    _require_bureau(user)
    as_of = as_of or timezone.localdate()
    try:
        doc = rules.rule_in_force(*PLACEMENT_RULE, as_of)
        params = rules.params(*PLACEMENT_RULE, as_of)
    except RuleDataError as exc:
        raise ValidationError(exc.message) from None
    segments = loaders.segment_frame(chain)
    firms = loaders.firm_frame()
    result = placement_engine.suggest(segments, firms, params)
    ids = dict(Enterprise.objects.values_list("uscc", "pk")) if result.height else {}
    codes = dict(firms.select("uscc", "industry_code").iter_rows())
    existing = {(p.segment_id, p.enterprise_id): p for p in Placement.objects.filter(segment__chain=chain)}
    now = timezone.now()
    new, updated, seen = [], [], set()
    for r in result.iter_rows(named=True):
        key = (r["segment_id"], ids[r["uscc"]])
        seen.add(key)
        evidence = {
            "code_level": r["code_level"],
            "matched_code": r["matched_code"],
            "industry_code": codes.get(r["uscc"]),
            "terms": list(r["terms"]),
        }
        found = existing.get(key)
        if found is None:
            new.append(
                Placement(
                    segment_id=key[0],
                    enterprise_id=key[1],
                    score=r["score"],
                    evidence=evidence,
                    rule_key=doc.key,
                    suggested_at=now,
                )
            )
        elif found.status == Placement.Status.SUGGESTED:
            found.score, found.evidence, found.rule_key, found.suggested_at = r["score"], evidence, doc.key, now
            updated.append(found)
    stale = [p.pk for key, p in existing.items() if p.status == Placement.Status.SUGGESTED and key not in seen]
    with transaction.atomic():
        Placement.objects.bulk_create(new, batch_size=1000)
        Placement.objects.bulk_update(updated, ["score", "evidence", "rule_key", "suggested_at"], batch_size=1000)
        Placement.objects.filter(pk__in=stale).delete()
        audit.record(
            actor=user,
            action="placement.suggest",
            obj=chain,
            note=f"{chain.name}：新推荐 {len(new)} 家次，更新 {len(updated)}，撤回 {len(stale)}（{doc.key}）",
        )
    return {"new": len(new), "updated": len(updated), "withdrawn": len(stale)}


def reason_text(placement: Placement) -> str:
    """Why the engine suggested a placement, told again from its stored evidence."""
    ev = placement.evidence or {}
    if ev.get("manual"):
        return _("工作人员手工添加")
    names = dict(
        Industry.objects.filter(
            code__in=[c for c in (ev.get("industry_code"), ev.get("matched_code")) if c]
        ).values_list("code", "name")
    )
    return placement_engine.reason({**ev, "score": placement.score}, names)


def decide(*, user, placements, confirm: bool, note: str = "") -> int:
    """Confirm or reject suggestions (or undo a decision). Returns how many changed. One UPDATE and one batch of
    audit events, whatever the number of placements."""
    _require_bureau(user)
    status = Placement.Status.CONFIRMED if confirm else Placement.Status.REJECTED
    changed = [p.pk for p in placements if p.status != status]
    if not changed:
        return 0
    now = timezone.now()
    rows = Placement.objects.filter(pk__in=changed).values_list(
        "pk", "status", "enterprise_id", "segment__name", "segment__chain__name"
    )
    events = []
    for pk, before, enterprise_id, segment, chain in rows:
        event = audit.event(
            actor=user,
            action="placement.confirm" if confirm else "placement.reject",
            obj=Placement(pk=pk),
            changes={"status": [before, status]},
            note=f"{chain}·{segment}" + (f"；{note}" if note else ""),
        )
        event.enterprise_id = enterprise_id
        events.append(event)
    with transaction.atomic():
        Placement.objects.filter(pk__in=changed).update(status=status, decided_by=user, decided_at=now, note=note[:200])
        audit.record_many(events)
    changed_set = set(changed)
    for p in placements:
        if p.pk in changed_set:
            p.status, p.decided_by, p.decided_at, p.note = status, user, now, note[:200]
    return len(changed)


def add_placement(*, user, segment: Segment, enterprise, note: str = "") -> Placement:
    """Staff place a firm on a segment by hand (confirmed at once)."""
    _require_bureau(user)
    with transaction.atomic():
        placement, created = Placement.objects.get_or_create(
            segment=segment,
            enterprise=enterprise,
            defaults={
                "status": Placement.Status.CONFIRMED,
                "evidence": {"manual": True},
                "decided_by": user,
                "decided_at": timezone.now(),
                "note": note[:200],
            },
        )
        if not created:
            if placement.status == Placement.Status.CONFIRMED:
                raise ValidationError(_("%(e)s 已在该环节") % {"e": enterprise.name})
            decide(user=user, placements=[placement], confirm=True, note=note)
            placement.refresh_from_db()
        else:
            audit.record(
                actor=user,
                action="placement.add",
                obj=placement,
                enterprise=enterprise,
                note=f"{segment.chain.name}·{segment.name}",
            )
    return placement


# ---------------------------------------------------------------- designations


def designate(
    *,
    user,
    chain: Chain,
    enterprise,
    role: str,
    designated_on: dt.date,
    document: str = "",
    ends_on: dt.date | None = None,
) -> Designation:
    _require_bureau(user)
    if role not in Designation.Role.values:
        raise ValidationError(_("请选择链主或链核"))
    if ends_on is not None and ends_on <= designated_on:
        raise ValidationError(_("终止日期须晚于认定日期"))
    overlapping = Designation.objects.filter(chain=chain, enterprise=enterprise).filter(
        models_overlap(designated_on, ends_on)
    )
    if overlapping.exists():
        raise ValidationError(_("%(e)s 在该期间已有本产业链的链主/链核认定") % {"e": enterprise.name})
    if role == Designation.Role.LEADER:
        leaders = Designation.objects.filter(chain=chain, role=role).filter(models_overlap(designated_on, ends_on))
        if leaders.exists():
            raise ValidationError(
                _("%(c)s 在该期间已有链主（%(e)s），请先终止其认定")
                % {"c": chain.name, "e": leaders.first().enterprise.name}
            )
    with transaction.atomic():
        obj = Designation.objects.create(
            chain=chain,
            enterprise=enterprise,
            role=role,
            designated_on=designated_on,
            ends_on=ends_on,
            document=document.strip()[:128],
            created_by=user,
        )
        audit.record(
            actor=user,
            action="designation.save",
            obj=obj,
            enterprise=enterprise,
            note=f"{chain.name} {obj.get_role_display()}，自 {designated_on:%Y-%m-%d} 起"
            + (f"（{obj.document}）" if obj.document else ""),
        )
    return obj


def models_overlap(start: dt.date, end: dt.date | None) -> Q:
    """Q for designations whose [designated_on, ends_on) overlaps [start, end)."""
    q = Q(ends_on__isnull=True) | Q(ends_on__gt=start)
    if end is not None:
        q &= Q(designated_on__lt=end)
    return q


def end_designation(*, user, designation: Designation, ends_on: dt.date) -> Designation:
    _require_bureau(user)
    if designation.ends_on is not None:
        raise ValidationError(_("该认定已于 %(d)s 终止") % {"d": f"{designation.ends_on:%Y-%m-%d}"})
    if ends_on <= designation.designated_on:
        raise ValidationError(_("终止日期须晚于认定日期 %(d)s") % {"d": f"{designation.designated_on:%Y-%m-%d}"})
    with transaction.atomic():
        designation.ends_on = ends_on
        designation.save(update_fields=["ends_on"])
        audit.record(
            actor=user,
            action="designation.end",
            obj=designation,
            enterprise=designation.enterprise,
            changes={"ends_on": [None, ends_on.isoformat()]},
        )
    return designation


# ---------------------------------------------------------------- recruitment targets


def save_target(*, user, chain: Chain, data: dict, target: RecruitmentTarget | None = None) -> RecruitmentTarget:
    _require_bureau(user)
    segment = data.get("segment")
    if segment is None or segment.chain_id != chain.pk:
        raise ValidationError(_("请选择本产业链的一个环节"))
    if not (data.get("company") or "").strip():
        raise ValidationError(_("请填写目标企业名称"))
    with transaction.atomic():
        before = (
            {f: getattr(target, f + "_id" if f in ("segment", "owner") else f) for f in TARGET_FIELDS} if target else {}
        )
        obj = target or RecruitmentTarget(chain=chain, created_by=user)
        for f in TARGET_FIELDS:
            if f in data:
                setattr(obj, f, data[f].strip() if isinstance(data[f], str) else data[f])
        obj.full_clean()
        obj.save()
        after = {f: getattr(obj, f + "_id" if f in ("segment", "owner") else f) for f in TARGET_FIELDS}
        audit.record(
            actor=user,
            action="target.save",
            obj=obj,
            changes=audit.diff(before, after, TARGET_FIELDS),
            note=f"{chain.name}·{segment.name}：{obj.company}",
        )
    return obj


def advance_target(
    *, user, target: RecruitmentTarget, status: str, on: dt.date | None = None, enterprise=None, reason: str = ""
) -> RecruitmentTarget:
    """Move a target along lead → contacted → negotiating → signed → arrived (or dropped), with its dates."""
    _require_bureau(user)
    allowed = TARGET_STEPS[target.status]
    if status not in allowed:
        labels = "、".join(str(RecruitmentTarget.Status(s).label) for s in allowed) or _("无")
        raise ValidationError(_("线索当前为“%(s)s”，只能变为：%(a)s") % {"s": target.get_status_display(), "a": labels})
    if status in (RecruitmentTarget.Status.SIGNED, RecruitmentTarget.Status.ARRIVED) and on is None:
        raise ValidationError(_("请填写日期"))
    if status == RecruitmentTarget.Status.ARRIVED and target.signed_on and on < target.signed_on:
        raise ValidationError(_("落地日期不能早于签约日期 %(d)s") % {"d": f"{target.signed_on:%Y-%m-%d}"})
    if status == RecruitmentTarget.Status.DROPPED and not reason.strip():
        raise ValidationError(_("请填写终止原因"))
    with transaction.atomic():
        before = target.status
        target.status = status
        if status == RecruitmentTarget.Status.SIGNED:
            target.signed_on = on
        if status == RecruitmentTarget.Status.ARRIVED:
            target.arrived_on, target.enterprise = on, enterprise
        if status == RecruitmentTarget.Status.DROPPED:
            target.dropped_reason = reason.strip()[:200]
        target.save()
        audit.record(
            actor=user,
            action="target.status",
            obj=target,
            changes={"status": [before, status]},
            note=f"{target.company}" + (f" {on:%Y-%m-%d}" if on else "") + (f"；{reason}" if reason else ""),
        )
    return target
