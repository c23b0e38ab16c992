"""The audit log page's filters: which recorded changes a bureau admin is looking for."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import (
    ACTION_LABELS,
    SECURITY_ACTION_LABELS,
    SECURITY_PREFIXES,
    action_label,
    changes_text,
    object_type_label,
)
from .excel import write_xlsx
from .exports import in_chunks
from .forms import DateInput, Form
from .models import AuditEvent


def _date(label):
    return forms.DateField(label=label, required=False, widget=DateInput())


class AuditFilter(Form):
    q = forms.CharField(
        label=_("企业或说明"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "size": 24, "placeholder": _("企业名称、统一社会信用代码或说明")}
        ),
    )
    action = forms.ChoiceField(
        label=_("操作"),
        required=False,
        choices=[("", _("全部操作")), *sorted(ACTION_LABELS.items(), key=lambda kv: kv[0])],
    )
    actor = forms.ModelChoiceField(
        label=_("操作人"),
        required=False,
        empty_label=_("全部操作人"),
        queryset=get_user_model().objects.order_by("username"),
    )
    address = forms.GenericIPAddressField(label=_("来源地址"), required=False)
    start = _date(_("起始日期"))
    end = _date(_("截止日期"))

    def __init__(self, *args, security: bool = False, **kwargs):
        """`security`: the audit admin's filters also offer the security actions (sign-in, accounts, tokens)."""
        super().__init__(*args, **kwargs)
        labels = (
            ACTION_LABELS if security else {k: v for k, v in ACTION_LABELS.items() if k not in SECURITY_ACTION_LABELS}
        )
        self.fields["action"].choices = [("", _("全部操作")), *sorted(labels.items(), key=lambda kv: kv[0])]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("起始日期不能晚于截止日期"))
        return data

    def apply(self, qs: QuerySet) -> QuerySet:
        """The events the filters select, newest first; none when a filter is invalid."""
        if not self.is_valid():
            return qs.none()
        data = self.cleaned_data
        if data["q"]:
            text = data["q"].strip()
            qs = qs.filter(
                Q(enterprise__name__icontains=text)
                | Q(enterprise__uscc__startswith=text.upper())
                | Q(note__icontains=text)
                | Q(object_id=text)
            )
        if data["action"]:
            qs = qs.filter(action=data["action"])
        if data["actor"]:
            qs = qs.filter(actor=data["actor"])
        if data["address"]:
            qs = qs.filter(address=data["address"])
        if data["start"]:
            qs = qs.filter(at__date__gte=data["start"])
        if data["end"]:
            qs = qs.filter(at__date__lte=data["end"])
        return qs.order_by("-at", "-id")


def events_for(user) -> QuerySet:
    """The audit admin reads every event; a bureau admin the business events (not sign-ins, accounts, tokens
    or the log itself: those are reviewed by the audit admin, 三员分立); nobody else any."""
    qs = AuditEvent.objects.select_related("actor", "enterprise")
    if user.is_audit_admin:
        return qs
    if user.can_read_audit:
        security = Q()
        for prefix in SECURITY_PREFIXES:
            security |= Q(action__startswith=prefix)
        return qs.exclude(security)
    return qs.none()


AUDIT_HEADER = [
    "时间",
    "操作人",
    "操作",
    "对象类型",
    "对象",
    "企业",
    "统一社会信用代码",
    "变更（原值 → 新值）",
    "说明",
    "操作人账号",
    "来源地址",
    "记录编号",
    "记录哈希",
]


def export_rows(events):
    """The rows of an audit export, read in chunks (an export may hold up to 100,000 events)."""
    for e in in_chunks(events):
        yield [
            timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
            str(e.actor or _("系统")),
            action_label(e.action),
            object_type_label(e.object_type),
            e.object_id,
            e.enterprise.name if e.enterprise else "",
            e.enterprise.uscc if e.enterprise else "",
            changes_text(e.object_type, e.changes),
            e.note,
            e.actor_name,
            e.address or "",
            e.pk,
            e.hash,
        ]


def write_export(path, *, progress, user_id: int, query: str) -> int:
    """The background audit export (core.exports): the log as its user filtered it, with what that user may read."""
    user = get_user_model().objects.get(pk=user_id)
    events = AuditFilter(QueryDict(query), security=user.is_audit_admin).apply(events_for(user))
    return write_xlsx(path, "操作日志", AUDIT_HEADER, export_rows(events), progress, events.count())
