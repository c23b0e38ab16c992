"""Writes of the supply map and the needs, each with its audit event: achievements and an institution's records
(only by those who keep the institution), needs (by their firm, or by staff after a visit), disclosures of a
need's detail (by the firm or the bureau), and the staff's match feedback."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit

from . import supplyselectors as scope
from .supplymodels import (
    Achievement,
    ExpertFeedback,
    FirmFeedback,
    Institution,
    MatchFeedback,
    Need,
    NeedDisclosure,
    Person,
    Team,
)

ACHIEVEMENT_AUDITED = ("title", "kind", "trl", "price_min", "price_max", "legal_status", "patent_no", "modes")
NEED_AUDITED = ("title", "status", "budget_min", "budget_max", "deadline")


def _snapshot(obj, fields) -> dict:
    return {name: getattr(obj, name) for name in fields}


def save_achievement(*, user, form) -> Achievement:
    """Create or update an achievement from a valid AchievementForm, for an institution the user keeps."""
    institution = form.cleaned_data["institution"]
    if not scope.keeps(user, institution):
        raise PermissionDenied(_("只能维护本单位的科技成果"))
    obj = form.instance
    new = obj.pk is None
    before = {} if new else _snapshot(Achievement.objects.get(pk=obj.pk), ACHIEVEMENT_AUDITED)
    if not new and not scope.keeps(user, Achievement.objects.get(pk=obj.pk).institution):
        raise PermissionDenied(_("只能维护本单位的科技成果"))
    with transaction.atomic():
        if new:
            obj.created_by = user
        obj = form.save()
        after = _snapshot(obj, ACHIEVEMENT_AUDITED)
        audit.record(
            actor=user,
            action="achievement.create" if new else "achievement.update",
            obj=obj,
            changes=audit.diff(before, after, ACHIEVEMENT_AUDITED) if not new else {},
            note=f"{institution.name}：{obj.title}",
        )
    return obj


def save_record(*, user, institution: Institution, form):
    """A discipline, platform, team, person or technology manager of an institution the user keeps."""
    if not scope.keeps(user, institution):
        raise PermissionDenied(_("只能维护本单位的信息"))
    with transaction.atomic():
        obj = form.save(commit=False)
        obj.institution = institution
        obj.save()
        audit.record(
            actor=user,
            action="supply_record.save",
            obj=obj,
            note=f"{institution.name}：{obj._meta.verbose_name} {obj}",
        )
    return obj


def save_need(*, user, form, enterprise=None) -> Need:
    """A need posted or edited by its firm, or by staff (for the firm in the form, after a visit)."""
    need = form.instance
    new = need.pk is None
    if new:
        if scope.is_firm(user):
            need.enterprise_id, need.source = user.enterprise_id, Need.Source.FIRM
        elif user.is_bureau and enterprise is not None:
            need.enterprise, need.source = enterprise, Need.Source.VISIT
        else:
            raise PermissionDenied(_("无权发布技术需求"))
        need.posted_by = user
        before = {}
    else:
        stored = Need.objects.get(pk=need.pk)
        if not scope.can_edit_need(user, stored):
            raise PermissionDenied(_("只能修改本企业的技术需求"))
        before = _snapshot(stored, NEED_AUDITED)
    with transaction.atomic():
        need = form.save()
        audit.record(
            actor=user,
            action="need.create" if new else "need.update",
            obj=need,
            enterprise=need.enterprise,
            changes={} if new else audit.diff(before, _snapshot(need, NEED_AUDITED), NEED_AUDITED),
            note=f"{need.enterprise.name}：{need.title}（{need.get_source_display()}）",
        )
    return need


def disclose(*, user, need: Need, institution: Institution) -> NeedDisclosure:
    """The firm (or the bureau for it) lets an institution read the need's confidential detail."""
    if not scope.can_edit_need(user, need):
        raise PermissionDenied(_("只有发布需求的企业或科技局可以授权查看需求详情"))
    with transaction.atomic():
        grant, made = NeedDisclosure.objects.get_or_create(
            need=need, institution=institution, defaults={"granted_by": user}
        )
        if made:
            audit.record(
                actor=user,
                action="need.disclose",
                obj=need,
                enterprise=need.enterprise,
                note=f"{need.title}：授权 {institution.name} 查看需求详情",
            )
    return grant


def revoke(*, user, need: Need, institution: Institution) -> None:
    if not scope.can_edit_need(user, need):
        raise PermissionDenied(_("只有发布需求的企业或科技局可以撤销授权"))
    with transaction.atomic():
        deleted, _rows = NeedDisclosure.objects.filter(need=need, institution=institution).delete()
        if deleted:
            audit.record(
                actor=user,
                action="need.revoke",
                obj=need,
                enterprise=need.enterprise,
                note=f"{need.title}：撤销 {institution.name} 查看需求详情的授权",
            )


def feedback(*, user, need: Need, achievement: Achievement, action: str) -> MatchFeedback | None:
    """Pin or dismiss a match (kept, and replayed on every later ranking); "clear" forgets the feedback."""
    if not scope.can_give_feedback(user):
        raise PermissionDenied(_("只有科技局工作人员可以置顶或排除匹配"))
    if action not in (*MatchFeedback.Action.values, "clear"):
        raise ValidationError(_("未知的处理方式"))
    with transaction.atomic():
        if action == "clear":
            MatchFeedback.objects.filter(need=need, achievement=achievement).delete()
            kept = None
        else:
            kept, _made = MatchFeedback.objects.update_or_create(
                need=need, achievement=achievement, defaults={"action": action, "by": user, "at": timezone.now()}
            )
        audit.record(
            actor=user,
            action=f"match.{action}",
            obj=need,
            enterprise=need.enterprise,
            note=f"{need.title} ↔ {achievement.title}",
        )
    return kept


def _check_feedback(user, action: str) -> None:
    if not scope.can_give_feedback(user):
        raise PermissionDenied(_("只有科技局工作人员可以置顶或排除匹配"))
    if action not in (*MatchFeedback.Action.values, "clear"):
        raise ValidationError(_("未知的处理方式"))


def expert_feedback(*, user, need: Need, target: Team | Person, action: str) -> ExpertFeedback | None:
    """Pin or dismiss a team or a person matched to a need (kept and replayed on every later ranking)."""
    _check_feedback(user, action)
    kind = "team" if isinstance(target, Team) else "person"
    label = _("团队") if kind == "team" else _("专家")
    with transaction.atomic():
        if action == "clear":
            ExpertFeedback.objects.filter(need=need, **{kind: target}).delete()
            kept = None
        else:
            kept, _made = ExpertFeedback.objects.update_or_create(
                need=need, **{kind: target}, defaults={"action": action, "by": user, "at": timezone.now()}
            )
        audit.record(
            actor=user,
            action=f"match.{action}",
            obj=need,
            enterprise=need.enterprise,
            note=f"{need.title} ↔ {label} {target.name}（{target.institution.name}）",
        )
    return kept


def firm_feedback(*, user, achievement: Achievement, enterprise, action: str) -> FirmFeedback | None:
    """Pin or dismiss a firm matched to an achievement (kept and replayed on every later ranking)."""
    _check_feedback(user, action)
    with transaction.atomic():
        if action == "clear":
            FirmFeedback.objects.filter(achievement=achievement, enterprise=enterprise).delete()
            kept = None
        else:
            kept, _made = FirmFeedback.objects.update_or_create(
                achievement=achievement,
                enterprise=enterprise,
                defaults={"action": action, "by": user, "at": timezone.now()},
            )
        audit.record(
            actor=user,
            action=f"match.{action}",
            obj=achievement,
            enterprise=enterprise,
            note=f"{achievement.title} ↔ {enterprise.name}",
        )
    return kept
