"""Forms of the contract register: recording a contract (Chinese messages), the clerk's decision, statistics."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.core.forms import Form
from kechuang.engine import facts
from kechuang.engine.techtransfer.contracts import rules_on

from .selectors import DIMENSIONS, PERIODS

REGION_SHAPE = re.compile(r"^[0-9]{6}$")
MONEY = {"max_digits": 18, "decimal_places": 4, "min_value": 0}


def _types():
    return [(t.id, t.name) for t in rules_on(timezone.localdate()).types]


class ContractForm(Form):
    contract_no = forms.CharField(label=_("合同编号"), max_length=64)
    project = forms.CharField(label=_("项目名称"), max_length=128)
    type = forms.ChoiceField(label=_("合同类型"), choices=_types)
    seller_name = forms.CharField(label=_("卖方名称"), max_length=128)
    seller_uscc = forms.CharField(label=_("卖方统一社会信用代码"), max_length=18)
    seller_region = forms.CharField(label=_("卖方行政区划代码"), max_length=6, required=False)
    buyer_name = forms.CharField(label=_("买方名称"), max_length=128)
    buyer_uscc = forms.CharField(
        label=_("买方统一社会信用代码"),
        max_length=18,
        required=False,
        help_text=_("境内买方必填；境外买方填国家或地区代码"),
    )
    buyer_country = forms.CharField(
        label=_("买方国家或地区代码"),
        max_length=3,
        required=False,
        help_text=_("境外买方填 ISO 代码，如 DE、USA；境内留空"),
    )
    buyer_region = forms.CharField(label=_("买方行政区划代码"), max_length=6, required=False)
    signed_on = forms.DateField(label=_("签订日期"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(label=_("有效期至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    total_amount = forms.DecimalField(label=_("合同成交额（万元）"), **MONEY)
    non_tech_amount = forms.DecimalField(
        label=_("非技术性款项（万元）"),
        required=False,
        **MONEY,
        help_text=_("设备、仪器、零部件、原材料等非技术性款项"),
    )
    written = forms.BooleanField(label=_("书面合同"), required=False, initial=True)

    def _shape(self, name: str, pattern: re.Pattern, message: str) -> str:
        value = self.cleaned_data[name].strip().upper()
        if value and not pattern.match(value):
            raise forms.ValidationError(message)
        return value

    def _uscc(self, name: str) -> str:
        """Checked as the registry checks it (length, characters, check digit): a code that would only be refused
        at the decision as 当事人不明确 is refused here, where it can be corrected."""
        value = facts.compact_uscc(self.cleaned_data[name])
        problem = value and facts.uscc_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value

    def clean_seller_uscc(self):
        return self._uscc("seller_uscc")

    def clean_buyer_uscc(self):
        return self._uscc("buyer_uscc")

    def clean_seller_region(self):
        return self._shape("seller_region", REGION_SHAPE, _("行政区划代码应为 6 位数字"))

    def clean_buyer_region(self):
        return self._shape("buyer_region", REGION_SHAPE, _("行政区划代码应为 6 位数字"))

    def clean(self):
        data = super().clean()
        signed, valid = data.get("signed_on"), data.get("valid_to")
        if signed and valid and valid < signed:
            self.add_error("valid_to", _("有效期至不能早于签订日期"))
        if not (data.get("buyer_uscc") or data.get("buyer_country")):
            self.add_error("buyer_uscc", _("境内买方请填写统一社会信用代码；境外买方请填写国家或地区代码"))
        return data


class DecisionForm(Form):
    refuse_reason = forms.CharField(
        label=_("未予登记的理由"),
        max_length=200,
        required=False,
        help_text=_(
            "仅在认定意见为予以登记、但合同有其他不予登记的情形时填写（如含有限制技术竞争的条款、印章与名称不符）"
        ),
    )


class StatisticsForm(Form):
    by = forms.ChoiceField(label=_("统计维度"), choices=list(DIMENSIONS.items()), required=False)
    period = forms.ChoiceField(label=_("时间口径"), choices=list(PERIODS.items()), required=False)
    start = forms.DateField(label=_("认定日期自"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
