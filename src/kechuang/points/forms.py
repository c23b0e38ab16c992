"""Forms of the points pages: leaderboard filters, starting a run, alert handling, a bureau scheme version,
a bureau version of the alert rules."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from kechuang.carriers.models import Carrier
from kechuang.core.forms import DateInput, Form
from kechuang.tiers.models import TIER_LABELS

FILTER_KEYS = ("stage", "industry", "region", "carrier", "tier", "list", "q")


class LeaderboardFilter(Form):
    q = forms.CharField(label=_("企业名称或信用代码"), required=False, max_length=100)
    stage = forms.CharField(label=_("阶段"), required=False, max_length=32)
    industry = forms.CharField(label=_("行业"), required=False, max_length=4)
    region = forms.CharField(label=_("行政区划"), required=False, max_length=6)
    carrier = forms.CharField(label=_("载体"), required=False, max_length=128)
    tier = forms.ChoiceField(label=_("梯队"), required=False, choices=[("", _("全部梯队")), *TIER_LABELS.items()])
    list = forms.CharField(label=_("榜单"), required=False, max_length=32)

    def filters(self) -> dict:
        """The cleaned filters ({} when invalid input: the page then shows everything it may)."""
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None, False)}

    @staticmethod
    def carriers():
        return Carrier.objects.order_by("name").values_list("name", flat=True)


class ScoringForm(Form):
    year = forms.IntegerField(label=_("积分年度"), min_value=1990, max_value=2100)
    scheme_id = forms.CharField(label=_("积分方案"), max_length=64, initial="core18")
    as_of = forms.DateField(label=_("基准日（默认该年 12 月 31 日）"), required=False, widget=DateInput())


class SchemeVersionForm(Form):
    """One weight field per stage × weighted indicator, and min/score per band of each banded indicator."""

    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput())
    note = forms.CharField(label=_("调整说明（依据或原因）"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.scheme = scheme
        self.initial.setdefault("effective_from", dt.date.today())
        self.weight_rows = []
        for ind in scheme.indicators:
            if ind.kind != "weighted":
                continue
            cells = []
            for st in scheme.stage_ids:
                name = f"w__{st}__{ind.id}"
                self.fields[name] = forms.DecimalField(
                    label=f"{ind.label}（{scheme.stage_labels[st]}）",
                    min_value=0,
                    max_digits=6,
                    decimal_places=2,
                )
                self.initial.setdefault(name, scheme.weights[st][ind.id])
                cells.append(name)
            self.weight_rows.append((ind, cells))
        self.band_rows = []
        for ind in scheme.indicators:
            if ind.normalise.method != "bands":
                continue
            bands = []
            for j, band in enumerate(ind.normalise.bands):
                lo = f"b__{ind.id}__{j}__min"
                sc = f"b__{ind.id}__{j}__score"
                if band.min is not None:
                    self.fields[lo] = forms.DecimalField(label=_("下限"), max_digits=14, decimal_places=4)
                    self.initial.setdefault(lo, band.min)
                self.fields[sc] = forms.DecimalField(label=_("得分率"), max_digits=6, decimal_places=4)
                self.initial.setdefault(sc, band.score)
                bands.append((lo if band.min is not None else None, sc))
            self.band_rows.append((ind, bands))
        self.stage_totals = []

    def bound(self, name):
        return self[name] if name else None

    def weights(self) -> dict:
        data = self.cleaned_data
        return {
            st: {ind.id: data[f"w__{st}__{ind.id}"] for ind, _cells in self.weight_rows} for st in self.scheme.stage_ids
        }

    def bands(self) -> dict:
        data = self.cleaned_data
        return {ind.id: [(data[lo] if lo else None, data[sc]) for lo, sc in rows] for ind, rows in self.band_rows}


class AlertRulesForm(Form):
    """A dated version of the monitoring alert rules: the rule set as YAML (validated by the service)."""

    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput())
    source = forms.CharField(label=_("依据来源"), max_length=500, help_text=_("文件名称、文号、会议纪要或网址"))
    note = forms.CharField(label=_("调整说明"), max_length=500, required=False)
    content = forms.CharField(
        label=_("预警规则（YAML）"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "spellcheck": "false"}),
        help_text=_("已按现行规则预填；所列顶层项（name、params、rules）整体替换现行版本的对应项"),
    )
