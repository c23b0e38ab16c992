"""Forms of the points pages: leaderboard filters, starting a run, alert handling, a bureau scheme version,
a bureau version of the alert rules."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.carriers.models import Carrier
from kechuang.core.forms import DateInput, Form
from kechuang.engine import labels
from kechuang.engine.points import alerts
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
        self.initial.setdefault("effective_from", timezone.localdate())
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
    """The dated, sourced part of a new version of the alert rules; the rules come from the editor below."""

    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput())
    source = forms.CharField(label=_("依据来源"), max_length=500, help_text=_("文件名称、文号、会议纪要或网址"))
    note = forms.CharField(label=_("调整说明"), max_length=500, required=False)


# ---------------------------------------------------------------- the alert-rule editor (inputs, never YAML)

CONDITIONS_PER_RULE = 3  # inputs drawn per rule: a rule with more conditions gets one empty row more


def field_choices() -> list[tuple[str, str]]:
    """Every field a rule may read, by its Chinese label (the code after it, as staff meet it in exports)."""
    return sorted(((f, f"{labels.label(f)}") for f in alerts.known_fields()), key=lambda c: c[1])


def _shown(field: str, value) -> str:
    """A threshold as typed in the form: shares and growth rates in %, other numbers as they are."""
    if value is None:
        return ""
    number = Decimal(str(value)) * (100 if labels.unit(field) == "%" else 1)
    return format(number.normalize(), "f")


def alert_rule_rows(doc, posted=None) -> list[dict]:
    """The rules of `doc` as editor rows (the posted inputs again after an error), plus one empty rule."""
    if posted is not None:
        count = int(posted.get("rule-count") or 0)
        return [_posted_row(posted, i) for i in range(count)]
    rows = []
    for i, rule in enumerate([*doc.rules, None]):
        conds = [{"field": c.field, "op": c.op, "value": _shown(c.field, c.value)} for c in (rule.when if rule else ())]
        conds += [{"field": "", "op": "", "value": ""}] * max(1, CONDITIONS_PER_RULE - len(conds))
        rows.append(
            {
                "index": i,
                "id": rule.id if rule else "",
                "label": rule.label if rule else "",
                "severity": rule.severity if rule else "warning",
                "message": rule.message if rule else "",
                "conditions": conds,
                "delete": False,
            }
        )
    return rows


def _posted_row(posted, i: int) -> dict:
    p = f"rule-{i}-"
    conds = [
        {
            "field": posted.get(f"{p}c{j}-field", ""),
            "op": posted.get(f"{p}c{j}-op", ""),
            "value": posted.get(f"{p}c{j}-value", ""),
        }
        for j in range(int(posted.get(f"{p}conditions") or 0))
    ]
    return {
        "index": i,
        "id": posted.get(f"{p}id", ""),
        "label": posted.get(f"{p}label", ""),
        "severity": posted.get(f"{p}severity", ""),
        "message": posted.get(f"{p}message", ""),
        "conditions": conds,
        "delete": bool(posted.get(f"{p}delete")),
    }


def read_alert_rules(posted) -> list[dict]:
    """The rules the editor posted, shaped as the rule file writes them; ValidationError names the rule and
    the input in Chinese. A rule marked 删除 and an untouched empty rule are left out; a new rule gets an id
    and, when its message is empty, one built from its conditions."""
    rules, errors, ids = [], [], set()
    for row in (_posted_row(posted, i) for i in range(int(posted.get("rule-count") or 0))):
        label = row["label"].strip()
        conds = [c for c in row["conditions"] if c["field"] or c["value"].strip()]
        if row["delete"] or (not row["id"] and not label and not conds and not row["message"].strip()):
            continue
        name = label or f"第 {row['index'] + 1} 条规则"
        when = []
        for j, c in enumerate(conds, start=1):
            if c["field"] not in alerts.known_fields():
                errors.append(f"{name}：第 {j} 个条件请选择字段")
                continue
            if c["op"] not in alerts.OPS:
                errors.append(f"{name}：第 {j} 个条件请选择比较方式")
                continue
            cond = {"field": c["field"], "op": c["op"]}
            if c["op"] not in ("is_true", "is_false"):
                try:
                    value = Decimal(c["value"].strip().rstrip("%"))
                except InvalidOperation:
                    errors.append(f"{name}：第 {j} 个条件的比较值应为数字，现为“{c['value']}”")
                    continue
                scale = 100 if labels.unit(c["field"]) == "%" and c["op"] != "within_months" else 1
                cond["value"] = float(value / scale)
            when.append(cond)
        rid = row["id"] or _new_id(label, ids)
        ids.add(rid)
        message = row["message"].strip() or _message(label, when)
        rules.append({"id": rid, "label": label, "severity": row["severity"], "when": when, "message": message})
    if errors:
        raise ValidationError(errors)
    return rules


def _new_id(label: str, taken: set) -> str:
    n = len(taken) + 1
    while f"rule_{n}" in taken:
        n += 1
    return f"rule_{n}"


def _message(label: str, when: list[dict]) -> str:
    """A message for a new rule: its name, then each field it reads with its value of the year."""
    units = {"%": "percent", "万元": "wan"}
    parts = [
        f"{labels.label(c['field'])} {{{c['field']}:{units.get(labels.unit(c['field']), 'number')}}}"
        for c in when
        if c["op"] != "within_months"
    ]
    parts += [f"{labels.label(c['field'])} {{{c['field']}:date}}" for c in when if c["op"] == "within_months"]
    return f"{label}：" + "，".join(parts)
