from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core.forms import DateInput, Form


class VersionForm(Form):
    """The dated, sourced part of a new parameter version; the value itself comes from the typed editor."""

    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput())
    source = forms.CharField(
        label=_("依据来源"), max_length=500, help_text=_("文件名称、文号或网址，例如 晋政办发〔2023〕95号")
    )
    note = forms.CharField(
        label=_("调整原因"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RegionProfileForm(Form):
    """The region profile: name and code, a local variant per tier that has alternatives, products, waivers."""

    name = forms.CharField(
        label=_("地区名称"), max_length=64, error_messages={"required": _("请填写地区名称")}, help_text=_("如 太原市")
    )
    code = forms.CharField(
        label=_("行政区划代码"),
        max_length=6,
        error_messages={"required": _("请填写行政区划代码"), "max_length": _("行政区划代码应为 6 位数字")},
        help_text=_("6 位数字，如太原市 140100"),
    )
    products = forms.MultipleChoiceField(
        label=_("本地区提供并推荐的金融产品"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("请至少选择一个本地区提供的金融产品"),
            "invalid_choice": _("没有这个金融产品：%(value)s"),
        },
        help_text=_("诊断书与排行榜只展示这里选中的产品"),
    )
    waivers = forms.MultipleChoiceField(
        label=_("适用的减免政策"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("政策库中没有这项政策：%(value)s")},
        help_text=_("如积分领先企业免担保费；排行榜的积分应用说明据此列出"),
    )

    def __init__(self, *args, variants=None, products=(), waivers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.tier_fields = []
        for tier, options in (variants or {}).items():
            field_name = f"variant_{tier}"
            self.fields[field_name] = forms.ChoiceField(
                label=_("%(t)s地方规则") % {"t": options[0][1].split("（")[0]},
                choices=options,
                error_messages={"invalid_choice": _("没有这个地方规则：%(value)s"), "required": _("请选择地方规则")},
            )
            self.tier_fields.append((tier, field_name))
        self.fields["products"].choices = list(products)
        self.fields["waivers"].choices = list(waivers)

    def clean_code(self):
        from .region import CODE, code_problem

        code = self.cleaned_data["code"].strip()
        if not CODE.match(code):
            raise forms.ValidationError(code_problem(code))
        return code

    def tier_variants(self) -> dict[str, str]:
        return {tier: self.cleaned_data[name] for tier, name in self.tier_fields}
