"""The JSON body of `PUT /api/enterprises/{uscc}/figures/{year}`: its JSON Schema (for the OpenAPI document) and
its reading, derived from the same facts columns so that what the document says and what the API does agree.

A body is a JSON object of annual facts (at least one; no other keys); null means "unknown". Per kind:
- int (counts, 数字化水平等级 1–4): a JSON integer within the column's range; 1.5, "12" and true are refused;
- money (万元), number (职工总数 and the other staff counts: annual averages, 2 decimals) and fraction: a JSON
  integer, or a string of ASCII digits with at most the column's decimals ("3000.1234"). A JSON number with a
  fraction (12.5) is refused: it would pass through a float; send "12.5". Full-width or Arabic-Indic digits,
  thousands separators and exponents are for files (facts.parse_value), not for this API;
- bool: true or false; date: "YYYY-MM-DD"; enum: one of the codes.
Then facts.parse_value applies the column's rules (signs, ranges), as for a file.
"""

from __future__ import annotations

import json
import re

from kechuang.engine import facts

NAMES = facts.ANNUAL_NAMES
INT_MAX = 2**31 - 1
_DIGITS = {facts.MONEY: 14, facts.NUMBER: 12}  # integer digits below MAX_ABS (1e14, 1e12)
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


class BodyError(ValueError):
    """A body the API refuses; `message` is Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _decimal_pattern(column: facts.Column) -> str:
    places = facts.DECIMAL_PLACES[column.kind]
    if column.kind == facts.FRACTION:
        return rf"^(?:0(?:\.[0-9]{{1,{places}}})?|1(?:\.0{{1,{places}}})?)$"
    sign = "-?" if column.name in facts.SIGNED_MONEY else ""
    return rf"^{sign}[0-9]{{1,{_DIGITS[column.kind]}}}(?:\.[0-9]{{1,{places}}})?$"


def _integer_bounds(column: facts.Column) -> tuple[int, int]:
    if column.kind == facts.INT:
        return column.bounds or (0, INT_MAX)
    if column.kind == facts.FRACTION:
        return 0, 1
    high = 10 ** _DIGITS[column.kind] - 1
    return (-high if column.name in facts.SIGNED_MONEY else 0), high


def _value_schema(column: facts.Column) -> dict:
    kind = column.kind
    if kind in (facts.INT, facts.MONEY, facts.NUMBER, facts.FRACTION):
        low, high = _integer_bounds(column)
        schema = {"type": "integer", "minimum": low, "maximum": high}
        if kind != facts.INT:
            schema = {"anyOf": [schema, {"type": "string", "pattern": _decimal_pattern(column)}]}
    elif kind == facts.BOOL:
        schema = {"type": "boolean"}
    elif kind == facts.DATE:
        schema = {"type": "string", "format": "date", "pattern": _DATE}
    elif kind == facts.ENUM:
        schema = {"type": "string", "enum": list(column.choices)}
    else:
        schema = {"type": "string", "maxLength": column.text_limit, "pattern": f"^[^{facts.CONTROL_PATTERN[1:-1]}]*$"}
    return {"anyOf": [schema, {"type": "null"}], "title": column.label}


SCHEMA = {
    "type": "object",
    "title": "FigureIn",
    "description": (
        '年度数据（至少一项；null 表示未知）。金额单位万元：整数或字符串（如 "3000.1234"），带小数的数值请写成字符串。'
    ),
    "properties": {name: _value_schema(facts.BY_NAME[name]) for name in NAMES},
    "additionalProperties": False,
    "minProperties": 1,
}


def read_body(raw: bytes) -> dict:
    """{column name: parsed value} of a figures body; BodyError (Chinese, every problem named) otherwise."""
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise BodyError("请求体不是有效的 JSON") from None
    if not isinstance(body, dict):
        raise BodyError('请求体须为 JSON 对象，如 {"revenue": "3000"}')
    unknown = [k for k in body if k not in NAMES]
    if unknown:
        raise BodyError(f"未知的数据项：{'、'.join(facts.shown(k) for k in unknown)}（可写入的数据项见 API 文档）")
    if not body:
        raise BodyError("没有要写入的数据")
    values, problems = {}, []
    for name, value in body.items():
        column = facts.BY_NAME[name]
        try:
            values[name] = _value(column, value)
        except facts.CellError as exc:
            problems.append(f"{column.label}：{exc.message}")
    if problems:
        raise BodyError("；".join(problems))
    return values


def _value(column: facts.Column, value):  # noqa: C901
    """One JSON value as the column's value, when it is what the schema says; CellError otherwise."""
    if value is None:
        return None
    kind = column.kind
    if kind == facts.BOOL:
        if not isinstance(value, bool):
            raise facts.CellError(f"“{facts.shown(value)}”应为 true 或 false")
        return value
    if kind in (facts.INT, facts.MONEY, facts.NUMBER, facts.FRACTION):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return facts.parse_value(column, value)
        if kind == facts.INT:
            raise facts.CellError(f"“{facts.shown(value)}”应为整数")
        if isinstance(value, float):
            raise facts.CellError(f'{value!r} 带小数，请写成字符串（如 "{value!r}"），以免浮点误差')
        if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
            parsed = facts.parse_value(column, value)  # its message says what is wrong (sign, size, decimals)
            if re.fullmatch(_decimal_pattern(column), value):
                return parsed
        places = facts.DECIMAL_PLACES[kind]
        raise facts.CellError(f"“{facts.shown(value)}”不是有效数字（整数，或最多 {places} 位小数的数字字符串）")
    if kind == facts.DATE:
        if isinstance(value, str) and re.fullmatch(_DATE, value):
            return facts.parse_value(column, value)
        raise facts.CellError(f"“{facts.shown(value)}”不是有效日期，请使用 YYYY-MM-DD 格式")
    if kind == facts.ENUM:
        if isinstance(value, str) and value in column.choices:
            return value
        raise facts.CellError(f"“{facts.shown(value)}”不在允许范围内：{'、'.join(column.choices)}")
    if not isinstance(value, str):
        raise facts.CellError(f"“{facts.shown(value)}”应为文本")
    return facts.parse_value(column, value)
