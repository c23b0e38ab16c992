"""The policy version editor: conditions, amounts, caps, limits and budgets as inputs, never YAML.

Policy:
- A condition is one row: a Chinese label and one or more alternatives joined by 或, each a field (picked by its
  Chinese label), a comparison in words (不小于、大于、为是、已填写 …) and a number (shares and growth rates typed
  in %, money in 万元) — what every shipped condition is. A condition written otherwise (in a rule file by a
  developer) is shown in words and kept as it is, or removed; it is never turned into text to edit.
- Amounts, caps, limits and budgets are numbers in 万元; rates are typed in %.
- `rows(version_data)` gives what the template draws; `read(posted)` gives the version's editable keys back
  (`facts_year`, `eligibility`, `benefit`, `limits`, `budget`), or a ValidationError naming each input in
  Chinese. The engine validates the result again when the service saves it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kechuang.engine import labels
from kechuang.engine.conditions import ConditionError, parse
from kechuang.engine.labels import TIER_NAMES
from kechuang.engine.policies.conditions import known_fields

# Comparisons a row offers, as the condition language writes them and as a reader says them.
OPS = {
    ">=": "不小于",
    ">": "大于",
    "<=": "不大于",
    "<": "小于",
    "==": "等于",
    "!=": "不等于",
    "true": "为“是”",
    "false": "为“否”",
    "known": "已填写",
    "unknown": "未填写",
}
ALTERNATIVES = 2  # alternatives drawn per condition row (或)
BLANK_CONDITIONS = 2  # empty rows for new conditions
BLANK_ROWS = 2  # empty rows for bands, caps and budget years
YEAR = "year"  # the one name a value may be: the payout year (高企 certificate issued "that year")
KINDS = {"fixed": "固定金额", "rate": "按比例", "bands": "分档", "range": "区间内取值"}
ALLOCATIONS = {"pro_rata": "按比例压减", "ranking": "按排序择优"}
_HIDDEN = {"has_year_row"}
MAX_NUMBER = Decimal(10) ** 12  # no amount, count or share typed here comes near it: larger is a typing error


def field_choices() -> list[tuple[str, str]]:
    """Every name a condition may read, by its Chinese label: facts, derived values, inputs, tier results."""
    names = (known_fields() - _HIDDEN) | {f"tier.{t}" for t in TIER_NAMES}
    return sorted(((n, labels.label(n)) for n in names), key=lambda c: c[1])


def money_choices() -> list[tuple[str, str]]:
    """Money columns an amount can be computed from (万元)."""
    return [(n, lbl) for n, lbl in field_choices() if labels.unit(n) == "万元"]


def _percent(field: str) -> bool:
    return labels.unit(field) == "%"


def _shown(value, scale: int = 1) -> str:
    if value is None or value == "":
        return ""
    return format((Decimal(str(value)) * scale).normalize(), "f")


# ---------------------------------------------------------------- conditions ⇄ rows


def _atom(node) -> dict | None:
    """A condition node as one alternative {field, op, value}, or None when it is not that simple."""
    if node.kind == "name":
        return {"field": node.value, "op": "true", "value": ""}
    if node.kind == "not" and node.args[0].kind == "name":
        return {"field": node.args[0].value, "op": "false", "value": ""}
    if node.kind == "isnull" and node.args[0].kind == "name":
        return {"field": node.args[0].value, "op": "known" if node.value else "unknown", "value": ""}
    if node.kind == "binary" and node.value in OPS and node.args[0].kind == "name":
        left, right = node.args
        if right.kind == "num":
            return {
                "field": left.value,
                "op": node.value,
                "value": _shown(right.value, 100 if _percent(left.value) else 1),
            }
        if right.kind == "name" and right.value == YEAR:
            return {"field": left.value, "op": node.value, "value": _("兑现年度")}
    return None


def _alternatives(node) -> list[dict] | None:
    if node.kind == "or":
        left, right = _alternatives(node.args[0]), _alternatives(node.args[1])
        return left + right if left is not None and right is not None else None
    atom = _atom(node)
    return [atom] if atom is not None else None


def condition_rows(eligibility: list[dict]) -> list[dict]:
    rows = []
    for i, cond in enumerate(eligibility):
        try:
            alts = _alternatives(parse(cond["when"]))
        except ConditionError:
            alts = None
        row = {
            "index": i,
            "id": cond["id"],
            "label": cond.get("label", ""),
            "kept": alts is None,
            "when": cond["when"],
            "words": words(cond["when"]),
            "delete": False,
        }
        if alts is not None:
            row["alternatives"] = alts + [{"field": "", "op": "", "value": ""}] * max(1, ALTERNATIVES - len(alts))
        rows.append(row)
    for j in range(BLANK_CONDITIONS):
        rows.append(
            {
                "index": len(eligibility) + j,
                "id": "",
                "label": "",
                "kept": False,
                "when": "",
                "words": "",
                "delete": False,
                "alternatives": [{"field": "", "op": "", "value": ""}] * ALTERNATIVES,
            }
        )
    return rows


def words(text: str) -> str:
    """A condition in words: its names by their Chinese labels (`valley_resident or age_years <= 3` →
    入驻晋创谷等创新谷区 或 企业年龄 ≤ 3)."""
    out = re.sub(r"\btier\.(\w+)", lambda m: labels.label(f"tier.{m.group(1)}"), text)
    out = re.sub(
        r"\b([a-z][a-z0-9_]*)\b",
        lambda m: {"or": "或", "and": "且", "not": "非", "is": "", "null": "为空", "year": "兑现年度"}.get(
            m.group(1), labels.label(m.group(1))
        ),
        out,
    )
    for op, shown in ((">=", "≥"), ("<=", "≤"), ("==", "="), ("!=", "≠")):
        out = out.replace(op, shown)
    return re.sub(r"\s+", " ", out.replace(" 非 为空", " 已填写")).strip()


def _when(alts: list[dict]) -> str:
    parts = []
    for a in alts:
        f, op = a["field"], a["op"]
        if op == "true":
            parts.append(f)
        elif op == "false":
            parts.append(f"not {f}")
        elif op in ("known", "unknown"):
            parts.append(f"{f} is {'not ' if op == 'known' else ''}null")
        else:
            parts.append(f"{f} {op} {a['value']}")
    return " or ".join(parts)


# ---------------------------------------------------------------- the whole version ⇄ the editor


def rows(data: dict) -> dict:
    benefit = data.get("benefit") or {}
    limits = data.get("limits") or {}
    budget = data.get("budget") or {}
    allocation = budget.get("allocation") or {}
    bands = [
        {
            "from": _shown(b.get("from")),
            "to": _shown(b.get("to")),
            "amount": _shown(b.get("amount")),
            "rate": _shown(b.get("rate"), 100),
        }
        for b in benefit.get("bands") or []
    ]
    caps = [
        {
            "id": c.get("id", ""),
            "label": c.get("label", ""),
            "amount": _shown(c.get("amount")),
            "rate": _shown(c.get("rate"), 100),
            "of": c.get("of", ""),
        }
        for c in benefit.get("caps") or []
    ]
    years = [
        {"year": str(y), "amount": _shown(a)}
        for y, a in sorted((budget.get("by_year") or {}).items(), key=lambda ya: int(ya[0]))
    ]
    blank = {"from": "", "to": "", "amount": "", "rate": "", "id": "", "label": "", "of": "", "year": ""}
    return {
        "facts_year": data.get("facts_year", "last"),
        "conditions": condition_rows(data.get("eligibility") or []),
        "benefit": {
            "kind": benefit.get("kind", "fixed"),
            "amount": _shown(benefit.get("amount")),
            "base": benefit.get("base", ""),
            "rate": _shown(benefit.get("rate"), 100),
            "min": _shown(benefit.get("min")),
            "max": _shown(benefit.get("max")),
            "pick": benefit.get("pick", "highest"),
            "below_min": benefit.get("below_min", "reject"),
            "bands": bands + [dict(blank)] * BLANK_ROWS,
            "caps": caps + [dict(blank)] * BLANK_ROWS,
        },
        "limits": {
            "one_off": bool(limits.get("one_off")),
            "per_firm": _shown(limits.get("per_firm")),
            "per_year": _shown(limits.get("per_year")),
        },
        "budget": {
            "years": years + [dict(blank)] * BLANK_ROWS,
            "method": allocation.get("method", "pro_rata"),
            "rank_by": allocation.get("rank_by", ""),
            "order": allocation.get("order", "desc"),
            "partial": allocation.get("partial", True),
        },
    }


class _Reader:
    """Reads the posted inputs, collecting every problem as a Chinese message naming the input."""

    def __init__(self, posted):
        self.posted = posted
        self.errors: list[str] = []

    def text(self, name: str) -> str:
        return (self.posted.get(name) or "").strip()

    def number(self, name: str, what: str, *, scale: int = 1, required: bool = False):
        text = self.text(name).replace(",", "").rstrip("%")
        if not text:
            if required:
                self.errors.append(_("请填写%(w)s") % {"w": what})
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            self.errors.append(_("%(w)s应为数字，现为“%(v)s”") % {"w": what, "v": self.text(name)})
            return None
        if not value.is_finite() or abs(value) >= MAX_NUMBER:
            self.errors.append(_("%(w)s应为有限的数字") % {"w": what})
            return None
        value /= scale
        return int(value) if value == value.to_integral_value() else float(value)

    def count(self, prefix: str) -> int:
        return int(self.text(f"{prefix}-count") or 0)


def _conditions(r: _Reader) -> list[dict]:
    fields, out, ids = known_fields() | {f"tier.{t}" for t in TIER_NAMES}, [], set()
    for i in range(r.count("cond")):
        p = f"cond-{i}-"
        label, cid = r.text(f"{p}label"), r.text(f"{p}id")
        if r.text(f"{p}delete"):
            continue
        if r.text(f"{p}kept"):
            out.append({"id": cid, "label": label, "when": r.text(f"{p}when")})
            ids.add(cid)
            continue
        name = label or _("第 %(n)s 个条件") % {"n": i + 1}
        alts = []
        for j in range(int(r.text(f"{p}alts") or 0)):
            a = {"field": r.text(f"{p}a{j}-field"), "op": r.text(f"{p}a{j}-op"), "value": r.text(f"{p}a{j}-value")}
            if not a["field"] and not a["op"] and not a["value"]:
                continue
            if a["field"] not in fields:
                r.errors.append(_("%(c)s：请选择字段") % {"c": name})
                continue
            if a["op"] not in OPS:
                r.errors.append(_("%(c)s：请选择比较方式") % {"c": name})
                continue
            if a["op"] in (">=", ">", "<=", "<", "==", "!="):
                if a["value"] in (YEAR, _("兑现年度")):
                    a["value"] = YEAR
                else:
                    value = r.number(
                        f"{p}a{j}-value",
                        _("%(c)s的比较值") % {"c": name},
                        required=True,
                        scale=100 if _percent(a["field"]) else 1,
                    )
                    if value is None:
                        continue
                    a["value"] = repr(value)
            alts.append(a)
        if not alts and not cid and not label:
            continue  # an untouched empty row
        if not alts:
            r.errors.append(_("%(c)s：至少需要一个条件") % {"c": name})
            continue
        if not label:
            r.errors.append(_("第 %(n)s 个条件：请填写名称（申报人看到的说法）") % {"n": i + 1})
            continue
        cid = cid or _new_id(ids)
        ids.add(cid)
        out.append({"id": cid, "label": label, "when": _when(alts)})
    if not out:
        r.errors.append(_("至少需要一个认定条件"))
    return out


def _new_id(taken: set[str]) -> str:
    n = len(taken) + 1
    while f"condition_{n}" in taken:
        n += 1
    return f"condition_{n}"


def _benefit(r: _Reader) -> dict:  # noqa: C901
    kind = r.text("kind")
    if kind not in KINDS:
        r.errors.append(_("请选择兑现金额的计算方式"))
        return {}
    out: dict = {"kind": kind}
    if kind == "fixed":
        out["amount"] = r.number("amount", _("固定金额（万元）"), required=True)
    if kind in ("rate", "bands"):
        base = r.text("base")
        if base not in dict(money_choices()):
            r.errors.append(_("请选择计算基数"))
        out["base"] = base
    if kind == "rate":
        out["rate"] = r.number("rate", _("比例（%）"), scale=100, required=True)
    if kind == "bands":
        out["bands"] = []
        for i in range(r.count("band")):
            p, where = f"band-{i}-", _("第 %(n)s 档") % {"n": i + 1}
            band = {
                k: r.number(f"{p}{k}", f"{where}{w}")
                for k, w in (("from", _("下限")), ("to", _("上限")), ("amount", _("金额")))
            }
            band["rate"] = r.number(f"{p}rate", f"{where}{_('比例')}", scale=100)
            band = {k: v for k, v in band.items() if v is not None}
            if band:
                out["bands"].append(band)
        if not out["bands"]:
            r.errors.append(_("分档计算至少需要一档"))
    if kind == "range":
        out["min"] = r.number("min", _("最低金额（万元）"), required=True)
        out["max"] = r.number("max", _("最高金额（万元）"), required=True)
        out["pick"] = r.text("pick") or "highest"
        out["below_min"] = r.text("below_min") or "reject"
    elif r.text("min"):
        out["min"] = r.number("min", _("最低金额（万元）"))
    caps = []
    for i in range(r.count("cap")):
        p, where = f"cap-{i}-", _("第 %(n)s 项上限") % {"n": i + 1}
        label, amount = r.text(f"{p}label"), r.number(f"{p}amount", f"{where}{_('金额')}")
        rate, of = r.number(f"{p}rate", f"{where}{_('比例')}", scale=100), r.text(f"{p}of")
        if not label and amount is None and rate is None:
            continue
        cap = {"id": r.text(f"{p}id") or f"cap_{i + 1}", "label": label or where}
        if amount is not None:
            cap["amount"] = amount
        else:
            cap.update(rate=rate, of=of)
        caps.append(cap)
    if caps:
        out["caps"] = caps
    return {k: v for k, v in out.items() if v is not None}


def _limits(r: _Reader) -> dict:
    out = {"one_off": True} if r.text("one_off") else {}
    for key, what in (("per_firm", _("每户累计上限（万元）")), ("per_year", _("每户每年上限（万元）"))):
        value = r.number(key, what)
        if value is not None:
            out[key] = value
    return out


def _budget(r: _Reader) -> dict:
    years = {}
    for i in range(r.count("year")):
        year, amount = (
            r.text(f"year-{i}-year"),
            r.number(f"year-{i}-amount", _("%(y)s 年预算") % {"y": r.text(f"year-{i}-year") or "—"}),
        )
        if not year and amount is None:
            continue
        if not year.isdigit() or not 2000 <= int(year) <= 2100:
            r.errors.append(_("预算年度应为四位年份，现为“%(y)s”") % {"y": year})
            continue
        if amount is None:
            r.errors.append(_("请填写 %(y)s 年预算金额（万元）") % {"y": year})
            continue
        if int(year) in years:
            r.errors.append(_("%(y)s 年的预算填写了两次") % {"y": year})
        years[int(year)] = amount
    if not years:
        return {}
    allocation = {"method": r.text("method") or "pro_rata"}
    if allocation["method"] == "ranking":
        allocation.update(rank_by=r.text("rank_by"), order=r.text("order") or "desc", partial=bool(r.text("partial")))
    return {"by_year": dict(sorted(years.items())), "allocation": allocation}


def read(posted) -> dict:
    """The editable keys of a new version from the editor's inputs; ValidationError lists every problem."""
    r = _Reader(posted)
    facts_year = r.text("facts_year") or "last"
    out = {
        "facts_year": facts_year,
        "eligibility": _conditions(r),
        "benefit": _benefit(r),
        "limits": _limits(r),
        "budget": _budget(r),
    }
    if r.errors:
        raise ValidationError(r.errors)
    return {k: v for k, v in out.items() if v != {} or k == "limits"}


def posted_rows(posted) -> dict:
    """The editor drawn again from the posted inputs, as typed (after a refused save nothing is lost)."""
    g = lambda name: posted.get(name, "")  # noqa: E731 — a short reader for the many inputs below
    conds = []
    for i in range(int(g("cond-count") or 0)):
        p = f"cond-{i}-"
        alts = [
            {"field": g(f"{p}a{j}-field"), "op": g(f"{p}a{j}-op"), "value": g(f"{p}a{j}-value")}
            for j in range(int(g(f"{p}alts") or 0))
        ]
        conds.append(
            {
                "index": i,
                "id": g(f"{p}id"),
                "label": g(f"{p}label"),
                "kept": bool(g(f"{p}kept")),
                "when": g(f"{p}when"),
                "words": words(g(f"{p}when")) if g(f"{p}kept") else "",
                "delete": bool(g(f"{p}delete")),
                "alternatives": alts,
            }
        )
    table = lambda prefix, keys: [  # noqa: E731
        {k: g(f"{prefix}-{i}-{k}") for k in keys} for i in range(int(g(f"{prefix}-count") or 0))
    ]
    return {
        "facts_year": g("facts_year"),
        "conditions": conds,
        "benefit": {
            "kind": g("kind"),
            "amount": g("amount"),
            "base": g("base"),
            "rate": g("rate"),
            "min": g("min"),
            "max": g("max"),
            "pick": g("pick"),
            "below_min": g("below_min"),
            "bands": table("band", ("from", "to", "amount", "rate")),
            "caps": table("cap", ("id", "label", "amount", "rate", "of")),
        },
        "limits": {"one_off": bool(g("one_off")), "per_firm": g("per_firm"), "per_year": g("per_year")},
        "budget": {
            "years": table("year", ("year", "amount")),
            "method": g("method"),
            "rank_by": g("rank_by"),
            "order": g("order"),
            "partial": bool(g("partial")),
        },
    }
