from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core.forms import DateInput, Form

from . import bands


class EvaluationForm(Form):
    as_of = forms.DateField(label=_("评价基准日"), widget=DateInput())
    local_set = forms.ChoiceField(label=_("地方规则"), required=False)

    def __init__(self, *args, variants: dict | None = None, **kwargs):
        # Empty = the region profile's variant per tier; a named variant applies to every tier that has it.
        super().__init__(*args, **kwargs)
        named = {v: label for options in (variants or {}).values() for v, label in options}
        self.fields["local_set"].choices = [("", _("按地区配置（默认）")), *named.items()]


class VoidRunForm(Form):
    reason = forms.CharField(
        label=_("作废原因"),
        max_length=500,
        error_messages={"required": _("请填写作废原因"), "max_length": _("作废原因不能超过 500 字")},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("请填写作废原因"))
        return reason


class ParameterVersionForm(Form):
    # One choice names the rule set and its parameter ("tech_sme:pass_score"), grouped by rule set: a
    # parameter cannot be paired with another rule set.
    parameter = forms.ChoiceField(label=_("参数"))
    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput())
    value = forms.CharField(
        label=_("新取值"),
        max_length=2000,
        required=False,
        help_text=_(
            "按下表“取值”列的格式填写：数字（比例填小数，10% 填 0.1）、true/false，或分档表（可复制现值后修改）"
        ),
    )
    source = forms.CharField(label=_("依据来源"), max_length=500, help_text=_("文件名称、文号或网址"))
    note = forms.CharField(label=_("说明"), max_length=500, required=False)

    def __init__(self, *args, rulesets=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Choosing a parameter reopens the form with its current value (a band table as rows) to edit.
        # (core/static/kechuang/app.js does it: the Content-Security-Policy allows no inline handler)
        self.fields["parameter"].widget.attrs.update({"data-reopen": "parameter", "data-reopen-anchor": "new-version"})
        self.fields["parameter"].choices = [("", _("请选择规则集中的参数"))] + [
            (r["name_zh"], [(f"{r['id']}:{p['path']}", p["label"]) for p in r["parameters"]]) for r in rulesets
        ]

    def clean_parameter(self) -> tuple[str, str]:
        """(rule set id, parameter name)."""
        ruleset, _sep, parameter = self.cleaned_data["parameter"].partition(":")
        return ruleset, parameter

    def clean_value(self):
        if bands.posted(self.data):  # the band-table editor's rows
            text, problem = bands.compose(self.data)
            if problem:
                raise forms.ValidationError(problem)
        else:
            text = self.cleaned_data["value"].strip()
            if not text:
                raise forms.ValidationError(_("请填写新取值"))
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise forms.ValidationError(
                _('取值须为数字、true/false 或分档表，例如 0.05、60 或 [{"min": 0.3, "points": 20}, {"points": 0}]')
            ) from None
