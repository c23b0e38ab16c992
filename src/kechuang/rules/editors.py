"""Typed editors for a parameter's value: the bureau fills inputs shaped like the value in force, never JSON.

The shape of the value in force decides the editor: a number, 是/否, a text, a list of texts (one per line),
a range [最低, 最高], or a table (rows with the columns the current rows have; an empty row added at the end, a
cleared row removed). `read` turns the posted inputs back into a value, or a Chinese message naming the input.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from kechuang.engine.ruledata.params import is_number

NUMBER, BOOL, TEXT, LIST, RANGE, TABLE = "number", "bool", "text", "list", "range", "table"


def shape(current) -> str:
    if isinstance(current, bool):
        return BOOL
    if is_number(current):
        return NUMBER
    if isinstance(current, str):
        return TEXT
    if isinstance(current, list) and current and all(isinstance(r, Mapping) for r in current):
        return TABLE
    if isinstance(current, list) and len(current) == 2 and all(is_number(v) for v in current):
        return RANGE
    if isinstance(current, list):
        return LIST
    return TEXT


def columns(current: list) -> list[str]:
    return list(dict.fromkeys(k for row in current for k in row))


def shown(value) -> str:
    """A number as typed (no trailing zeros), anything else as text; None as empty."""
    if value is None:
        return ""
    if is_number(value):
        return format(Decimal(str(value)).normalize(), "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "–".join(shown(v) for v in value)
    return str(value)


def editor(current, posted: Mapping | None = None) -> dict:
    """What the template draws for `current` (with the posted inputs shown again after an error)."""
    kind = shape(current)
    out: dict = {"shape": kind}
    if kind == TABLE:
        cols = columns(current)
        if posted is not None:
            n = _row_count(posted)
            rows = [[(c, posted.get(f"row-{i}-{c}", "")) for c in cols] for i in range(n)]
        else:
            rows = [[(c, shown(row.get(c))) for c in cols] for row in current] + [[(c, "") for c in cols]]
        out.update(columns=cols, rows=rows)
    elif kind == LIST:
        out["text"] = posted.get("value", "") if posted is not None else "\n".join(map(str, current))
    elif kind == RANGE:
        out["low"], out["high"] = (
            (posted.get("low", ""), posted.get("high", "")) if posted is not None else map(shown, current)
        )
    else:
        out["text"] = posted.get("value", "") if posted is not None else shown(current)
    return out


def _row_count(posted: Mapping) -> int:
    return max(
        (int(k.split("-")[1]) + 1 for k in posted if k.startswith("row-") and k.split("-")[1].isdigit()), default=0
    )


def _number(text: str, where: str):
    text = text.strip().replace(",", "")
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{where}应为数字，现为“{text}”") from None
    if not d.is_finite():
        raise ValueError(f"{where}应为有限的数字")
    return int(d) if d == d.to_integral_value() and "." not in text and "e" not in text.lower() else float(d)


def read(current, posted: Mapping):
    """The new value from the posted inputs (same shape as `current`), or ValueError in Chinese."""
    kind = shape(current)
    if kind == NUMBER:
        return _number(posted.get("value", ""), "取值")
    if kind == BOOL:
        value = posted.get("value", "")
        if value not in ("true", "false"):
            raise ValueError("请选择“是”或“否”")
        return value == "true"
    if kind == TEXT:
        value = posted.get("value", "").strip()
        if not value:
            raise ValueError("取值不能为空")
        return value
    if kind == LIST:
        items = [line.strip() for line in posted.get("value", "").splitlines() if line.strip()]
        if not items:
            raise ValueError("请至少填写一项（每行一项）")
        return items
    if kind == RANGE:
        return [_number(posted.get("low", ""), "最低值"), _number(posted.get("high", ""), "最高值")]
    return _read_table(current, posted)


def _read_table(current: list, posted: Mapping) -> list[dict]:
    cols = columns(current)
    numeric = {c for c in cols if all(is_number(r[c]) for r in current if c in r)}
    rows = []
    for i in range(_row_count(posted)):
        cells = {c: posted.get(f"row-{i}-{c}", "").strip() for c in cols}
        if not any(cells.values()):
            continue  # a cleared row is removed; the empty last row is the one to add
        row = {}
        for c, text in cells.items():
            if not text:
                continue
            row[c] = _number(text, f"第 {len(rows) + 1} 行“{c}”") if c in numeric else text
        rows.append(row)
    if not rows:
        raise ValueError("分档表至少需要一行")
    return rows


def display(value, unit: str = "") -> str:
    """A value in words for the rule pages: 20% for a share, 1,000.00 万元 for money, rows joined by ；."""
    from kechuang.engine.ruledata.params import UNITS

    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if is_number(value):
        if unit == "share":
            return f"{shown(round(value * 100, 6))}%"
        if unit == "wan":
            return f"{value:,.2f} 万元"
        return f"{shown(value)}{(' ' + UNITS[unit]) if UNITS.get(unit) else ''}"
    if isinstance(value, list) and value and all(isinstance(r, Mapping) for r in value):
        return "；".join("，".join(f"{k}={shown(v)}" for k, v in row.items()) for row in value)
    if isinstance(value, list):
        return "、".join(shown(v) for v in value) if shape(value) != RANGE else f"{shown(value[0])}–{shown(value[1])}"
    return str(value)
