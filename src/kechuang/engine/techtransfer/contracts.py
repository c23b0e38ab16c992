"""Technology-contract registration (技术合同认定登记): the check a registration point makes, as an engine.

Policy:
- The rules are dated rule data (kind `contract_registration`, rulesets/techtransfer/contracts/): the contract
  types with their Chinese names and the names people write, the decision time limit and the registration-number
  format. `rules_on(as_of)` is the version in force on the application date: the 2000 办法 until 2026-02-28
  (30 calendar days), the 2026 办法 from 2026-03-01 (15 working days; 30 with expert review when the technology
  transaction amount is 500万 or more, "以上" including the boundary).
- `check(contract, as_of, rules)` decides registered or refused with the first reason found, in this order:
  not written, type unknown, a party unclear (a missing name; a domestic party without a valid USCC, per
  GB 32100; a foreign buyer by an ISO country code instead), price unclear (no or zero total), amounts
  inconsistent (non-technical costs above the total), signed after the application date. A registered contract's
  technology transaction amount (技术交易额) is the total (合同成交额) minus the non-technical costs (equipment,
  instruments, parts, raw materials), exact to the cent of 万元 as written; a refused one has none.
- The deadline counts from the application date (`as_of`): calendar days under the 2000 rules, Chinese working
  days (engine.workdays) under the 2026 rules. A refused contract is decided within the same limit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kechuang.engine import facts
from kechuang.engine.ruledata import Kind, RuleDataError, RuleDoc, in_force, register, rulebook
from kechuang.engine.workdays import add_workdays

REGISTERED, REFUSED = "registered", "refused"
DECISIONS = {REGISTERED: "予以登记", REFUSED: "未予登记"}
REASONS = {
    "ok": "符合认定登记条件",
    "not_written": "非书面合同",
    "type_unknown": "合同类型不明确",
    "party_unclear": "当事人不明确",
    "price_unclear": "合同价款不明确",
    "amounts_inconsistent": "非技术性款项超过合同成交额",
    "signed_after_as_of": "签订日期晚于申请日期",
}
DOMESTIC = frozenset({"", "CN", "CHN", "中国"})
COUNTRY_CODE = re.compile(r"^[A-Z]{2,3}$")
# The letters a registration-number format may use: year, area (the registration office's region code),
# registration point, serial number; each one run of digits.
NUMBER_FIELDS = {"Y": "年份", "A": "行政区划代码", "R": "登记点代码", "N": "流水号"}
NUMBER_FORMAT = re.compile(r"^(Y+)?(A+)?(R+)?(N+)$")


class ContractType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z_]*$", title="类型编号")
    name: str = Field(min_length=1, title="中文名称")
    aliases: tuple[str, ...] = Field(default=(), title="其他写法")


class RegistrationRules(RuleDoc):
    """One version of the registration rules: contract types, time limit, registration-number format."""

    types: tuple[ContractType, ...] = Field(min_length=1, title="合同类型")

    @model_validator(mode="after")
    def _parameters_read(self) -> RegistrationRules:
        names = set(self.parameters)
        calendar, working = {"decision_days"}, {"decision_workdays", "expert_review_from", "expert_review_workdays"}
        if not (calendar <= names or working <= names):
            raise ValueError(
                "需要参数 decision_days（日历日时限），或 decision_workdays、expert_review_from、"
                "expert_review_workdays（工作日时限与专家评审）"
            )
        for name in ("number_format", "registration_point"):
            if name not in names:
                raise ValueError(f"缺少参数 {name}")
        problem = number_format_problem(self.parameters["number_format"].versions[0].value)
        if problem:
            raise ValueError(problem)
        return self

    def check_parameter(self, name: str, current, value) -> str | None:
        if name == "number_format" and isinstance(value, str):
            problem = number_format_problem(value)
            if problem:
                return problem
        return super().check_parameter(name, current, value)


KIND = register(
    Kind(
        "contract_registration", "技术合同认定登记规则", "techtransfer/contracts", RegistrationRules, domain="技术转移"
    )
)


def number_format_problem(fmt) -> str | None:
    if not isinstance(fmt, str) or not NUMBER_FORMAT.match(fmt):
        return (
            f"登记编号格式“{fmt}”无效：依次由 Y（年份）、A（行政区划代码）、R（登记点代码）、N（流水号）"
            "组成，每种字母连续，流水号必有，如 YYYYAAAARRNNNNNN"
        )
    return None


# ---------------------------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Rules:
    """The registration rules in force on one date: the document's types and its parameter values."""

    key: str  # id@version, stored beside a decision for replay
    name: str
    types: tuple[ContractType, ...]
    params: Mapping

    @property
    def working_days(self) -> bool:
        return "decision_workdays" in self.params

    def type_of(self, text: str | None) -> ContractType | None:
        """The contract type an input names: its id, its Chinese name or one of its other names."""
        word = (text or "").strip()
        for t in self.types:
            if word and (word.lower() == t.id or word == t.name or word in t.aliases):
                return t
        return None


def rules_on(as_of: dt.date, overrides: Iterable[Mapping] = (), extra: Iterable[RuleDoc] = ()) -> Rules:
    """The version in force on `as_of` across the kind's documents (a revised text has its own id), with the
    bureau's parameter versions (`overrides`) and whole-document versions (`extra`)."""
    book = rulebook(KIND.id)
    doc = in_force([*book.docs, *extra], as_of)
    if doc is None:
        raise RuleDataError(f"{as_of:%Y-%m-%d} 没有生效的{KIND.label}")
    return Rules(doc.key, doc.name, doc.types, doc.params(as_of, overrides).as_dict())


def type_names() -> dict[str, str]:
    """Every contract type id of every version with its Chinese name (the latest version's name wins)."""
    return {t.id: t.name for doc in rulebook(KIND.id).docs for t in doc.types}


# ---------------------------------------------------------------------------------------------- contracts


@dataclass(frozen=True)
class Contract:
    """A contract as the seller side submits it (the CLI's input columns; money in 万元, exact)."""

    contract_no: str
    project: str = ""
    type: str = ""  # as written: an id (development) or a Chinese name (技术开发, 专利实施许可…)
    seller_name: str = ""
    seller_uscc: str = ""
    seller_region: str = ""
    buyer_name: str = ""
    buyer_uscc: str = ""
    buyer_country: str = ""  # empty or CN for a domestic buyer; an ISO 3166 code for a foreign one
    buyer_region: str = ""
    signed_on: dt.date | None = None
    valid_to: dt.date | None = None
    total_amount: Decimal | None = None
    non_tech_amount: Decimal | None = None
    written: bool = True


@dataclass(frozen=True)
class Limit:
    date: dt.date
    days: int
    working_days: bool
    expert_review: bool
    assumed_years: tuple[int, ...] = field(default=())

    @property
    def text(self) -> str:
        unit = "个工作日" if self.working_days else "日"
        review = "（技术交易额达到专家评审标准，经专家评审）" if self.expert_review else ""
        text = f"应于受理后 {self.days} {unit}内办结{review}，即 {self.date:%Y-%m-%d} 前"
        if self.assumed_years:
            text += f"（{'、'.join(map(str, self.assumed_years))} 年节假日安排尚未公布，暂按周一至周五计算）"
        return text


@dataclass(frozen=True)
class Decision:
    decision: str  # registered | refused
    reason_code: str
    reason: str  # Chinese
    tech_amount: Decimal | None  # registered only: total − non-technical costs (万元)
    type: str | None  # the contract type's id, when known
    deadline: Limit
    rule: str  # id@version of the rules that decided

    @property
    def registered(self) -> bool:
        return self.decision == REGISTERED


def deadline(received_on: dt.date, tech_amount: Decimal | None, rules: Rules) -> Limit:
    """When the registration point must decide: calendar days (2000 rules) or working days with expert review
    from the threshold up (2026 rules)."""
    p = rules.params
    if not rules.working_days:
        days = int(p["decision_days"])
        return Limit(received_on + dt.timedelta(days=days), days, False, False)
    review = tech_amount is not None and tech_amount >= Decimal(str(p["expert_review_from"]))
    days = int(p["expert_review_workdays"] if review else p["decision_workdays"])
    limit = add_workdays(received_on, days)
    return Limit(limit.date, days, True, review, limit.assumed_years)


def _party_problem(role: str, name: str, uscc: str, country: str = "") -> str | None:
    if not name.strip():
        return f"{role}名称为空"
    country = country.strip().upper()
    if country not in DOMESTIC:
        if not COUNTRY_CODE.match(country):
            return f"{role}的国家或地区代码“{country}”无效（应为 ISO 3166 两位或三位字母代码，如 DE、USA）"
        return None
    code = facts.compact_uscc(uscc or "")
    if not code:
        return f"境内{role}缺少统一社会信用代码"
    problem = facts.uscc_problem(code)
    return f"{role}{problem}" if problem else None


def _refusal(contract: Contract, as_of: dt.date, rules: Rules) -> tuple[str, str] | None:
    """(reason code, detail) of the first reason to refuse, or None."""
    if not contract.written:
        return "not_written", "只登记书面合同"
    if rules.type_of(contract.type) is None:
        names = "、".join(t.name for t in rules.types)
        written = f"“{contract.type.strip()}”" if contract.type.strip() else "未填写"
        return "type_unknown", f"合同类型{written}，应为{names}之一"
    for problem in (
        _party_problem("卖方", contract.seller_name, contract.seller_uscc),
        _party_problem("买方", contract.buyer_name, contract.buyer_uscc, contract.buyer_country),
    ):
        if problem:
            return "party_unclear", problem
    total, non_tech = contract.total_amount, contract.non_tech_amount or Decimal(0)
    if total is None or total <= 0:
        return "price_unclear", "合同成交额未填写或为零"
    if non_tech > total:
        return "amounts_inconsistent", f"非技术性款项 {non_tech} 万元超过合同成交额 {total} 万元"
    if contract.signed_on is not None and contract.signed_on > as_of:
        return "signed_after_as_of", f"签订日期 {contract.signed_on:%Y-%m-%d} 晚于申请日期 {as_of:%Y-%m-%d}"
    return None


def tech_amount(contract: Contract) -> Decimal | None:
    """合同成交额 − 非技术性款项, where both make sense (a total above zero, costs not above it)."""
    total, non_tech = contract.total_amount, contract.non_tech_amount or Decimal(0)
    if total is None or total <= 0 or non_tech > total:
        return None
    return total - non_tech


def check(contract: Contract, as_of: dt.date, rules: Rules) -> Decision:
    """The registration decision for `contract` applied for on `as_of` under `rules` (those in force then)."""
    amount = tech_amount(contract)
    limit = deadline(as_of, amount, rules)
    kind = rules.type_of(contract.type)
    refusal = _refusal(contract, as_of, rules)
    if refusal is None:
        return Decision(REGISTERED, "ok", REASONS["ok"], amount, kind.id, limit, rules.key)
    code, detail = refusal
    return Decision(
        REFUSED, code, f"未予登记：{REASONS[code]}（{detail}）", None, kind.id if kind else None, limit, rules.key
    )


def registration_number(fmt: str, year: int, region_code: str, point: str, serial: int) -> str:
    """A registration number in the configured format (16 digits by default): year, the registration office's
    region code, the registration point and the serial, each right-sized to its run of letters."""
    problem = number_format_problem(fmt)
    if problem:
        raise ValueError(problem)
    parts = {"Y": str(year), "A": str(region_code), "R": str(point), "N": str(serial)}
    out = []
    for letter, run in _runs(fmt):
        width = len(run)
        value = parts[letter]
        if letter == "Y":
            value = value[-width:]
        elif letter == "A":
            value = value[:width]
        else:
            value = value.zfill(width)
        if len(value) != width or not value.isdigit():
            raise ValueError(f"{NUMBER_FIELDS[letter]}“{parts[letter]}”放不进登记编号的 {width} 位")
        out.append(value)
    return "".join(out)


def _runs(fmt: str) -> list[tuple[str, str]]:
    """(letter, run) for each run of one letter: YYYYAARR → [(Y, YYYY), (A, AA), (R, RR)]."""
    return [(m.group()[0], m.group()) for m in re.finditer(r"(.)\1*", fmt)]
