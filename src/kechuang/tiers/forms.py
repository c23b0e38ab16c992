from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _


class EvaluationForm(forms.Form):
    as_of = forms.DateField(label=_("评价基准日"), widget=forms.DateInput(attrs={"type": "date"}))
    local_set = forms.ChoiceField(label=_("瞪羚地方规则"), required=False,
                                  choices=[("", _("广州黄埔（默认）")), ("jinan", _("济南"))])


class ParameterVersionForm(forms.Form):
    ruleset = forms.ChoiceField(label=_("规则集"))
    parameter = forms.CharField(label=_("参数"), max_length=128)
    effective_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.CharField(label=_("新取值"), max_length=2000,
                            help_text=_("数字（如 0.05）或 JSON（如分档表）"))
    source = forms.CharField(label=_("依据来源"), max_length=500, help_text=_("文件名称、文号或网址"))
    note = forms.CharField(label=_("说明"), max_length=500, required=False)

    def __init__(self, *args, rulesets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ruleset"].choices = [(r["id"], f"{r['name_zh']}（{r['id']}）") for r in rulesets]

    def clean_value(self):
        text = self.cleaned_data["value"].strip()
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise forms.ValidationError(_("取值须为数字或 JSON，例如 0.05、60 或 [[0.3, 20], [0.25, 16]]")) from None
