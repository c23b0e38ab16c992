"""Tier rule sets as documents of the rule-data layer (decision 0004): rulesets/tiers/*.yaml, kind `tiers`.

A rule set file is one version of one tier's rules (format: rulesets/tiers/README.md). `RuleSet` adds the tier's
own typed fields to `RuleDoc` (tier, variant, default, fiscal year offset, named values, score parts, conditions,
routes, earlier labels); the rulebook of kind `tiers` reads and validates every file once, naming file, rule and
field in Chinese. Parameters are the layer's (`params(as_of, overrides)`, the bureau's versions from
`rules.RuleVersion` included) and "in force on a date" is `validity.in_force`.

What is the tiers' own: choosing one rule set per tier on a date (`select_rulesets`: the region's local variant
where the tier has several, else the default one) and finding the version a stored result names, by its label
or one it had before (`ruleset_by_label`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Required

from pydantic import ConfigDict as Config
from pydantic import Field, model_validator, with_config
from typing_extensions import TypedDict

from kechuang.engine.ruledata import Kind, Problem, RuleDataError, RuleDoc, in_force, register, rulebook
from kechuang.engine.ruledata.params import is_number as is_number  # re-exported: values.py reads it here

# A malformed rule set, an unknown tier on a date, an unknown parameter: the layer's error, Chinese message.
RuleSetError = RuleDataError

# A parameter inside a condition's label: `{name}` as is, `{name:%}` as a percentage, `{name:亿}` in 亿
# (money parameters are in 万). Labels are rendered with the parameters in force (engine/labels.py), so a
# bureau's new threshold shows in every list and export that names the condition.
LABEL_PLACEHOLDER = re.compile(r"\{(\w+)(?::(%|亿))?\}")

_ID = Field(pattern=r"^[a-z][a-z0-9_]*$")
Threshold = str | int | float  # a parameter name or a number (kept as written)


# The parts of a rule set stay plain mappings (the evaluator reads them as such); their keys are checked here.
@with_config(Config(extra="forbid"))
class GapSpec(TypedDict, total=False):
    field: Required[str]
    op: Required[str]
    required: Required[Threshold]
    unit: str


@with_config(Config(extra="forbid"))
class ScoreTest(TypedDict, total=False):
    at_least: Threshold
    above: Threshold
    parts: list[str]


@with_config(Config(extra="forbid"))
class ConditionSpec(TypedDict, total=False):
    id: Required[Annotated[str, _ID]]
    label: Required[str]
    when: str
    or_when: str
    option: bool
    score: ScoreTest
    gaps: list[GapSpec]
    explain: list[str]


@with_config(Config(extra="forbid"))
class RouteSpec(TypedDict, total=False):
    kind: Required[str]
    all: list[str]
    any: list[str]


@with_config(Config(extra="forbid"))
class ScorePart(TypedDict, total=False):
    id: Required[Annotated[str, _ID]]
    input: str
    bands: str | list[dict]
    if_unknown: str
    gap: dict
    tables: list[dict]
    components: list[dict]
    cap: Threshold


class RuleSet(RuleDoc):
    """One version of one tier's rules."""

    tier: str = Field(pattern=r"^[a-z][a-z0-9_]*$", title="梯队")
    variant: str = Field(default="national", min_length=1, title="地方变体")
    default: bool = Field(default=True, title="默认变体")
    fiscal_year_offset: int = Field(default=1, ge=0, title="评估财年（基准日年份减几年）")
    values: dict[str, str] = Field(default_factory=dict, title="命名取值")
    scores: list[ScorePart] = Field(default_factory=list, title="评分项")
    conditions: list[ConditionSpec] = Field(min_length=1, title="条件")
    routes: list[RouteSpec] = Field(min_length=1, title="认定路径")
    # Labels this version had before (`innovative_sme@2022-06-01` became `@2022-08-01` when its effective date
    # was corrected): results stored under an old label still find their rule set.
    previous_labels: tuple[str, ...] = Field(default=(), title="曾用版本标识")

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        problems = [*self._condition_problems(), *self._route_problems()]
        if problems:
            raise RuleDataError(problems)
        return self

    def _condition_problems(self) -> list[Problem]:
        """Every condition has its own id and a Chinese label whose placeholders name numeric parameters."""
        out, seen = [], set()
        for i, cond in enumerate(self.conditions):
            cid, where = cond["id"], f"条件第 {i + 1} 项"
            if cid in seen:
                out.append(Problem(f"条件编号“{cid}”重复", rule=self.id, field=f"{where}·id"))
            seen.add(cid)
            text = cond["label"]
            if not text.strip():
                out.append(Problem(f"条件 {cid} 缺少 label（中文名称）", rule=self.id, field=f"{where}·label"))
            for name, _spec in LABEL_PLACEHOLDER.findall(text):
                p = self.parameters.get(name)
                if p is None or not all(is_number(v.value) for v in p.versions):
                    out.append(
                        Problem(
                            f"条件 {cid} 的 label 引用了“{name}”，它不是本规则集的数值参数",
                            rule=self.id,
                            field=f"{where}·label",
                        )
                    )
        return out

    def _route_problems(self) -> list[Problem]:
        known = {c["id"] for c in self.conditions}
        out = []
        for i, route in enumerate(self.routes):
            for key in ("all", "any"):
                unknown = [c for c in route.get(key, []) if c not in known]
                if unknown:
                    out.append(
                        Problem(
                            f"没有条件“{'、'.join(unknown)}”",
                            rule=self.id,
                            field=f"认定路径第 {i + 1} 项·{key}",
                        )
                    )
        return out

    @property
    def label(self) -> str:
        """`id@version`, what a stored result names (the layer's `key`)."""
        return self.key

    @property
    def parameter_labels(self) -> dict[str, str]:
        """Chinese name of each parameter, shown where a bureau changes it."""
        return {name: p.label for name, p in self.parameters.items()}

    def check_parameter(self, name: str, current, value) -> str | None:
        """The tiers' own shape checks (band tables whose rows are all reachable, shares in labels shown as %),
        then a trial run with the new value on the rule set's latest day so far: a value of the right shape can
        still be unusable (a band row's condition that does not parse), and it would break every later run."""
        from kechuang.engine import clock, facts
        from kechuang.engine.conditions import ConditionError
        from kechuang.engine.tiers.evaluate import evaluate
        from kechuang.engine.tiers.values import check_value

        problem = check_value(self, name, current, value)
        if problem:
            return problem
        on = max(self.effective_from, min(self.effective_to or dt.date.max, clock.today()))
        trial = [{"rule_id": self.id, "parameter": name, "effective_from": self.effective_from, "value": value}]
        try:
            evaluate(facts.empty_frame(), on, [self.id], trial)
        except (ConditionError, RuleDataError) as exc:
            return f"按新取值无法计算规则集“{self.name}”：{exc}"
        except Exception:  # any other failure to compile or run means the value cannot be used either
            return f"按新取值无法计算规则集“{self.name}”，请对照现值检查格式"
        return None


KIND = register(Kind("tiers", "梯队认定规则", "tiers", RuleSet, domain="企业梯队"))


def all_rulesets(directory: Path | None = None) -> tuple[RuleSet, ...]:
    """Every rule set version shipped (rulesets/tiers/*.yaml, or `directory`), in file order."""
    return rulebook(KIND.id, directory).docs


def rulesets_in_force(as_of: dt.date, directory: Path | None = None) -> list[RuleSet]:
    """The version of each rule set in force on `as_of`, in file order."""
    book = rulebook(KIND.id, directory)
    found = (in_force(book.versions(rule_id), as_of) for rule_id in book.ids())
    return [r for r in found if r is not None]


def ruleset_by_label(label: str, directory: Path | None = None) -> RuleSet | None:
    """The rule set version a stored result names (`tech_sme@2022-05-01`, or a label it had before), or None."""
    return next((r for r in all_rulesets(directory) if label == r.key or label in r.previous_labels), None)


def read_local_set(text: str | None) -> str | dict[str, str] | None:
    """A stored local set: "gazelle=jinan,unicorn=suqian" (a region profile's variant per tier) as a mapping;
    a bare variant name ("jinan", the command line's) as it is; empty as None."""
    if not text:
        return None
    if "=" not in text:
        return text
    return dict(part.split("=", 1) for part in text.split(",") if "=" in part)


def local_set_text(local_set: str | Mapping[str, str] | None) -> str:
    """The inverse of `read_local_set` (what a run stores)."""
    if not local_set:
        return ""
    if isinstance(local_set, str):
        return local_set
    return ",".join(f"{tier}={variant}" for tier, variant in sorted(local_set.items()) if variant)


def variants(as_of: dt.date, directory: Path | None = None) -> dict[str, list[RuleSet]]:
    """Tier id → its rule sets in force on `as_of`, for the tiers that have more than one local variant."""
    by_tier: dict[str, list[RuleSet]] = {}
    for r in rulesets_in_force(as_of, directory):
        by_tier.setdefault(r.tier, []).append(r)
    return {tier: options for tier, options in by_tier.items() if len({r.variant for r in options}) > 1}


def select_rulesets(
    as_of: dt.date,
    tiers: list[str] | None = None,
    local_set: str | Mapping[str, str] | None = None,
    directory: Path | None = None,
) -> list[RuleSet]:
    """The rule sets in force on `as_of`, one per tier (or per explicitly named rule set id).

    `tiers` holds tier ids (`gazelle`) or rule set ids (`gazelle_jinan`); None = every tier. For a tier,
    the variant `local_set` names is used where the tier has it (one name for every tier, or a mapping
    tier → variant: a region profile's choice), else the default variant.
    """
    live = rulesets_in_force(as_of, directory)
    by_tier: dict[str, list[RuleSet]] = {}
    for r in live:
        by_tier.setdefault(r.tier, []).append(r)
    wanted = tiers or list(dict.fromkeys(r.tier for r in live))
    chosen: list[RuleSet] = []
    for name in wanted:
        options = by_tier.get(name)
        if not options:
            exact = [r for r in live if r.id == name]
            if exact:
                chosen.append(exact[0])
                continue
            known = "、".join(sorted({r.tier for r in all_rulesets(directory)}))
            raise RuleSetError(f"{as_of} 没有有效的梯队规则“{name}”（可用：{known}）")
        wanted_variant = local_set.get(name) if isinstance(local_set, Mapping) else local_set
        pick = (
            [r for r in options if wanted_variant and r.variant == wanted_variant]
            or [r for r in options if r.default]
            or options
        )
        chosen.append(pick[0])
    return chosen
