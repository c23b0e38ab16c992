"""Forms of the one-stop service and 包联 pages."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core.forms import DateInput, Form
from kechuang.engine.onestop.routing import CATEGORIES
from kechuang.enterprises.models import Enterprise

from .models import Visit


class UsccField(forms.CharField):
    """A firm by its credit code (the form's `enterprise` after cleaning)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("企业统一社会信用代码"))
        kwargs.setdefault("max_length", 18)
        super().__init__(**kwargs)

    def clean(self, value):
        uscc = (super().clean(value) or "").strip().upper()
        if not uscc:
            return None
        enterprise = Enterprise.objects.filter(uscc=uscc).first()
        if enterprise is None:
            raise forms.ValidationError(_("企业库中没有统一社会信用代码为 %(u)s 的企业") % {"u": uscc})
        return enterprise


class RequestForm(Form):
    enterprise = UsccField()
    category = forms.ChoiceField(label=_("事项类别"), choices=list(CATEGORIES.items()))
    title = forms.CharField(label=_("事项"), max_length=128)
    detail = forms.CharField(label=_("具体需求"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, own_firm: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if own_firm:
            del self.fields["enterprise"]


class AcceptForm(Form):
    on = forms.DateField(label=_("受理日期"), widget=DateInput(), initial=dt.date.today)


class CompleteForm(Form):
    result = forms.CharField(label=_("办理结果"), widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(Form):
    reason = forms.CharField(label=_("不予受理理由"), max_length=300)


class RateForm(Form):
    rating = forms.TypedChoiceField(label=_("满意度"), coerce=int, choices=[(i, "★" * i) for i in range(5, 0, -1)])
    comment = forms.CharField(label=_("评价意见"), max_length=300, required=False)


class RerouteForm(Form):
    office = forms.ModelChoiceField(label=_("转至"), queryset=None)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices


class AssignForm(Form):
    official = forms.ModelChoiceField(label=_("包联干部"), queryset=None)
    enterprise = UsccField()
    since = forms.DateField(label=_("起始日期"), widget=DateInput(), initial=dt.date.today)

    def __init__(self, *args, officials, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["official"].queryset = officials


class VisitForm(Form):
    enterprise = UsccField()
    visited_on = forms.DateField(label=_("走访日期"), widget=DateInput(), initial=dt.date.today)
    kind = forms.ChoiceField(label=_("方式"), choices=Visit.Kind.choices)
    notes = forms.CharField(label=_("走访记录"), widget=forms.Textarea(attrs={"rows": 4}))
    follow_up = forms.CharField(label=_("待办事项"), max_length=300, required=False)
    follow_up_due = forms.DateField(label=_("待办期限"), widget=DateInput(), required=False)
