"""Final acceptance against the published indicators.

Policy: each quantified indicator is `{code, label, unit, comparison, target, required}` with comparison one
of ge (≥), le (≤), gt (>), lt (<), eq (=); the team's measured value meets it or not; a value not measured is
unknown, never a pass. Acceptance passes when every required indicator is met, fails when any required one is
not, and is unknown otherwise. Optional indicators are reported but do not decide.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

SYMBOLS = {"ge": "≥", "le": "≤", "gt": ">", "lt": "<", "eq": "="}
PASSED, FAILED, UNKNOWN = "passed", "failed", "unknown"
LABELS = {PASSED: "通过验收", FAILED: "未通过验收", UNKNOWN: "待补充实测数据"}


def _met(value: Decimal, comparison: str, target: Decimal) -> bool:
    return {
        "ge": value >= target,
        "le": value <= target,
        "gt": value > target,
        "lt": value < target,
        "eq": value == target,
    }[comparison]


def _num(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _shown(value: Decimal, unit: str) -> str:
    """500.0000 MPa → 500 MPa; 95.5 % → 95.5%."""
    number = f"{value.normalize():f}"
    if not unit:
        return number
    return f"{number}{unit}" if unit in ("%", "‰", "℃") else f"{number} {unit}"


def check(indicators: list[dict], measured: dict) -> dict:
    rows = []
    for ind in indicators:
        target = Decimal(str(ind["target"]))
        unit = ind.get("unit") or ""
        want = f"{SYMBOLS[ind['comparison']]} {_shown(target, unit)}"
        value = _num(measured.get(ind["code"]))
        if value is None:
            met, text = None, f"{ind['label']}：未填实测值（要求 {want}）"
        else:
            met = _met(value, ind["comparison"], target)
            shown = _shown(value, unit)
            text = f"{ind['label']}：实测 {shown}，要求 {want}，{'达标' if met else '未达标'}"
        rows.append(
            {
                "code": ind["code"],
                "label": ind["label"],
                "required": bool(ind.get("required", True)),
                "met": met,
                "value": None if value is None else str(value),
                "text": text,
            }
        )
    required = [r for r in rows if r["required"]]
    if any(r["met"] is False for r in required):
        outcome = FAILED
    elif any(r["met"] is None for r in required) or not required:
        outcome = UNKNOWN
    else:
        outcome = PASSED
    failed = [r["label"] for r in required if r["met"] is False]
    missing = [r["label"] for r in required if r["met"] is None]
    if outcome == PASSED:
        why = f"{len(required)} 项约束性指标全部达标"
    elif outcome == FAILED:
        why = f"约束性指标未达标：{'、'.join(failed)}"
    else:
        why = f"约束性指标缺实测值：{'、'.join(missing)}" if required else "没有约束性指标"
    return {"outcome": outcome, "label": LABELS[outcome], "indicators": rows, "explanation": why}
