"""Forms of the chains pages. Lists (codes, keywords, products) are typed one per line or separated by 、，；."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.core.forms import DateInput, Form, ModelForm
from kechuang.enterprises.models import Enterprise

from .models import Chain, Designation, RecruitmentTarget, Segment
from .services import split_words


class ChainForm(ModelForm):
    class Meta:
        model = Chain
        fields = ["code", "name", "zone", "description", "order"]
        help_texts = {"code": _("英文小写字母、数字、下划线或短横线，用于网址，如 air_conditioning")}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ListField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, (list, tuple)) else value

    def to_python(self, value):
        return split_words(super().to_python(value) or "")


class SegmentForm(Form):
    name = forms.CharField(label=_("环节名称"), max_length=64)
    position = forms.ChoiceField(label=_("位置"), choices=Segment.Position.choices)
    parent = forms.ModelChoiceField(
        label=_("上级环节"),
        queryset=Segment.objects.none(),
        required=False,
        empty_label=_("（无，直接挂在上/中/下游之下）"),
    )
    industry_codes = ListField(
        label=_("行业代码（GB/T 4754）"),
        required=False,
        help_text=_("每行一个，可填小类（4 位）、中类（3 位）或大类（2 位），如 3464"),
    )
    keywords = ListField(label=_("关键词"), required=False, help_text=_("每行一个，用于按企业名称与主营产品推荐"))
    products = ListField(label=_("主要产品"), required=False, help_text=_("每行一个"))
    supplies = forms.ModelMultipleChoiceField(
        label=_("供给的下游环节"),
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("本环节的产出是哪些环节的投入：用于计算缺链的依赖程度和链主的上下游"),
    )
    weight = forms.DecimalField(
        label=_("权重"),
        min_value=0.01,
        max_digits=6,
        decimal_places=2,
        initial=1,
        help_text=_("环节在全链中的分量，默认 1"),
    )
    order = forms.IntegerField(label=_("排序"), min_value=0, initial=0)

    def __init__(self, *args, chain: Chain, segment: Segment | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        others = chain.segments.exclude(pk=segment.pk) if segment else chain.segments.all()
        self.fields["parent"].queryset = others
        self.fields["supplies"].queryset = others


class PlacementAddForm(Form):
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=18)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def clean_uscc(self):
        uscc = self.cleaned_data["uscc"].strip().upper()
        enterprise = Enterprise.objects.filter(uscc=uscc).first()
        if enterprise is None:
            raise forms.ValidationError(_("企业库中没有统一社会信用代码为 %(u)s 的企业") % {"u": uscc})
        self.enterprise = enterprise
        return uscc


class DesignationForm(Form):
    uscc = forms.CharField(label=_("企业统一社会信用代码"), max_length=18)
    role = forms.ChoiceField(label=_("身份"), choices=Designation.Role.choices)
    designated_on = forms.DateField(label=_("认定日期"), widget=DateInput())
    document = forms.CharField(label=_("认定文件"), max_length=128, required=False)

    clean_uscc = PlacementAddForm.clean_uscc


class EndForm(Form):
    ends_on = forms.DateField(label=_("终止日期"), widget=DateInput())


class TargetForm(ModelForm):
    class Meta:
        model = RecruitmentTarget
        fields = ["segment", "company", "location", "products", "investment", "source", "contact", "owner", "next_step"]

    def __init__(self, *args, chain: Chain, **kwargs):
        super().__init__(*args, **kwargs)
        from kechuang.onestop.selectors import officials

        self.fields["segment"].queryset = chain.segments.all()
        self.fields["owner"].queryset = officials()
        self.fields["investment"].min_value = 0


class AdvanceForm(Form):
    status = forms.ChoiceField(label=_("变为"), choices=RecruitmentTarget.Status.choices)
    on = forms.DateField(label=_("日期"), widget=DateInput(), required=False)
    uscc = forms.CharField(label=_("落地企业统一社会信用代码"), max_length=18, required=False)
    reason = forms.CharField(label=_("终止原因"), max_length=200, required=False)

    def clean_uscc(self):
        uscc = (self.cleaned_data.get("uscc") or "").strip().upper()
        self.enterprise = None
        if uscc:
            self.enterprise = Enterprise.objects.filter(uscc=uscc).first()
            if self.enterprise is None:
                raise forms.ValidationError(_("企业库中没有统一社会信用代码为 %(u)s 的企业") % {"u": uscc})
        return uscc


class ProductForm(Form):
    products = forms.CharField(label=_("主营产品与经营范围"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    source = forms.CharField(
        label=_("来源"), max_length=64, required=False, help_text=_("如 营业执照经营范围、企业填报、走访了解")
    )
