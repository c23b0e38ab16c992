"""Forms for editing figures and profiles: fields come from the facts schema, errors in Chinese."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core.forms import DateInput, Form, ModelForm
from kechuang.engine import facts

from .models import Qualification


class FactsForm(Form):
    """Free-text inputs parsed with the same rules as an import, so a form and a file agree."""

    names: tuple[str, ...] = ()

    def __init__(self, *args, initial_values=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.names:
            column = facts.BY_NAME[name]
            label = facts.header_label(column)
            value = (initial_values or {}).get(name)
            if column.kind == facts.BOOL:
                field = forms.ChoiceField(
                    label=label, required=False, choices=[("", _("未知")), ("true", _("是")), ("false", _("否"))]
                )
                initial = "" if value is None else ("true" if value else "false")
            elif column.kind == facts.ENUM:
                labels = facts.enum_labels(column)
                field = forms.ChoiceField(
                    label=label,
                    required=False,
                    choices=[("", _("未知"))] + [(c, labels.get(c, c)) for c in column.choices],
                )
                initial = value or ""
            else:
                field = forms.CharField(label=label, required=False, max_length=64)
                initial = "" if value is None else value
            field.initial = initial
            self.fields[name] = field

    def clean(self):
        data = super().clean()
        self.values = {}
        for name in self.names:
            try:
                self.values[name] = facts.parse_value(facts.BY_NAME[name], data.get(name))
            except facts.CellError as exc:
                self.add_error(name, exc.message)
        return data


class FigureForm(FactsForm):
    names = facts.ANNUAL_NAMES
    year = forms.IntegerField(label=_("年度"), min_value=1990, max_value=2100)

    field_order = ["year"]


class ProfileForm(FactsForm):
    names = (
        "registered_on",
        "paid_in_capital",
        "hightech_field",
        "strategic_emerging",
        "niche_since",
        "listed",
        "valuation",
        "origin",
        "origin_institution",
    )
    name = forms.CharField(label=_("企业名称"), max_length=200)

    field_order = ["name"]


class QualificationForm(ModelForm):
    class Meta:
        model = Qualification
        fields = ["kind", "level", "title", "number", "issued_on", "expires_on"]
        widgets = {"issued_on": DateInput(), "expires_on": DateInput()}


class ImportForm(Form):
    file = forms.FileField(label=_("数据文件（.xlsx 或 .csv）"))
    dry_run = forms.BooleanField(label=_("仅预览校验，不写入"), required=False, initial=True)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("请上传 .xlsx 或 .csv 文件"))
        return upload
