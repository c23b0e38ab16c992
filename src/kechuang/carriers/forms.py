"""Forms of the carrier pages."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.accounts.models import Organisation
from kechuang.core.forms import DateInput, Form, ModelForm
from kechuang.engine.carriers.kpis import METRICS
from kechuang.enterprises.models import Enterprise

from .importing import parse_month
from .models import Carrier, Equipment, Exit, OffshoreProject, PilotService, Stage


class CarrierForm(ModelForm):
    class Meta:
        model = Carrier
        fields = [
            "name",
            "kind",
            "level",
            "status",
            "operator",
            "parent",
            "region",
            "city",
            "partner",
            "address",
            "area_m2",
            "opened_on",
            "mentors",
            "seed_fund",
            "description",
        ]
        widgets = {"opened_on": DateInput(), "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = Organisation.objects.filter(
            kind__in=[Organisation.Kind.OPERATOR, Organisation.Kind.RD_INSTITUTION, Organisation.Kind.INSTITUTION]
        )
        parents = Carrier.objects.all()
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["region"].queryset = self.fields["region"].queryset.filter(level__gte=2)
        for name in ("area_m2", "seed_fund"):
            self.fields[name].min_value = 0


class MonthField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_month(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class KpiForm(Form):
    month = MonthField(label=_("月份"), help_text=_("如 2026-05"), widget=forms.TextInput(attrs={"type": "month"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for m, (label, unit) in METRICS.items():
            if unit == "wan":
                self.fields[m] = forms.DecimalField(
                    label=f"{label}（万元）", required=False, min_value=0, max_digits=16, decimal_places=4
                )
            else:
                self.fields[m] = forms.IntegerField(label=label, required=False, min_value=0, max_value=10_000_000)


class ImportForm(Form):
    file = forms.FileField(label=_("月度指标文件（.xlsx 或 .csv）"))


class RankForm(Form):
    month = MonthField(label=_("月份"), widget=forms.TextInput(attrs={"type": "month"}))


class ApplicationForm(Form):
    """A firm applies for itself (its fields hidden); the bureau or an operator names a firm or a team."""

    carrier = forms.ModelChoiceField(label=_("申请入驻载体"), queryset=Carrier.objects.none())
    uscc = forms.CharField(
        label=_("申请企业统一社会信用代码"),
        max_length=18,
        required=False,
        help_text=_("企业申请填写；团队申请留空并填写团队名称"),
    )
    team_name = forms.CharField(label=_("团队名称"), max_length=128, required=False)
    institution = forms.ModelChoiceField(
        label=_("来源高校院所"),
        queryset=Organisation.objects.filter(
            kind__in=[Organisation.Kind.INSTITUTION, Organisation.Kind.RD_INSTITUTION]
        ),
        required=False,
    )
    overseas = forms.BooleanField(label=_("海外团队"), required=False)
    leader = forms.CharField(label=_("负责人"), max_length=64, required=False)
    field = forms.CharField(label=_("技术领域"), max_length=128, required=False)
    stage = forms.ChoiceField(label=_("申请阶段"), choices=Stage.choices)
    area_requested = forms.DecimalField(
        label=_("申请面积（平方米）"), required=False, min_value=1, max_digits=10, decimal_places=2
    )
    plan = forms.CharField(label=_("项目简介"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, carriers, own_firm: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier"].queryset = carriers
        self.own_firm = own_firm
        if own_firm:
            for name in ("uscc", "team_name", "institution", "overseas"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        self.enterprise = None
        if not self.own_firm:
            uscc = (data.get("uscc") or "").strip().upper()
            if uscc:
                self.enterprise = Enterprise.objects.filter(uscc=uscc).first()
                if self.enterprise is None:
                    self.add_error("uscc", _("企业库中没有统一社会信用代码为 %(u)s 的企业") % {"u": uscc})
        return data


class ReviewForm(Form):
    note = forms.CharField(label=_("审核意见"), max_length=300, required=False)


class SignForm(Form):
    signed_on = forms.DateField(label=_("签约日期"), widget=DateInput(), initial=dt.date.today)
    agreement_no = forms.CharField(label=_("协议编号"), max_length=64, required=False)
    area_allocated = forms.DecimalField(
        label=_("分配面积（平方米）"), required=False, min_value=0, max_digits=10, decimal_places=2
    )


class MoveInForm(Form):
    on = forms.DateField(label=_("入驻日期"), widget=DateInput(), initial=dt.date.today)


class StageForm(Form):
    stage = forms.ChoiceField(label=_("新阶段"), choices=Stage.choices)
    since = forms.DateField(label=_("起始日期"), widget=DateInput(), initial=dt.date.today)


class EndResidencyForm(Form):
    end = forms.DateField(label=_("离开日期"), widget=DateInput(), initial=dt.date.today)
    exit_kind = forms.ChoiceField(label=_("离开方式"), choices=Exit.choices)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class EquipmentForm(ModelForm):
    class Meta:
        model = Equipment
        fields = ["name", "model", "value", "status", "shared"]


class PilotServiceForm(ModelForm):
    uscc = forms.CharField(label=_("服务企业统一社会信用代码"), max_length=18, required=False)

    class Meta:
        model = PilotService
        fields = ["client", "equipment", "kind", "started_on", "ended_on", "fee", "outcome"]
        widgets = {"started_on": DateInput(), "ended_on": DateInput()}

    def __init__(self, *args, carrier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["equipment"].queryset = carrier.equipment.all()

    def clean_uscc(self):
        uscc = (self.cleaned_data.get("uscc") or "").strip().upper()
        self.enterprise = None
        if uscc:
            self.enterprise = Enterprise.objects.filter(uscc=uscc).first()
            if self.enterprise is None:
                raise forms.ValidationError(_("企业库中没有统一社会信用代码为 %(u)s 的企业") % {"u": uscc})
        return uscc


class OffshoreProjectForm(ModelForm):
    class Meta:
        model = OffshoreProject
        fields = ["name", "source", "field", "status", "started_on", "brought_in_on", "note"]
        widgets = {"started_on": DateInput(), "brought_in_on": DateInput()}
