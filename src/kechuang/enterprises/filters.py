"""Search, filters and sorting of the enterprise list, shared by the page, the export and the API."""

from __future__ import annotations

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kechuang.carriers.models import Carrier, Residency
from kechuang.core.models import Industry, Region
from kechuang.engine import facts

SORTS = {
    "name": "name", "-name": "-name", "uscc": "uscc", "-uscc": "-uscc",
    "registered_on": "registered_on", "-registered_on": "-registered_on",
}


class EnterpriseFilter(forms.Form):
    q = forms.CharField(label=_("企业名称或统一社会信用代码"), required=False, max_length=100)
    region = forms.CharField(label=_("行政区划"), required=False, max_length=6)
    industry = forms.CharField(label=_("行业"), required=False, max_length=4)
    carrier = forms.ModelChoiceField(label=_("载体"), queryset=Carrier.objects.all(), required=False,
                                     empty_label=_("全部载体"))
    origin = forms.ChoiceField(label=_("来源"), required=False,
                               choices=[("", _("全部来源")), *facts.ORIGIN_LABELS.items()])
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=[(k, k) for k in SORTS])

    def apply(self, qs: QuerySet) -> QuerySet:
        if not self.is_valid():
            return qs.none()
        data = self.cleaned_data
        if data["q"]:
            text = data["q"].strip()
            qs = qs.filter(Q(name__icontains=text) | Q(uscc__istartswith=text.upper()))
        if data["region"]:
            # A city or province code matches every county below it (codes share their prefix).
            code = data["region"]
            region = Region.objects.filter(code=code).first()
            if region and region.level in (1, 2):
                prefix = code[: 2 * region.level]
                qs = qs.filter(region_id__in=list(Region.objects.filter(code__startswith=prefix)
                                                  .values_list("code", flat=True)))
            else:
                qs = qs.filter(region_id=code)
        if data["industry"]:
            code = data["industry"]
            if code.isalpha():  # a section (门类) letter
                qs = qs.filter(industry__section=code.upper())
            elif len(code) == 4:
                qs = qs.filter(industry_id=code)
            else:
                qs = qs.filter(industry_id__in=list(Industry.objects.filter(level=4, code__startswith=code)
                                                    .values_list("code", flat=True)))
        if data["carrier"]:
            qs = qs.filter(Exists(Residency.objects.filter(enterprise=OuterRef("pk"), carrier=data["carrier"])))
        if data["origin"]:
            qs = qs.filter(origin=data["origin"])
        return qs.order_by(SORTS.get(data.get("sort") or "name", "name"), "pk")
