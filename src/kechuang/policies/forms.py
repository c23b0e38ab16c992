from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.core import display
from kechuang.core.forms import DateInput, Form
from kechuang.rules.models import RuleVersion

from . import selectors
from .models import Policy


def _date(label, required=True):
    return forms.DateField(label=label, required=required, widget=DateInput())


class VersionForm(Form):
    effective_from = _date(_("生效日期"))
    effective_to = _date(_("失效日期"), required=False)
    source = forms.CharField(label=_("依据来源"), max_length=500, help_text=_("文件名称、文号或网址"))
    note = forms.CharField(label=_("修订说明"), max_length=500)
    draft = forms.BooleanField(label=_("存为草稿（先模拟，后发布）"), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end < start:
            self.add_error("effective_to", _("失效日期不能早于生效日期"))
        return data


class SimulationForm(Form):
    version = forms.ModelChoiceField(label=_("版本"), queryset=RuleVersion.objects.none())
    compare_to = forms.ModelChoiceField(label=_("对比版本"), queryset=RuleVersion.objects.none(), required=False)
    as_of = _date(_("测算基准日"))

    def __init__(self, *args, policy: Policy, **kwargs):
        super().__init__(*args, **kwargs)
        versions = selectors.versions(policy).order_by("-effective_from", "-pk")
        self.fields["version"].queryset = versions
        self.fields["compare_to"].queryset = versions
        label = lambda v: f"{display.since(v.effective_from)}（{v.get_status_display()}）{v.note}"  # noqa: E731
        self.fields["version"].label_from_instance = label
        self.fields["compare_to"].label_from_instance = label
        self.fields["as_of"].initial = timezone.localdate()


class EligibilityForm(Form):
    as_of = _date(_("评价基准日"))


class BatchForm(Form):
    year = forms.IntegerField(label=_("兑现年度"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("批次名称"), max_length=200, required=False)
    # A fresh value each time the form is shown: a repeated submit of the same form makes no second batch.
    submit_token = forms.UUIDField(required=False, widget=forms.HiddenInput)


class RefuseForm(Form):
    reason = forms.CharField(label=_("退回原因"), max_length=500)


class BankAccountForm(Form):
    account_name = forms.CharField(label=_("户名"), max_length=200)
    bank_name = forms.CharField(label=_("开户行"), max_length=200)
    account_number = forms.CharField(label=_("账号"), max_length=40)
