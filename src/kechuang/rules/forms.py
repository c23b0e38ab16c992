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
