"""Forms of brokering: opening a case, its moves (next stage, meeting, termination) and matchmaking events."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core.forms import DateInput, Form, ModelForm
from kechuang.enterprises.models import Enterprise

from .brokering import BrokerCase, MatchmakingEvent, Stage
from .models import TechContract
from .supplymodels import Achievement, Institution, Need, TechnologyManager

DATE = forms.DateInput(attrs={"type": "date"})


class _Firm(forms.CharField):
    """A firm by its USCC (统一社会信用代码): the firm list is too long for a drop-down."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        firm = Enterprise.objects.filter(uscc=value.strip().upper()).first()
        if firm is None:
            raise forms.ValidationError(_("没有统一社会信用代码为 %(u)s 的企业") % {"u": value})
        return firm


class CaseForm(Form):
    kind = forms.ChoiceField(label=_("案件类型"), choices=BrokerCase.Kind.choices)
    opened_on = forms.DateField(label=_("立案日期"), widget=DATE)
    need = forms.ModelChoiceField(
        label=_("技术需求"), queryset=Need.objects.select_related("enterprise"), required=False
    )
    achievement = forms.ModelChoiceField(
        label=_("科技成果编号"), queryset=Achievement.objects.all(), required=False, widget=forms.NumberInput
    )
    enterprise = _Firm(label=_("需求企业统一社会信用代码（专利转移）"), required=False, max_length=18)
    product = forms.CharField(label=_("应用产品"), required=False, max_length=128)
    seller_enterprise = _Firm(label=_("专利持有企业统一社会信用代码"), required=False, max_length=18)
    patent_no = forms.CharField(label=_("专利号"), required=False, max_length=32)
    patent_title = forms.CharField(label=_("专利名称"), required=False, max_length=200)
    event = forms.ModelChoiceField(label=_("来源对接活动"), queryset=MatchmakingEvent.objects.all(), required=False)

    def clean(self):
        data = super().clean()
        if data.get("kind") == BrokerCase.Kind.MATCH and not (data.get("need") and data.get("achievement")):
            raise forms.ValidationError(_("成果对接案件须选择技术需求和科技成果"))
        if data.get("kind") == BrokerCase.Kind.PATENT and not (data.get("need") or data.get("enterprise")):
            raise forms.ValidationError(_("企业间专利转移须选择技术需求或填写需求企业"))
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        need = d.get("need")
        kw = {
            "kind": d["kind"],
            "on": d["opened_on"],
            "enterprise": need.enterprise if need else d.get("enterprise"),
            "need": need,
            "achievement": d.get("achievement"),
            "product": d.get("product", ""),
            "event": d.get("event"),
        }
        if d["kind"] == BrokerCase.Kind.PATENT:
            kw.update(
                seller_enterprise=d.get("seller_enterprise"),
                patent_no=d.get("patent_no", "").strip().upper(),
                patent_title=d.get("patent_title", "").strip(),
            )
        return kw


class AdvanceForm(Form):
    """The next stage: its date and what it needs (the view shows the fields of that stage)."""

    on = forms.DateField(label=_("日期"), widget=DATE)
    buyer_consent_on = forms.DateField(label=_("需求方同意对接日期"), required=False, widget=DATE)
    seller_consent_on = forms.DateField(label=_("成果方同意对接日期"), required=False, widget=DATE)
    manager = forms.ModelChoiceField(
        label=_("技术经理人"), queryset=TechnologyManager.objects.select_related("institution"), required=False
    )
    meeting_notes = forms.CharField(label=_("首次洽谈纪要"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    contract = forms.ModelChoiceField(
        label=_("技术合同编号"),
        queryset=TechContract.objects.all(),
        to_field_name="contract_no",
        required=False,
        widget=forms.TextInput,
    )

    FIELDS = {
        Stage.INTRODUCED: ("on", "buyer_consent_on", "seller_consent_on"),
        Stage.ASSIGNED: ("on", "manager"),
        Stage.NEGOTIATING: ("on", "meeting_notes"),
        Stage.SIGNED: ("on", "contract"),
        Stage.REGISTERED: ("on", "contract"),
        Stage.CONVERTED: ("on",),
    }

    def __init__(self, *args, stage: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.stage = stage
        for name in list(self.fields):
            if name not in self.FIELDS.get(stage, ("on",)):
                del self.fields[name]

    def service_kwargs(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class CaseEditForm(ModelForm):
    """Correcting an open case: only the fields `brokerservices.editable_fields` allows for its stage are shown."""

    class Meta:
        model = BrokerCase
        fields = [
            "opened_on",
            "introduced_on",
            "assigned_on",
            "negotiating_on",
            "signed_on",
            "registered_on",
            "buyer_consent_on",
            "seller_consent_on",
            "manager",
            "product",
            "event",
            "buyer_contact",
            "seller_contact",
            "notes",
        ]
        widgets = {
            **{name: DateInput() for name in fields if name.endswith("_on")},
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, editable: tuple[str, ...], managers=None, **kwargs):
        """`managers`: those the user may assign (an institution user its own institution's)."""
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in editable:
                del self.fields[name]
            elif name.endswith("_on") or name == "manager":
                self.fields[name].required = True  # a reached stage keeps its date, an assigned case its manager
        if "manager" in self.fields:
            qs = managers if managers is not None else TechnologyManager.objects.all()
            self.fields["manager"].queryset = qs.select_related("institution")

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class MeetingForm(Form):
    on = forms.DateField(label=_("洽谈日期"), widget=DATE)
    notes = forms.CharField(label=_("洽谈纪要"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class TerminateForm(Form):
    on = forms.DateField(label=_("终止日期"), widget=DATE)
    reason = forms.CharField(label=_("终止原因"), max_length=300)


class EventForm(ModelForm):
    institutions = forms.ModelMultipleChoiceField(
        label=_("参会高校院所"), queryset=Institution.objects.all(), required=False
    )
    firms = forms.CharField(
        label=_("参会企业（统一社会信用代码，每行一个）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    class Meta:
        model = MatchmakingEvent
        fields = ["title", "kind", "held_on", "place", "institutions", "notes"]
        widgets = {"held_on": DATE, "notes": forms.Textarea(attrs={"rows": 3})}

    def clean_firms(self):
        codes = [c.strip().upper() for c in self.cleaned_data.get("firms", "").split() if c.strip()]
        found = dict(Enterprise.objects.filter(uscc__in=codes).values_list("uscc", "pk"))
        missing = [c for c in codes if c not in found]
        if missing:
            raise forms.ValidationError(
                _("第 %(row)s 行：没有统一社会信用代码为 %(u)s 的企业")
                % {"row": codes.index(missing[0]) + 1, "u": missing[0]}
            )
        return list(dict.fromkeys(found[c] for c in codes))

    def save(self, commit=True):
        event = super().save(commit=commit)
        if commit:
            event.enterprises.set(self.cleaned_data["firms"])
        return event
