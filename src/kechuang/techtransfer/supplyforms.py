"""Forms of the supply map and the needs (no admin site needed): Chinese messages for the rules the models hold
(TRL 1–9, a price or budget range whose low end is not above its high end, a deadline not already past)."""

from __future__ import annotations

import re

from django import forms
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.chains.models import Chain, Segment
from kechuang.core.forms import DateInput, Form, ModelForm
from kechuang.enterprises.models import Enterprise

from .supplymodels import (
    TRL_MAX,
    TRL_MIN,
    Achievement,
    Discipline,
    Institution,
    Need,
    Person,
    Platform,
    Team,
    TechnologyManager,
)

IPC_SUBCLASS = re.compile(r"^[A-H][0-9]{2}[A-Z]$")
PATENT_NO = re.compile(r"^[A-Z]{2}[0-9A-Z.]{3,28}$")  # CN112345678A, CN201510012345.6, US10123456B2
SPLIT = re.compile(r"[\s,，;；、/]+")


def parse_ipc(text: str) -> tuple[list[str], list[str]]:
    """IPC text (H01M、C01B or full symbols such as H01M 10/052) → (distinct subclasses, unreadable pieces)."""
    found, bad = [], []
    for piece in SPLIT.split((text or "").upper()):
        if not piece:
            continue
        sub = piece[:4]
        if IPC_SUBCLASS.match(sub):
            if sub not in found:
                found.append(sub)
        elif not re.fullmatch(r"[0-9]{1,4}|[0-9]{1,4}/[0-9]{1,6}", piece):  # the group part of "H01M 10/052"
            bad.append(piece)
    return found, bad


class IpcField(forms.CharField):
    def prepare_value(self, value):
        return "、".join(value) if isinstance(value, (list, tuple)) else value

    def to_python(self, value):
        found, bad = parse_ipc(super().to_python(value) or "")
        if bad:
            raise forms.ValidationError(_("IPC 分类“%(v)s”无法识别，应为小类（如 H01M）") % {"v": "、".join(bad[:3])})
        return found


def _range(form, low: str, high: str, message) -> None:
    data = form.cleaned_data
    if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
        form.add_error(high, message)


class AchievementForm(ModelForm):
    ipc = IpcField(label=_("IPC 分类（小类）"), required=False, help_text=_("多个用顿号或逗号分隔，如 H01M、C01B"))
    modes = forms.MultipleChoiceField(
        label=_("转化方式"),
        choices=Achievement.Mode.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    trl = forms.IntegerField(
        label=_("技术成熟度（TRL）"),
        error_messages={
            "min_value": _("技术成熟度应为 1–9 级"),
            "max_value": _("技术成熟度应为 1–9 级"),
            "invalid": _("技术成熟度应为 1–9 的整数"),
        },
        min_value=TRL_MIN,
        max_value=TRL_MAX,
    )

    class Meta:
        model = Achievement
        fields = [
            "institution",
            "kind",
            "title",
            "summary",
            "field",
            "chain",
            "segment",
            "discipline",
            "team",
            "ipc",
            "patent_no",
            "holder",
            "legal_status",
            "expires_on",
            "trl",
            "modes",
            "price_min",
            "price_max",
            "manager",
        ]
        widgets = {"summary": forms.Textarea(attrs={"rows": 4}), "expires_on": DateInput()}

    def __init__(self, *args, institutions=None, **kwargs):
        """`institutions`: those the user keeps; one institution is fixed (an institution user's own)."""
        super().__init__(*args, **kwargs)
        qs = institutions if institutions is not None else Institution.objects.all()
        self.fields["institution"].queryset = qs
        if qs.count() == 1:
            self.fields["institution"].initial = qs.first().pk
        ids = list(qs.values_list("pk", flat=True))
        self.fields["discipline"].queryset = Discipline.objects.filter(institution_id__in=ids)
        self.fields["team"].queryset = Team.objects.filter(institution_id__in=ids)
        self.fields["chain"].queryset = Chain.objects.all()
        self.fields["segment"].queryset = Segment.objects.select_related("chain")
        self.fields["manager"].queryset = TechnologyManager.objects.select_related("institution")
        for name in ("price_min", "price_max"):
            self.fields[name].validators.append(MinValueValidator(0, _("金额不能为负数")))
        self.initial.setdefault("modes", self.instance.modes if self.instance.pk else [])

    def clean_patent_no(self):
        value = (self.cleaned_data.get("patent_no") or "").strip().upper().replace(" ", "")
        if value and not PATENT_NO.match(value):
            raise forms.ValidationError(_("专利公开号应为国家代码加号码，如 CN112345678A"))
        return value or None

    def clean(self):
        data = super().clean()
        _range(self, "price_min", "price_max", _("报价上限不能低于报价下限"))
        institution = data.get("institution")
        for name in ("discipline", "team"):
            value = data.get(name)
            if value is not None and institution is not None and value.institution_id != institution.pk:
                self.add_error(name, _("须属于所选机构"))
        return data


class NeedForm(ModelForm):
    """A need as its firm posts it; staff posting after a visit also pick the firm (`enterprise_uscc`)."""

    enterprise_uscc = forms.CharField(label=_("企业统一社会信用代码"), max_length=18, required=False)

    class Meta:
        model = Need
        fields = ["title", "summary", "detail", "budget_min", "budget_max", "deadline", "field", "chain", "status"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "detail": forms.Textarea(attrs={"rows": 5}),
            "deadline": DateInput(),
        }
        help_texts = {
            "summary": _("对外公开：请勿写入商业秘密"),
            "detail": _("仅科技局和您授权的高校院所可见"),
        }

    def __init__(self, *args, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = staff
        self.enterprise = None
        if not staff or self.instance.pk:
            del self.fields["enterprise_uscc"]
        else:
            self.fields["enterprise_uscc"].required = True
        if not self.instance.pk:
            del self.fields["status"]  # a new need is open
        for name in ("budget_min", "budget_max"):
            self.fields[name].validators.append(MinValueValidator(0, _("金额不能为负数")))
        self.fields["chain"].queryset = Chain.objects.all()

    def clean_enterprise_uscc(self):
        uscc = self.cleaned_data["enterprise_uscc"].strip().upper()
        self.enterprise = Enterprise.objects.filter(uscc=uscc).first()
        if self.enterprise is None:
            raise forms.ValidationError(_("企业库中没有该统一社会信用代码的企业"))
        return uscc

    def clean_deadline(self):
        deadline = self.cleaned_data.get("deadline")
        # Only a new need: an old one keeps the deadline it had, even once it has passed.
        if deadline and not self.instance.pk and deadline < timezone.localdate():
            raise forms.ValidationError(_("截止日期不能早于今天"))
        return deadline

    def clean(self):
        data = super().clean()
        _range(self, "budget_min", "budget_max", _("预算上限不能低于预算下限"))
        return data


class DisclosureForm(Form):
    institution = forms.ModelChoiceField(label=_("授权查看详情的机构"), queryset=Institution.objects.all())


class InstitutionForm(ModelForm):
    class Meta:
        model = Institution
        fields = ["name", "kind", "region", "uscc", "organisation", "summary"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}


class _RecordForm(ModelForm):
    """A record of one institution: its team and discipline choices are the institution's own."""

    def __init__(self, *args, institution: Institution, **kwargs):
        super().__init__(*args, **kwargs)
        self.institution = institution
        if "discipline" in self.fields:
            self.fields["discipline"].queryset = institution.disciplines.all()
        if "team" in self.fields:
            self.fields["team"].queryset = institution.teams.all()


class DisciplineForm(_RecordForm):
    class Meta:
        model = Discipline
        fields = ["name", "level", "field"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if self.institution.disciplines.filter(name=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("本机构已有同名学科"))
        return name


class PlatformForm(_RecordForm):
    class Meta:
        model = Platform
        fields = ["name", "kind", "level", "field"]


class TeamForm(_RecordForm):
    class Meta:
        model = Team
        fields = ["name", "leader", "discipline", "field", "members", "directions"]


class PersonForm(_RecordForm):
    class Meta:
        model = Person
        fields = ["name", "title", "team", "field", "directions", "contact", "profile_shown", "contact_shown"]


class ManagerForm(_RecordForm):
    class Meta:
        model = TechnologyManager
        fields = ["name", "agency", "certificate", "phone", "phone_shown"]


# The records an institution keeps on its detail page: kind → (form, Chinese name).
RECORD_FORMS = {
    "discipline": (DisciplineForm, _("重点学科")),
    "platform": (PlatformForm, _("科研平台")),
    "team": (TeamForm, _("科研团队")),
    "person": (PersonForm, _("科研人员")),
    "manager": (ManagerForm, _("技术经理人")),
}
