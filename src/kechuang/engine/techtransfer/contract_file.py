"""Reading a file of technology contracts (.csv or .xlsx) for registration: typed contracts and row errors.

Policy:
- The file is read by the one table reader (`facts_file.read_table`: UTF-8 or GBK CSV, .xlsx; a line whose quotes
  do not pair is an error of that line). An unreadable file, a header missing a required column or naming one
  column twice raises FactsFileError (Chinese): the caller exits 2.
- Headers are the English names (contract_no, …) or the Chinese labels; unknown columns are ignored with a
  warning. Cells go through `facts.parse_value` (money exact in 万元, dates YYYY-MM-DD, 是/否 or true/false).
- A malformed cell is an error of its row naming file, row and column; so is a missing contract number, signing
  date or 书面合同 cell, a region code that is not six digits, a validity ending before the signing date, and a
  contract number repeated (naming the first row). What the registration decides (a party without a valid
  USCC, a zero price, an unknown type) is not a row error: the engine refuses it with its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kechuang.engine import facts
from kechuang.engine.facts_file import Problem, read_table
from kechuang.engine.io import FactsFileError
from kechuang.engine.techtransfer.contracts import Contract

C = facts.Column
COLUMNS = (
    C("contract_no", "合同编号", facts.STR),
    C("project", "项目名称", facts.STR),
    C("type", "合同类型", facts.STR),
    C("seller_name", "卖方名称", facts.STR),
    C("seller_uscc", "卖方统一社会信用代码", facts.STR),
    C("seller_region", "卖方行政区划代码", facts.STR),
    C("buyer_name", "买方名称", facts.STR),
    C("buyer_uscc", "买方统一社会信用代码", facts.STR),
    C("buyer_country", "买方国家或地区代码", facts.STR),
    C("buyer_region", "买方行政区划代码", facts.STR),
    C("signed_on", "签订日期", facts.DATE),
    C("valid_to", "有效期至", facts.DATE),
    C("total_amount", "合同成交额（万元）", facts.MONEY),
    C("non_tech_amount", "非技术性款项（万元）", facts.MONEY),
    C("written", "书面合同", facts.BOOL),
)
BY_NAME = {c.name: c for c in COLUMNS}
REQUIRED_COLUMNS = (
    "contract_no",
    "type",
    "seller_name",
    "seller_uscc",
    "buyer_name",
    "buyer_uscc",
    "signed_on",
    "total_amount",
    "written",
)
REQUIRED_CELLS = ("contract_no", "signed_on", "written")
_NULLABLE = ("signed_on", "valid_to", "total_amount", "non_tech_amount")  # the rest: empty text when not given
REGION_CODE = re.compile(r"^\d{6}$")
_UNIT = re.compile(r"[（(][^()（）]*[)）]$")


@dataclass
class ContractFile:
    name: str
    contracts: list[tuple[int, Contract]] = field(default_factory=list)  # (file row, contract)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.errors})


def _column(header) -> C | None:
    text = str(header or "").strip()
    for key in (text, text.lower(), _UNIT.sub("", text).strip()):
        if key in BY_NAME:
            return BY_NAME[key]
        found = next((c for c in COLUMNS if key in (c.label, _UNIT.sub("", c.label))), None)
        if found is not None:
            return found
    return None


def _headers(headers: list, name: str) -> tuple[dict[int, tuple[C, str]], list[Problem]]:
    """(column, header as written) by cell index, and the warnings (unknown columns)."""
    mapping: dict[int, tuple[C, str]] = {}
    warnings, repeated, first = [], [], {}
    for index, header in enumerate(headers):
        text = str(header or "").strip()
        if not text:
            continue
        column = _column(text)
        if column is None:
            warnings.append(Problem(name, None, facts.shown(text), "", "未知的列，已忽略", "warning"))
        elif column.name in first:
            repeated.append(f"列“{facts.shown(text)}”与列“{first[column.name]}”同为{column.label}")
        else:
            first[column.name] = facts.shown(text)
            mapping[index] = (column, facts.shown(text))
    if repeated:
        raise FactsFileError(f"{name} 的表头有重复的列：{'；'.join(repeated)}。请每项只保留一列")
    missing = [BY_NAME[n] for n in REQUIRED_COLUMNS if n not in first]
    if missing:
        names = "、".join(f"{c.label}（{c.name}）" for c in missing)
        raise FactsFileError(f"{name} 缺少必需的列：{names}")
    return mapping, warnings


def read_contracts(
    path: Path | str | None = None, *, content: bytes | None = None, name: str | None = None
) -> ContractFile:
    """Every contract of the file that has no row error, and every problem; FactsFileError when unreadable."""
    table = read_table(path, content=content, name=name)
    mapping, warnings = _headers(table.headers, table.name)
    out = ContractFile(table.name, problems=[*warnings, *table.problems])
    headed = {column.name: header for column, header in mapping.values()}
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        values, errors = _row(table.name, number, cells, mapping)
        no = values.get("contract_no")
        if no and not errors:
            if no in seen:
                errors.append(
                    Problem(
                        table.name, number, headed["contract_no"], facts.shown(no), f"合同编号与第 {seen[no]} 行重复"
                    )
                )
            else:
                seen[no] = number
        if errors:
            out.problems.extend(errors)
            continue
        out.contracts.append(
            (number, Contract(**{k: "" if v is None and k not in _NULLABLE else v for k, v in values.items()}))
        )
    return out


def _row(name: str, number: int, cells: list, mapping: dict[int, tuple[C, str]]) -> tuple[dict, list[Problem]]:
    values: dict = dict.fromkeys(BY_NAME)
    errors: list[Problem] = []
    headed = {column.name: header for column, header in mapping.values()}

    def err(column: C, raw, message: str) -> None:
        errors.append(
            Problem(
                name, number, headed.get(column.name, column.label), "" if raw is None else facts.shown(raw), message
            )
        )

    for index, (column, _header) in mapping.items():
        raw = cells[index] if index < len(cells) else None
        try:
            values[column.name] = facts.parse_value(column, raw)
        except facts.CellError as exc:
            err(column, raw, exc.message)
    bad = {p.column for p in errors}
    for key in REQUIRED_CELLS:
        if values[key] in (None, "") and headed[key] not in bad:
            err(BY_NAME[key], None, "必填")
    for key in ("seller_region", "buyer_region"):
        code = values[key]
        if code and not REGION_CODE.match(code):
            err(BY_NAME[key], code, "行政区划代码应为 6 位数字（GB/T 2260）")
    signed, valid = values["signed_on"], values["valid_to"]
    if signed and valid and valid < signed:
        err(BY_NAME["valid_to"], valid.isoformat(), f"有效期至早于签订日期 {signed:%Y-%m-%d}")
    return values, errors
